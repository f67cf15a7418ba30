"""Proof checking time: every reference proof and every wrong proof of the catalogue, checked
as the grader checks them (from plain data, in a fresh process pinned to 2 cores).

Each proof is encoded as the student's kernel sends it, decoded and checked by
:func:`gdlab.proofs.check_proof`; the time of one check (decode included) is measured three
ways: in a fresh process (``fresh``: the first proof a grader checks, imports excluded), in
one process after the other reference proofs (``cold``), and again (``warm``: SymPy's caches
are per process, and a judge process checks many proofs). The wrong proofs are checked once
each in one process. Target on 2 cores: under 2 s per proof.

Usage: .venv/bin/python bench/proofs.py [--cores N]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 2.0  # seconds per proof on 2 cores


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"_bench_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _time(proof) -> float:
    from gdlab.grading.proof_parts import decode_proof
    from gdlab.grading.transport import encode
    from gdlab.proofs import SETTINGS, check_proof

    start = time.perf_counter()
    check_proof(decode_proof(encode(proof)), SETTINGS[proof.part])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # time one reference proof, fresh
    args = parser.parse_args()
    if args.cores < 1:
        raise SystemExit(f"--cores must be >= 1, got {args.cores}")
    if hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))[: args.cores]
        os.sched_setaffinity(0, cores)
    ref = _load(ROOT / "tests" / "grading" / "solutions" / "proofs.py")
    wrong = _load(ROOT / "tests" / "grading" / "wrong" / "proofs.py")
    reference = {
        name: getattr(ref, name)
        for name in (
            "proof_49",
            "proof_49_taylor",
            "proof_411",
            "proof_411_abs",
            "proof_411_tight",
            "proof_463",
        )
    }
    minibatch = _load(ROOT / "tests" / "grading" / "solutions" / "minibatch_variance.py")
    reference["proof_var"] = minibatch.proof_var
    if args.one:
        print(_time(reference[args.one]))
        return
    fresh = {}
    for name in reference:
        command = [sys.executable, __file__, "--cores", str(args.cores), "--one", name]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        fresh[name] = float(out.split()[-1])
    cold = {name: _time(p) for name, p in reference.items()}
    print(f"{'reference proof':<28}{'fresh s':>9}{'cold s':>9}{'warm s':>9}")
    warm_all = []
    for name, proof in reference.items():
        warm = _time(proof)
        warm_all.append(warm)
        print(f"{name:<28}{fresh[name]:9.3f}{cold[name]:9.3f}{warm:9.3f}")
    times = []
    for key, _, proof, _, _ in wrong.CATALOGUE:
        times.append((_time(proof), key))
    values = [t for t, _ in times]
    worst = max(times)
    print(
        f"wrong proofs ({len(values)}): median {statistics.median(values):.3f} s, "
        f"max {worst[0]:.3f} s ({worst[1]}), total {sum(values):.1f} s"
    )
    slowest = max(max(fresh.values()), max(cold.values()), max(warm_all), worst[0])
    verdict = "meets" if slowest < TARGET else "misses"
    print(f"slowest check {slowest:.3f} s: {verdict} the target of {TARGET} s per proof")


if __name__ == "__main__":
    sys.exit(main())
