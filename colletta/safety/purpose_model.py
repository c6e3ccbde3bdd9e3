"""A statistical second opinion on a pot's purpose (docs/trust-and-safety.md).

The lexicon and its context rules (`screening`) read words; this reads how a pot is written.
It is a logistic regression over the character n-grams of the folded texts (2 to 5
characters inside word boundaries, hashed), trained on the project's labelled pots by
`tests/safety/data/make_purpose_model.py` and shipped as `lexicon/purpose_model.npz`.
It never freezes or refuses anything on its own: `screening.second_opinion` lets it lift a
pot no rule restricts to REVIEW (a person looks), and clear a pot restricted only for its
words when the pot as a whole reads plainly like an everyday one.

Features are computed here, for training and for use alike, so the two cannot drift.
"""

from __future__ import annotations

import functools
import math
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from colletta.domain.safety import PotText
from colletta.safety.normalize import fold, tokens

BUCKETS = 1 << 20
NGRAMS = (2, 3, 4, 5)
MODEL_PATH = Path(__file__).parent / "lexicon" / "purpose_model.npz"


# Under this many words the model says nothing: one word would weigh too much.
MIN_WORDS = 8


def pot_strings(text: PotText) -> list[str]:
    """The texts of a pot the model reads, in a fixed order: what it was trained on. Not the
    spending proposed from it: a payee is a person's name, never a signal."""
    return [text.title, text.description, *text.items, *text.options]


@functools.lru_cache(maxsize=1 << 16)
def _word_buckets(word: str) -> tuple[int, ...]:
    # Most words recur from pot to pot: their n-grams are hashed once.
    padded = f" {word} "
    return tuple(
        zlib.crc32(padded[i : i + n].encode()) % BUCKETS
        for n in NGRAMS
        for i in range(max(1, len(padded) - n + 1))
    )


def _words(strings: list[str]) -> list[str]:
    return [word for string in strings for word in tokens(fold(string))]


def features(strings: list[str]) -> dict[int, float]:
    """Hashed character n-grams of the folded words, sublinear counts, L2-normalised."""
    return _word_features(_words(strings))


def _word_features(words: list[str]) -> dict[int, float]:
    counts: Counter[int] = Counter()
    for word in words:
        counts.update(_word_buckets(word))
    weights = {bucket: 1.0 + math.log(count) for bucket, count in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {bucket: w / norm for bucket, w in weights.items()}


@dataclass(frozen=True, slots=True)
class PurposeModel:
    """A weight per hashed n-gram it learnt, and an intercept; `score` is P(prohibited)."""

    weights: dict[int, float]
    intercept: float
    data_sha256: str  # of the labelled files it was trained on

    @classmethod
    def from_array(cls, weights: np.ndarray, intercept: float, data_sha256: str) -> PurposeModel:
        """From a dense array of BUCKETS weights (what training gives)."""
        used = np.flatnonzero(weights)
        found = dict(zip(used.tolist(), weights[used].tolist(), strict=True))
        return cls(found, intercept, data_sha256)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> PurposeModel:
        with np.load(path) as saved:
            weights = saved["weights"].astype(np.float64).tolist()
            return cls(
                dict(zip(saved["buckets"].tolist(), weights, strict=True)),
                float(saved["intercept"]),
                str(saved["data_sha256"]),
            )

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            buckets=np.array(list(self.weights), dtype=np.int32),
            weights=np.array(list(self.weights.values()), dtype=np.float16),
            intercept=np.float64(self.intercept),
            data_sha256=np.str_(self.data_sha256),
        )

    def score(self, text: PotText) -> float | None:
        """P(prohibited), or None for a pot of fewer than MIN_WORDS words."""
        words = _words(pot_strings(text))
        if len(words) < MIN_WORDS:
            return None
        weight = self.weights.get
        z = self.intercept + sum(weight(b, 0.0) * v for b, v in _word_features(words).items())
        return 1.0 / (1.0 + math.exp(-z))


@functools.cache
def default_model() -> PurposeModel:
    """The shipped model, loaded once per process."""
    return PurposeModel.load()
