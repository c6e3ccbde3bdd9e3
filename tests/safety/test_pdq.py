"""PDQ hashes against the reference vectors (tests/safety/data/pdq, from ThreatExchange), the
multi-index against a linear scan, and the hash-list formats."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import orjson
import pytest
from PIL import Image

from colletta.errors import InvalidInput
from colletta.safety.bank_import import parse_csv, parse_list, parse_tcap
from colletta.safety.hash_index import Entry, MatchIndex, PdqIndex, linear_search, pack
from colletta.safety.pdq import (
    PDQ_MATCH_DISTANCE,
    SignalType,
    check_signal,
    distance,
    pdq_dihedral,
    pdq_of_bytes,
)

DATA = Path(__file__).parent / "data" / "pdq"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


EXPECTED = _rows("expected.csv")
DISTANCES = _rows("expected_distances.csv")
BANK_IMAGE = "bridge-mods/square-512x512.jpg"


def _hash(name: str) -> tuple[str, int]:
    got = pdq_of_bytes((DATA / name).read_bytes())
    return got.hex, got.quality


@pytest.mark.parametrize("row", EXPECTED, ids=[r["file"] for r in EXPECTED])
def test_pdq_hash_equals_the_published_one(row: dict[str, str]) -> None:
    hex_hash, quality = _hash(row["file"])
    # pdqhash and Pillow are pinned by uv.lock, so the hash is exact (upstream accepts ≤ 10).
    assert hex_hash == row["pdq_hex"]
    assert quality == int(row["pdq_quality"])


@pytest.mark.parametrize("row", DISTANCES, ids=[f"{r['file_a']}~{r['file_b']}" for r in DISTANCES])
def test_distances_and_verdicts(row: dict[str, str]) -> None:
    a, quality_a = _hash(row["file_a"])
    b, quality_b = _hash(row["file_b"])
    assert distance(a, b) == int(row["hamming_distance"])
    matches = distance(a, b) <= PDQ_MATCH_DISTANCE and min(quality_a, quality_b) >= 50
    assert matches == (row["match_at_threshold_31"] == "yes")


def test_dihedral_hashes() -> None:
    rows = _rows("expected_dihedral_square-512x512.csv")
    with Image.open(DATA / BANK_IMAGE) as image:
        got = pdq_dihedral(image)
    assert [h.hex for h in got] == [r["pdq_hex"] for r in rows]
    assert [h.quality for h in got] == [int(r["quality"]) for r in rows]


def test_the_almost_black_image_is_too_poor_to_match() -> None:
    got = pdq_of_bytes((DATA / "misc-images/small.jpg").read_bytes())
    assert got.quality < 50
    assert not got.matchable


def test_a_large_image_is_hashed_near_its_small_copy() -> None:
    with Image.open(DATA / BANK_IMAGE) as image:
        big = image.resize((3000, 3000))
    out = io.BytesIO()
    big.save(out, "JPEG", quality=90)
    small = pdq_of_bytes((DATA / BANK_IMAGE).read_bytes())
    assert distance(pdq_of_bytes(out.getvalue()).hex, small.hex) <= 10


def _flip(hashes: np.ndarray, row: int, bits: int, rng: np.random.Generator) -> np.ndarray:
    out = hashes[row].copy()
    for bit in rng.choice(256, bits, replace=False):
        out[bit // 8] ^= 1 << (bit % 8)
    return out


def test_the_index_finds_exactly_what_a_linear_scan_finds() -> None:
    rng = np.random.default_rng(7)
    hashes = rng.integers(0, 256, size=(20_000, 32), dtype=np.uint8)
    # A cluster of near-duplicates, so some queries have many neighbours.
    for row in range(1, 40):
        hashes[row] = _flip(hashes, 0, int(rng.integers(0, 40)), rng)
    index = PdqIndex(hashes)
    for bits in (0, 1, 15, 16, 17, 30, 31, 32, 33, 64):
        for row in (0, 5, 999):
            query = _flip(hashes, row, bits, rng)
            assert np.array_equal(index.search(query), linear_search(hashes, query))
            assert (row in index.search(query)) == (bits <= PDQ_MATCH_DISTANCE)


def _entry(entry_id: int, value: str, bank_id: int = 1) -> Entry:
    return Entry(entry_id, bank_id, SignalType.PDQ, value)


def test_match_index_skips_removed_entries_and_disabled_banks() -> None:
    bank_hash = _hash(BANK_IMAGE)[0]
    near = _hash("bridge-mods/shrink-a-lot.jpg")[0]
    index = MatchIndex.build([_entry(1, bank_hash)], enabled_banks=[1])
    assert [h.entry.id for h in index.match_pdq(near)] == [1]
    assert index.match_pdq(near)[0].distance == 12
    index.apply([], [1])
    assert index.match_pdq(near) == []
    index.apply([_entry(2, bank_hash, bank_id=2), _entry(1, bank_hash)], [])
    assert [h.entry.id for h in index.match_pdq(near)] == [1]  # bank 2 is not enabled
    index.enabled_banks = frozenset({1, 2})
    assert [h.entry.id for h in index.match_pdq(near)] == [1, 2]
    md5 = Entry(3, 1, SignalType.MD5, "0" * 32)
    index.apply([md5], [])
    assert [h.entry.id for h in index.match_exact(SignalType.MD5, "0" * 32)] == [3]
    index.apply([], [3])
    assert index.match_exact(SignalType.MD5, "0" * 32) == []


def test_pack_and_check_signal() -> None:
    assert pack(["ff" * 32]).shape == (1, 32)
    assert check_signal(SignalType.MD5, " ABCDEF0123456789ABCDEF0123456789 ") == (
        "abcdef0123456789abcdef0123456789"
    )
    with pytest.raises(InvalidInput):
        check_signal(SignalType.PDQ, "ab")
    with pytest.raises(InvalidInput):
        check_signal(SignalType.SHA256, "g" * 64)


PDQ = "d8f8f0cec0f4a84f0637022a278f67f0b36e2ed596621e1d33e6339c4e9c9b22"
MD5 = "0123456789abcdef0123456789abcdef"


def test_csv_import_with_tombstones() -> None:
    text = (
        "\ufeffsignal_type,value,external_id,deleted\n"
        f"pdq,{PDQ},a1,\n"
        f"MD5,{MD5.upper()},a2,false\n"
        f"sha512,{'0' * 128},a3,\n"
        "\n"
        f"md5,{MD5},a2,true\n"
    )
    parsed = parse_csv(text)
    assert parsed.skipped == 1
    assert [(e.signal_type, e.value, e.external_id, e.deleted) for e in parsed.entries] == [
        (SignalType.PDQ, PDQ, "a1", False),
        (SignalType.MD5, MD5, "a2", False),
        (SignalType.MD5, MD5, "a2", True),
    ]


def test_csv_needs_a_header_and_good_values() -> None:
    with pytest.raises(InvalidInput, match="name the columns"):
        parse_csv(f"{PDQ}\n")
    with pytest.raises(InvalidInput, match="line 3"):
        parse_csv(f"hash_type,hash\npdq,{PDQ}\npdq,nothex\n")


def test_tcap_page_array_and_lines() -> None:
    entries = [
        {
            "hash_digest": PDQ,
            "algorithm": "PDQ",
            "id": 2821,
            "deleted": False,
            "ideology": "islamist",
            "file_type": "jpg",
        },
        {"hash_digest": MD5, "algorithm": "MD5", "id": 2819, "deleted": True},
        {"hash_digest": "00" * 64, "algorithm": "SHA512", "id": 2820, "deleted": False},
        {"hash_digest": "AAAA", "algorithm": "TMK", "id": 2822, "deleted": False},
    ]
    page = {
        "count": 4,
        "next": None,
        "previous": None,
        "checkpoint": "1.0,2822",
        "results": entries,
    }
    for text in (
        orjson.dumps(page).decode(),
        orjson.dumps(entries).decode(),
        "\n".join(orjson.dumps(e).decode() for e in entries),
    ):
        parsed = parse_tcap(text)
        assert parsed.skipped == 2
        assert [(e.signal_type, e.value, e.external_id, e.deleted) for e in parsed.entries] == [
            (SignalType.PDQ, PDQ, "2821", False),
            (SignalType.MD5, MD5, "2819", True),
        ]
    with pytest.raises(InvalidInput):
        parse_tcap("{not json")
    with pytest.raises(InvalidInput, match="entry 1"):
        parse_tcap('[{"algorithm": "PDQ"}]')
    with pytest.raises(InvalidInput, match="csv or tcap"):
        parse_list("xml", "")
