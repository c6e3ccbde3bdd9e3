"""Folding of pot texts before the lexicon reads them (DESIGN.md §5).

`fold` is what both the lexicon's patterns and the texts go through: Unicode NFKC, case
folding, accents and Arabic diacritics dropped, Arabic letter variants unified, zero-width
and soft-hyphen characters removed. `variants` then adds the disguised readings of a text:
homoglyphs (Cyrillic or Greek letters in Latin words), leetspeak (k4l4sh, @mmo, expl0s1ve),
repeated letters (guuuns) and spaced letters (r i f l e, g.u.n). Each variant is a list of
tokens: runs of letters and digits, and emoji as tokens of their own; punctuation goes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Zero-width, joiners, marks and invisible separators people put inside words.
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
        "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\ufeff\ufe0e\ufe0f",
    )
)
# Arabic: hamza-carrying alifs, taa marbuta, alif maqsura and tatweel (kashida).
_ARABIC = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None})

# Letters that look Latin in other scripts (after case folding).
HOMOGLYPHS = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
        "ɡ": "g", "ӏ": "l", "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v",
        "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ƅ": "b", "ı": "i",
    }
)  # fmt: skip
_CONFUSABLE = frozenset(chr(c) for c in HOMOGLYPHS if isinstance(c, int))

# Leetspeak; "1" reads as i or l, so there are two tables.
_LEET = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a",
         "$": "s", "€": "e", "!": "i", "|": "l", "+": "t"}  # fmt: skip
LEET_I = str.maketrans({**_LEET, "1": "i"})
LEET_L = str.maketrans({**_LEET, "1": "l"})
_LEET_CHARS = frozenset("0134578 9@$€!|+".replace(" ", ""))

_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\u2300-\u23ff\u2b00-\u2bff\U0001f1e6-\U0001f1ff"
TOKEN = re.compile(rf"[^\W_]+|[{_EMOJI}]")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")


def _class(chars: list[str]) -> str:
    return "[" + "".join(re.escape(c) for c in chars) + "]"


# The same work as str.translate and a per-character filter, as single regex passes (C speed).
_INVISIBLE_RE = re.compile(_class([chr(c) for c in _INVISIBLE]))
_COMBINING_RE = re.compile(
    _class([chr(c) for c in range(0x300, 0x10000) if unicodedata.combining(chr(c))])
)
_ARABIC_RE = re.compile(r"[\u0600-\u06ff]")


def fold(text: str) -> str:
    """NFKC, case folding, no accents, diacritics or invisible characters."""
    if text.isascii():  # most texts: nothing to normalise, no accents, no invisibles
        return text.lower()
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text)).casefold()
    text = _COMBINING_RE.sub("", unicodedata.normalize("NFD", text))
    text = unicodedata.normalize("NFC", text).replace("ı", "i")
    return text.translate(_ARABIC) if _ARABIC_RE.search(text) else text


def tokens(folded: str) -> list[str]:
    return TOKEN.findall(folded)


def _is_latin(char: str) -> bool:
    return "a" <= char <= "z"


_RUNS = re.compile(r"[\w@$€!|+]+")


def _leet_run(run: str, leet: dict[int, str]) -> str:
    if not any(c.isalpha() for c in run):
        return run
    # a "!" ending a word is an exclamation ("bomba!"), not an i
    core = run.rstrip("!")
    return core.translate(leet) + run[len(core) :]


def _unmask(chunk: str, leet: dict[int, str], latin_text: bool) -> str:
    """One whitespace-separated chunk read through homoglyphs and leetspeak, when it is
    disguised: mixed scripts, letters made only of look-alikes, letters mixed with digits."""
    letters = [c for c in chunk if c.isalpha()]
    if not letters:
        return chunk
    # Only look-alikes: a word of three or more (вомв), or in a Latin text a shorter one with
    # digits (ΑΚ-47; in a Russian text АК-47 is how the word is written, not a disguise).
    lookalike = all(c in _CONFUSABLE for c in letters) and (
        len(letters) >= 3 or (latin_text and any(c.isdigit() for c in chunk))
    )
    if lookalike or any(_is_latin(c) for c in letters):
        chunk = chunk.translate(HOMOGLYPHS)
    if any(c in _LEET_CHARS for c in chunk):
        # digits among letters only: the 47 of ak-47 stays a number
        chunk = _RUNS.sub(lambda m: _leet_run(m.group(), leet), chunk)
    return _REPEATS.sub(r"\1", chunk)


def _join_spaced(words: list[str]) -> list[str]:
    """Runs of three or more single letters become one word: "r i f l e" → "rifle"."""
    out: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        out.extend(["".join(run)] if len(run) >= 3 else run)
        run = []
        if word:
            out.append(word)
    return out


@dataclass(frozen=True, slots=True)
class Variants:
    """The plain reading of a text and its disguised readings (each a token list)."""

    plain: list[str]
    disguised: list[list[str]]


# A chunk with nothing to unmask: plain Latin letters (with punctuation around them), or no
# Latin letter, digit or leet character in it and some letter that is no look-alike. Most
# words of most texts are such chunks; only the others pay for `_unmask`.
_CLEAN_LATIN = re.compile(r"[\"'(\[«“]*[a-z]+[.,;:?\"')\]»”]*")
_SUSPECT = re.compile(r"[a-z0-9@$€!|+]")
_LATIN = re.compile(r"[a-z]")
# Three single letters in a row, whatever between them ("r i f", "g.u.n"): maybe spaced out.
_SPACED = re.compile(r"(?<![^\W_])[^\W\d_](?:[\W_]+[^\W\d_](?![^\W_])){2,}")


def _clean(chunk: str) -> bool:
    if _CLEAN_LATIN.fullmatch(chunk):
        return True
    return _SUSPECT.search(chunk) is None and any(
        c.isalpha() and c not in _CONFUSABLE for c in chunk
    )


def variants(text: str) -> Variants:
    folded = fold(text)
    plain = tokens(folded)
    disguised: list[list[str]] = []
    chunks = folded.split()
    suspect = [i for i, chunk in enumerate(chunks) if not _clean(chunk)]
    if suspect or _REPEATS.search(folded):
        latin = len(_LATIN.findall(folded)) * 2 > sum(map(str.isalpha, folded))
        todo = set(suspect) if not _REPEATS.search(folded) else set(range(len(chunks)))
        for leet in (LEET_I, LEET_L) if "1" in folded else (LEET_I,):
            unmasked = " ".join(
                _unmask(chunk, leet, latin) if i in todo else chunk
                for i, chunk in enumerate(chunks)
            )
            unmasked_tokens = tokens(unmasked)
            for reading in (unmasked_tokens, _join_spaced(unmasked_tokens)):
                if reading != plain and reading not in disguised:
                    disguised.append(reading)
    if _SPACED.search(folded):
        spaced = _join_spaced(plain)
        if spaced != plain and spaced not in disguised:
            disguised.append(spaced)
    return Variants(plain, disguised)
