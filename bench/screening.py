"""How many answer sets ``screen`` evaluates per second on one core.

Run: ``.venv/bin/python bench/screening.py`` (prints one line per run and the best).
The answer sets are realistic: every question answered, about one in six
``yes``, details on some of the yes answers, drawn with a fixed seed.
"""

from __future__ import annotations

import os
import platform
import random
import time

from intake.screening import QUESTIONS, RULESET_VERSION, screen

SETS = 10_000
ROUNDS = 30
RUNS = 5


def answer_sets(seed: int = 2026) -> list[dict[str, str]]:
    rng = random.Random(seed)
    sets = []
    for _ in range(SETS):
        answers = {}
        for q in QUESTIONS:
            yes = rng.random() < 1 / 6
            answers[q.id] = "yes" if yes else "no"
            if yes and q.details and rng.random() < 0.5:
                answers[q.details_field] = "since March, twice a day"
        sets.append(answers)
    return sets


def run_once(sets: list[dict[str, str]]) -> float:
    start = time.perf_counter()
    for _ in range(ROUNDS):
        for answers in sets:
            screen(answers)
    return SETS * ROUNDS / (time.perf_counter() - start)


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})  # one core, as the target is stated
    sets = answer_sets()
    rates = []
    for run in range(RUNS):
        rate = run_once(sets)
        rates.append(rate)
        print(f"run {run + 1}: {rate:,.0f} answer sets/s")
    print(
        f"best {max(rates):,.0f}/s, median {sorted(rates)[RUNS // 2]:,.0f}/s "
        f"({len(QUESTIONS)} questions, ruleset {RULESET_VERSION}, "
        f"Python {platform.python_version()}, {platform.machine()})"
    )


if __name__ == "__main__":
    main()
