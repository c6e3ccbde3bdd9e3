#!/usr/bin/env python3
"""PDQ: hashing an image and looking it up in a bank of 1,000,000 hashes, against a linear scan.

  .venv/bin/python bench/colletta_pdq.py [--bank 1000000] [--images 200] [--out FILE.jsonl]
  make bench-pdq                       # the same, with the defaults

In-process (no server): this is the work `colletta.actions.media_match` does for each image
posted to a group or channel, minus the database.

Setup (not measured): a bank of --bank random 256-bit hashes (numpy, seed 1); --images JPEG
photos-like images (1024x768, smooth gradients, shapes and noise, seed 2) encoded in memory,
plus the six reference images of tests/safety/data/pdq. For every other image a bank entry at
a random distance 0..31 of its hash is planted, so half of the lookups find a match; a few
entries at distance 32 are planted too, and must not be found.

Measured, per image (medians and p99 in ms):
- hash: `safety.pdq.pdq_of_bytes` (decode, shrink to ≤ 512 px a side, PDQ);
- index: `MatchIndex.match_pdq` on the bank (multi-index hashing, safety/hash_index.py);
- numpy scan: `linear_search`, XOR + popcount over the whole bank (vectorised);
- python scan: a pure-Python loop over the bank as ints (`(a ^ b).bit_count()`), on
  --python-queries queries only (it takes about a second each).
Also: index build time, the index's own arrays (`index_mb`: hashes, 16 sorted row tables,
their bucket starts, entry ids and banks) and the process's RSS growth while the bank's hex
strings are still held (`rss_growth_mb`). Checked: every
lookup of the index equals the numpy scan's (entry ids), and the planted matches are found.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from colletta.safety.hash_index import (  # noqa: E402
    Entry,
    MatchIndex,
    distances,
    linear_search,
    pack,
)
from colletta.safety.pdq import PDQ_MATCH_DISTANCE, SignalType, pdq_of_bytes  # noqa: E402

REFERENCE = ROOT / "tests" / "safety" / "data" / "pdq"


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def photo(rng, width=1024, height=768):
    """A JPEG that hashes like a photo: gradients, shapes, a little noise."""
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack(
        [
            (x * rng.uniform(0.05, 0.3) + y * rng.uniform(0.05, 0.3)) % 256,
            (x * rng.uniform(0.05, 0.3) - y * rng.uniform(0.05, 0.3)) % 256,
            (np.sin(x / rng.uniform(20, 200)) * 127 + 128),
        ],
        axis=2,
    ).astype(np.uint8)
    image = Image.fromarray(base)
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(5, 25))):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        box = [x0, y0, x0 + int(rng.integers(20, 400)), y0 + int(rng.integers(20, 300))]
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(1.5))
    noisy = np.asarray(image).astype(np.int16) + rng.integers(-8, 9, (height, width, 3))
    out = io.BytesIO()
    Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(out, "JPEG", quality=85)
    return out.getvalue()


def at_distance(hex_hash, bits, rng):
    value = int(hex_hash, 16)
    for bit in rng.choice(256, bits, replace=False):
        value ^= 1 << int(bit)
    return f"{value:064x}"


def ms(values):
    v = sorted(values)
    return {
        "p50": round(statistics.median(v) * 1000, 4),
        "p99": round(v[min(len(v) - 1, int(len(v) * 0.99))] * 1000, 4),
        "mean": round(statistics.fmean(v) * 1000, 4),
    }


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--bank", type=int, default=1_000_000)
    p.add_argument("--images", type=int, default=200)
    p.add_argument("--python-queries", type=int, default=5)
    p.add_argument("--out", type=Path, help="append the JSON line to this file")
    a = p.parse_args()

    rng = np.random.default_rng(2)
    images = [photo(rng) for _ in range(a.images)]
    images += [f.read_bytes() for f in sorted(REFERENCE.rglob("*.jpg"))]

    hash_s, hashes = [], []
    for data in images:
        t = time.perf_counter()
        got = pdq_of_bytes(data)
        hash_s.append(time.perf_counter() - t)
        hashes.append(got)
    usable = [h for h in hashes if h.matchable]

    rss0 = rss_mb()
    bank_rng = np.random.default_rng(1)
    raw = bank_rng.integers(0, 256, size=(a.bank, 32), dtype=np.uint8)
    values = [row.tobytes().hex() for row in raw]
    planted = {}
    plant_rng = np.random.default_rng(3)
    for n, h in enumerate(usable[::2]):
        bits = int(plant_rng.integers(0, PDQ_MATCH_DISTANCE + 1))
        values[n] = at_distance(h.hex, bits, plant_rng)
        planted[h.hex] = n + 1  # entry ids are row + 1
    for n, h in enumerate(usable[1::2][:10]):
        values[a.bank - 1 - n] = at_distance(h.hex, PDQ_MATCH_DISTANCE + 1, plant_rng)
    entries = [Entry(i + 1, 1, SignalType.PDQ, v) for i, v in enumerate(values)]
    del raw
    t = time.perf_counter()
    index = MatchIndex.build(entries, enabled_banks=[1])
    build_s = time.perf_counter() - t
    del entries  # what the node keeps is the index alone
    rss1 = rss_mb()
    bank_array = index.base.hashes

    for h in usable[:3]:  # warm up: the first lookups fault the tables' pages in
        index.match_pdq(h.hex)
        linear_search(bank_array, pack([h.hex])[0])
    index_s, scan_s, found = [], [], 0
    for h in usable:
        query = pack([h.hex])[0]
        t = time.perf_counter()
        hits = index.match_pdq(h.hex)
        index_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        rows = linear_search(bank_array, query)
        scan_s.append(time.perf_counter() - t)
        assert sorted(hit.entry.id for hit in hits) == sorted(int(r) + 1 for r in rows)
        if h.hex in planted:
            assert planted[h.hex] in {hit.entry.id for hit in hits}
            found += 1
        assert all(hit.distance <= PDQ_MATCH_DISTANCE for hit in hits)

    ints = [int(v, 16) for v in values]
    python_s = []
    for h in usable[: a.python_queries]:
        q = int(h.hex, 16)
        t = time.perf_counter()
        near = [i for i, v in enumerate(ints) if (v ^ q).bit_count() <= PDQ_MATCH_DISTANCE]
        python_s.append(time.perf_counter() - t)
        expected = linear_search(bank_array, pack([h.hex])[0])
        assert near == [int(r) for r in expected]
    assert distances(bank_array[:1], bank_array[0])[0] == 0

    line = {
        "workload": "pdq",
        "bank": a.bank,
        "images": len(images),
        "lookups": len(usable),
        "matches_planted": len(planted),
        "matches_found": found,
        "hash_ms": ms(hash_s),
        "index_ms": ms(index_s),
        "numpy_scan_ms": ms(scan_s),
        "python_scan_ms": ms(python_s),
        "index_build_s": round(build_s, 2),
        "index_mb": round(index.nbytes / 2**20, 1),
        "rss_growth_mb": round(rss1 - rss0, 1),
        "speedup_vs_numpy": round(statistics.median(scan_s) / statistics.median(index_s), 1),
        "speedup_vs_python": round(statistics.median(python_s) / statistics.median(index_s), 1),
        "hash_plus_lookup_ms": round(
            (statistics.median(hash_s) + statistics.median(index_s)) * 1000, 2
        ),
        "numpy": np.__version__,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }
    print(json.dumps(line))
    if a.out:
        with a.out.open("a") as f:
            f.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
