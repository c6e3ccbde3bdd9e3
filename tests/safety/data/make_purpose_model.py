"""Trains the screening's second opinion: writes colletta/safety/lexicon/purpose_model.npz.

A logistic regression (scikit-learn) over `purpose_model.features` of every labelled pot in
tests/safety/data/ and tests/safety/blind/: prohibited against allowed and sensitive. Run it
by hand after adding labelled pots (scikit-learn is not a dependency of Colletta:
`uv pip install scikit-learn`); `test_the_shipped_model_was_trained_on_the_labelled_files`
fails until it is run.

    python tests/safety/data/make_purpose_model.py [--cross-validate]

--cross-validate first prints, for each blind batch, the scores of a model trained on every
other file: how the second opinion does on a batch it never saw (docs/trust-and-safety.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from colletta.safety.evaluation import evaluate, pot_text  # noqa: E402
from colletta.safety.purpose_model import (  # noqa: E402
    BUCKETS,
    MODEL_PATH,
    PurposeModel,
    features,
    pot_strings,
)
from colletta.safety.screening import Screener  # noqa: E402
from tests.safety.labelled import data_sha256, labelled_files  # noqa: E402

# Regularisation: chosen by leave-one-batch-out over the blind batches (1 to 256 tried).
C = 64.0


def fit(records: list[dict[str, Any]]) -> tuple[np.ndarray, float]:
    rows, cols, vals = [], [], []
    for i, record in enumerate(records):
        for bucket, value in features(pot_strings(pot_text(record))).items():
            rows.append(i)
            cols.append(bucket)
            vals.append(value)
    matrix = csr_matrix((vals, (rows, cols)), shape=(len(records), BUCKETS))
    labels = [record["label"] == "prohibited" for record in records]
    model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(matrix, labels)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


def cross_validate(files: list[Path]) -> None:
    pooled = {"rules": [0, 0, 0, 0], "model": [0, 0, 0, 0]}  # caught, prohibited, fp, allowed
    for held in (f for f in files if f.parent.name == "blind"):
        weights, intercept = fit([r for f in files if f != held for r in read(f)])
        screener = Screener(model=PurposeModel.from_array(weights, intercept, ""))
        line = [held.name + ":"]
        for name, result in (
            ("rules alone", evaluate(Screener(second_opinion=False), read(held))),
            ("with the second opinion", evaluate(screener, read(held))),
        ):
            sums = pooled["rules" if name == "rules alone" else "model"]
            counts = (result.flagged("prohibited"), result.count("prohibited"))
            counts += (result.flagged("allowed"), result.count("allowed"))
            sums[:] = [a + b for a, b in zip(sums, counts, strict=True)]
            line.append(
                f"{name} recall {result.recall:.3f} fp {result.false_positive_rate:.3f}"
                f" sensitive blocked {result.sensitive_blocked}"
            )
        print(" ".join(line))
    for name, (caught, prohibited, fp, allowed) in pooled.items():
        print(f"all blind batches, {name}: recall {caught}/{prohibited} fp {fp}/{allowed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cross-validate", action="store_true")
    args = parser.parse_args()
    files = labelled_files()
    if args.cross_validate:
        cross_validate(files)
    weights, intercept = fit([r for f in files for r in read(f)])
    PurposeModel.from_array(weights, intercept, data_sha256(files)).save(MODEL_PATH)
    print(f"wrote {MODEL_PATH.relative_to(REPO)} from {len(files)} files")


if __name__ == "__main__":
    main()
