"""The labelled pots the screening is measured on and its second opinion trained on."""

from __future__ import annotations

import hashlib
from pathlib import Path

HERE = Path(__file__).parent


def labelled_files() -> list[Path]:
    """Every labelled file: the hand-written and generated sets, then the blind batches."""
    return sorted((HERE / "data").glob("*.jsonl")) + sorted((HERE / "blind").glob("*.jsonl"))


def data_sha256(files: list[Path]) -> str:
    """One digest of the files' names and bytes: what a model was trained on."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.parent.name}/{path.name}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
