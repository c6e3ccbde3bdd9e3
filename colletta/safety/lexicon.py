"""The screening lexicon: words for weapons, explosives, designated organisations, fighters
and their causes, with the context words that make them harmless (DESIGN.md §5).

The patterns live in `colletta/safety/lexicon/*.txt` (one file a language, plus emoji; the
format is in that folder's README.txt). They are folded like the texts
(`normalize.fold`) and put into one Aho-Corasick automaton (pyahocorasick), so a text is
read once whatever the number of patterns. Words are matched at word boundaries; `word*`
also matches its inflections and `*word*` matches inside compounds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path

import ahocorasick

from colletta.safety.normalize import fold, tokens


@dataclass(frozen=True, slots=True)
class Entry:
    category: str
    term: str  # as written in the file, for reasons people read
    key: str  # folded tokens joined by single spaces
    lang: str
    weak: bool
    prefix: bool  # may continue past the word's end (inflections)
    infix: bool  # may start inside a word (compounds, clitics)
    sense: str = ""  # a harmless sense a context anywhere in the pot shows ([explosives/fruit])


@dataclass(frozen=True, slots=True)
class Match:
    entry: Entry
    first: int  # index of the first token it covers
    last: int  # index of the last token it covers
    near: bool = False  # a misspelling of the entry (Lexicon.near)


class LexiconError(ValueError):
    pass


def parse(text: str, lang: str) -> Iterator[Entry]:
    category = sense = ""
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            category, _, sense = line[1:-1].strip().partition("/")
            continue
        if not category:
            raise LexiconError(f"{lang}:{number}: a pattern before any [category]")
        weak = line.startswith("~")
        pattern = line.lstrip("~")
        infix = pattern.startswith("*")
        prefix = pattern.endswith("*")
        key = " ".join(tokens(fold(pattern.strip("*"))))
        if not key:
            raise LexiconError(f"{lang}:{number}: an empty pattern")
        yield Entry(category, pattern.strip("*"), key, lang, weak, prefix, infix, sense)


class Lexicon:
    """An automaton over every entry; `find` lists the matches in a token list."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        by_key: dict[str, list[Entry]] = {}
        # Everyday words one edit from a harm word (billets, reflex, kaffee): never misspellings.
        known: set[str] = set()
        for entry in entries:
            if entry.category == KNOWN:
                known.add(entry.key)
                continue
            by_key.setdefault(entry.key, []).append(entry)
        self.entries = [e for group in by_key.values() for e in group]
        self._automaton = ahocorasick.Automaton()
        for key, group in by_key.items():
            self._automaton.add_word(key, (key, tuple(group)))
        if by_key:
            self._automaton.make_automaton()
        self._empty = not by_key
        self._near = _near_index(self.entries)
        self._known = known | {e.key for e in self.entries if " " not in e.key}
        # Words repeat across texts: each one's misspelling lookup is done once.
        self._near_cache: dict[str, Entry | object | None] = {}

    def find(self, words: list[str]) -> list[Match]:
        """Every entry found in `words`; where several cover the same words, the longest
        key wins and an exact word beats an inflection (so `granata` is the weak colour
        word, not the `granat*` grenade)."""
        if self._empty or not words:
            return []
        text = " " + " ".join(words) + " "
        # token index of each character position
        starts: list[int] = []
        index = -1
        for char in text:
            starts.append(index)
            if char == " ":
                index += 1
        best: dict[tuple[int, int, bool], tuple[tuple[int, int, int], Entry]] = {}
        for end, (key, group) in self._automaton.iter(text):
            start = end - len(key) + 1
            at_start = text[start - 1] == " "
            at_end = text[end + 1] == " "
            first, last = starts[start], starts[end]
            if text[start] == " ":
                continue
            for entry in group:
                if not (at_start or entry.infix) or not (at_end or entry.prefix or entry.infix):
                    continue
                # an exact word beats an inflection; a word weak in any language stays weak
                rank = (len(key), 0 if entry.prefix or entry.infix else 1, int(entry.weak))
                # a harm word and a context word may cover the same compound (Wasserpistole)
                span = (first, last, is_harm(entry.category))
                held = best.get(span)
                if held is None or rank > held[0]:
                    best[span] = (rank, entry)
        return [Match(entry, first, last) for (first, last, _), (_, entry) in best.items()]

    def near(self, words: list[str], covered: set[int]) -> list[Match]:
        """Misspellings: words one edit (a letter dropped, added, changed or two swapped) from
        a strong harm word of five or more letters, as weak matches ("rifels", "amunition").
        Words in `covered` (matched already) and words the lexicon knows are not looked at."""
        found: list[Match] = []
        for index, word in enumerate(words):
            if index in covered or len(word) < 6 or word in self._known or not word.isalpha():
                continue
            hit = self._near_cache.get(word, _UNSEEN)
            if hit is _UNSEEN:
                hit = self._near_word(word)
                if len(self._near_cache) >= NEAR_CACHE_MAX:
                    self._near_cache.clear()
                self._near_cache[word] = hit
            if isinstance(hit, Entry):
                found.append(Match(hit, index, index, near=True))
        return found

    def _near_word(self, word: str) -> Entry | None:
        for probe in (word, word[:-1], word[:-2]):  # the word, then without an ending
            hit = next((self._near[d] for d in _deletions(probe) if d in self._near), None)
            if hit is not None:
                return replace(hit, weak=True)
        return None


def _deletions(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def _near_index(entries: list[Entry]) -> dict[str, Entry]:
    """Symmetric-delete index (as SymSpell): each strong one-word harm key and its one-letter
    deletions → the entry. Two words are one edit apart when their deletion sets meet."""
    index: dict[str, Entry] = {}
    for entry in entries:
        if entry.weak or " " in entry.key or len(entry.key) < 5 or not is_harm(entry.category):
            continue
        if not entry.key.isalpha():
            continue
        for deleted in _deletions(entry.key):
            index.setdefault(deleted, entry)
    return index


NEAR_CACHE_MAX = 100_000
KNOWN = "known"
_UNSEEN = object()

HARM_PREFIXES = ("weapons.", "explosives", "org.", "fighters", "cause", "coded.", "military.")


def is_harm(category: str) -> bool:
    return category.startswith(HARM_PREFIXES)


def read_files(folder: Path) -> list[Entry]:
    entries: list[Entry] = []
    for path in sorted(folder.glob("*.txt")):
        if path.name == "README.txt":
            continue
        entries.extend(parse(path.read_text(encoding="utf-8"), path.stem))
    return entries


@cache
def default_lexicon() -> Lexicon:
    """The lexicon shipped in the package."""
    folder = resources.files("colletta.safety") / "lexicon"
    return Lexicon(read_files(Path(str(folder))))
