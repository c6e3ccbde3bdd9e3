#!/usr/bin/env python3
"""Screening: pots screened per second on one core, and the cost of screening one post on the
send path (announcements), in process (no server: screening is pure CPU).

  .venv/bin/python bench/colletta_screening.py [--seconds 10] [--sets FILE ...]

The pots are the labelled sets of tests/safety/data (dev, the generated set and the
hand-written ones: every label, ten languages, disguised spellings), each screened whole
(title, description, items, options) by `Screener.screen_pot`, round after round, for
--seconds. The process is pinned to one CPU when the OS allows it. Posts: short chat texts
(a greeting, a thank-you with a number, a Russian reminder, a long Arabic one), screened as
an announcement is; per-post cost is CPU time, the best of 5 rounds. One JSON line on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from colletta.safety.evaluation import evaluate, pot_text  # noqa: E402
from colletta.safety.lexicon import default_lexicon  # noqa: E402
from colletta.safety.screening import Screener  # noqa: E402

DATA = REPO / "tests" / "safety" / "data"
POST_LOOPS = 2000
POSTS = [
    "ok",
    "See you all at the park at 6, bring snacks!",
    "Thanks everyone, we reached 80% of the goal for the mosque roof. The builder starts "
    "Monday; receipts will be posted here.",
    "Напоминаем: сбор закрывается в пятницу, спасибо всем!",
    "جزاكم الله خيرا، وصلنا إلى نصف المبلغ لإفطار الصائمين، نرجو المشاركة قبل نهاية الأسبوع",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--sets", nargs="*", type=Path, default=sorted(DATA.glob("*.jsonl")))
    a = parser.parse_args()
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        pinned = True
    except (AttributeError, OSError):
        pinned = False
    records = [json.loads(x) for p in a.sets for x in p.read_text("utf-8").splitlines() if x]
    pots = [pot_text(r) for r in records]
    default_lexicon.cache_clear()
    t0 = time.perf_counter()
    screener = Screener()  # reads the lexicon files, builds the automaton
    load_s = time.perf_counter() - t0
    for pot in pots:  # warm the misspelling cache as a running server has
        screener.screen_pot(pot)
    cpu0, wall0, screened, rounds = time.process_time(), time.perf_counter(), 0, []
    while time.perf_counter() - wall0 < a.seconds:
        r0 = time.perf_counter()
        for pot in pots:
            screener.screen_pot(pot)
        rounds.append(len(pots) / (time.perf_counter() - r0))
        screened += len(pots)
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    posts_us = {}
    for text in POSTS:  # CPU time per post (the machine may be shared)
        rounds_us = []
        for _ in range(5):
            c0 = time.process_time()
            for _ in range(POST_LOOPS):
                screener.screen_post(text)
            rounds_us.append((time.process_time() - c0) / POST_LOOPS * 1e6)
        posts_us[f"{len(text)} chars"] = round(min(rounds_us), 1)
    result = evaluate(screener, records)
    print(
        json.dumps(
            {
                "workload": "screening",
                "server": "colletta",
                "pots": len(pots),
                "pinned_one_cpu": pinned,
                "seconds": round(wall, 2),
                "cpu_share": round(cpu / wall, 3),
                "pots_per_s": round(screened / wall, 1),
                "pots_per_s_median_round": round(statistics.median(rounds), 1),
                "pots_per_cpu_s": round(screened / cpu, 1),
                "post_cpu_us": posts_us,
                "lexicon_load_s": round(load_s, 3),
                "lexicon_entries": len(screener.lexicon.entries),
                "labelled": {
                    "recall": round(result.recall, 3),
                    "false_positive_rate": round(result.false_positive_rate, 3),
                    "sensitive_blocked": result.sensitive_blocked,
                },
                "python": platform.python_version(),
                "loadavg_1m": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
