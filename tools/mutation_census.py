"""Count what the checker does with every single-change mutant of every derivation.

    .venv/bin/python tools/mutation_census.py           # the 2x2 catalog (about a minute)
    .venv/bin/python tools/mutation_census.py --large   # the 3x3 variants only (slow: minutes)

One JSON line per derivation, then the totals. "accepted" mutants were proved by the checker
(true weakenings); "accepted_false" counts accepted mutants with a point where they fail, which
must be 0. tests/test_derivations.py asserts the same per step.
"""

from __future__ import annotations

import json
import sys
import time

import gdlab.derivations as gd

KEYS = ("total", "rejected", "rejected_with_point", "accepted", "accepted_false", "relation")


def census(d) -> dict:
    counts = dict.fromkeys(KEYS, 0)
    counts["relation_rejected"] = 0
    for k in range(1, len(d.steps) + 1):
        for m in gd.mutants(d, k):
            counts["total"] += 1
            result = gd.check_step(m.derivation, k)
            if m.kind == "relation":
                counts["relation"] += 1
                counts["relation_rejected"] += not result.ok
            if not result.ok:
                counts["rejected"] += 1
                counts["rejected_with_point"] += result.counterexample is not None
            elif gd.counterexample(m.derivation, k, samples=60) is None:
                counts["accepted"] += 1
            else:
                counts["accepted_false"] += 1
    return counts


def main(argv: list[str]) -> int:
    large = "--large" in argv
    chosen = [
        d
        for d in gd.catalog(large=large)
        if not large or d.key in ("newton-step-3x3", "quadratic-eigenbasis-3")
    ]
    totals: dict = {}
    started = time.perf_counter()
    for d in chosen:
        t0 = time.perf_counter()
        counts = census(d)
        print(json.dumps({"key": d.key, **counts, "seconds": round(time.perf_counter() - t0, 1)}))
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    print(json.dumps({"TOTAL": totals, "seconds": round(time.perf_counter() - started, 1)}))
    return 1 if totals.get("accepted_false") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
