"""Mutation score of gdlab's optimizers, rates, schedules, curvature tools and exercise judges.

    .venv/bin/python tools/mutation.py                  # every group (make mutation)
    .venv/bin/python tools/mutation.py rates schedules  # some groups
    .venv/bin/python tools/mutation.py --report-only    # re-print the last results

mutmut (pinned in requirements-mutation.txt) makes single-change mutants of every function in a
module (an operator, a constant, a keyword argument, a string) and runs, for each mutant, the
tests that call the mutated function, stopping at the first failure. Each group below is run
in a work folder of its own, ``.mutation/<group>/``, holding a copy of ``lib/gdlab`` (as
``src/gdlab``, where mutmut puts its mutated copy first on ``sys.path``), the tests, and a
``pyproject.toml`` whose ``[tool.mutmut]`` section mutates only the group's modules and selects
only the group's test files: a module's mutants meet only the tests written for it, so a score
is not inflated by a page test that happens to call the function, and the run stays practical
on 2 cores.

The score of a module is killed / (mutants - equivalent - not measurable), where killed counts
mutants that a test failed on (a timeout or a crash counts as killed: the bug would not go
unnoticed), "equivalent" counts mutants listed in EQUIVALENT below with the reason no test can
tell them from the original, and "not measurable" those in NOT_MEASURABLE (code that runs only
at import time, which mutmut never switches on). An equivalent entry names the mutant and a
fragment of its changed line; if the code moves so that the name points at another change,
the entry is reported as stale and the mutant counts as surviving. Every surviving mutant is
printed with its diff.

Exit status: 0 when every module reaches TARGET, 1 otherwise (2 if mutmut itself failed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutation"
TARGET = 0.90
MUTMUT = Path(sys.executable).with_name("mutmut")

# group -> (modules under lib/, test files run against their mutants)
GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "optim": (
        ("gdlab/optim.py",),
        (
            "tests/test_optim.py",
            "tests/test_optim_delayed_adagrad.py",
            "tests/test_momentum.py",
            "tests/test_bad_input.py",
            "tests/test_argument_names.py",
        ),
    ),
    "rates": (
        ("gdlab/rates.py",),
        ("tests/test_rates.py", "tests/test_bad_input.py", "tests/test_argument_names.py"),
    ),
    "schedules": (
        ("gdlab/schedules.py",),
        ("tests/test_schedules.py", "tests/test_bad_input.py", "tests/test_argument_names.py"),
    ),
    "curvature": (
        ("gdlab/curvature.py",),
        ("tests/test_curvature.py", "tests/test_bad_input.py", "tests/test_argument_names.py"),
    ),
    "judges": (
        (
            "gdlab/grading/steepest_descent.py",
            "gdlab/grading/smoothness_bound.py",
            "gdlab/grading/minibatch_variance.py",
            "gdlab/grading/judging.py",
        ),
        ("tests/test_grading.py", "tests/test_judges_mutation.py"),
    ),
}

# Mutants that no test can tell from the original: reason -> {mutmut's name: a fragment of the
# mutated line}. The fragment is checked against the mutant's diff (a stale entry counts as
# surviving).
_EQUIVALENT_BY_REASON: dict[str, dict[str, str]] = {
    "float() reads 'INF' as infinity, as it reads 'inf'": {
        "gdlab.rates.x_iterations_to_reach__mutmut_19": 'float("INF")',
    },
    "the array converted is float64 already (every _value returns float64; np.full/np.empty "
    "default to float64 and every fill is a float; an int scalar becomes int64 on 64-bit "
    "Linux), so the dtype argument changes nothing": {
        "gdlab.schedules.xǁScheduleǁ__call____mutmut_5": "dtype=None",
        "gdlab.schedules.xǁScheduleǁ__call____mutmut_7": "reshape(-1)), )",
        "gdlab.schedules.x__steps__mutmut_4": "np.asarray(int(t), dtype=None)",
        "gdlab.schedules.x__steps__mutmut_6": "np.asarray(int(t), )",
        "gdlab.optim.xǁOptimizerǁ_state_array__mutmut_8": "np.full(shape, fill, dtype=None)",
        "gdlab.optim.xǁOptimizerǁ_state_array__mutmut_11": "np.full(shape, fill, )",
        "gdlab.optim.xǁOptimizerǁ_scratch__mutmut_8": "np.empty(shape, dtype=None)",
        "gdlab.optim.xǁOptimizerǁ_scratch__mutmut_10": "np.empty(shape, )",
    },
    "an integer (or float32) iterate is promoted to float64 by the step's first arithmetic "
    "with a float; every result is the same": {
        "gdlab.optim.xǁOptimizerǁstep__mutmut_13": "w = np.asarray(w, dtype=None)",
        "gdlab.optim.xǁOptimizerǁstep__mutmut_15": "w = np.asarray(w, )",
    },
    "numpy's reshape reads any negative size as 'infer', like -1": {
        "gdlab.schedules.xǁScheduleǁ__call____mutmut_11": "reshape(-2)",
    },
    "no numpy dtype has kind 'X', so 'XXiuXX' accepts exactly the kinds 'iu' accepts": {
        "gdlab.schedules.x__steps__mutmut_11": '"XXiuXX"',
    },
    "steps as float64 instead of int64: every schedule's formula gives the same floats for "
    "integer-valued t": {
        "gdlab.schedules.x__steps__mutmut_16": "steps.astype(None)",
    },
    "the clipped value is used only where t > warmup (np.where picks the warm-up branch "
    "elsewhere), so the lower clip bound never shows": {
        "gdlab.schedules.xǁWarmupCosineǁ_value__mutmut_6": "np.clip(t, None, self.T + 1)",
    },
    "an unreachable guard (# pragma: no cover): every optimizer's state is affine in d": {
        "gdlab.optim.xǁOptimizerǁstate_size__mutmut_17": "RuntimeError(None)",
    },
    "state_size counts the sizes of the state arrays after one step on _Probe; the probe's "
    "values never reach the count, and value/hvp are never called": {
        **{f"gdlab.optim.xǁ_Probeǁvalue__mutmut_{k}": "float(" for k in range(1, 9)},
        **{f"gdlab.optim.xǁ_Probeǁhvp__mutmut_{k}": "np.asarray(" for k in range(1, 5)},
        "gdlab.optim.xǁ_Probeǁgrad__mutmut_1": "return w + 1.0",
        "gdlab.optim.xǁ_Probeǁgrad__mutmut_2": "return w - 2.0",
        "gdlab.optim.xǁ_Probeǁstochastic_grad__mutmut_1": "replace=False",
    },
    "H is checked to be square just above, so shape[1] == shape[0]": {
        "gdlab.optim.xǁNewtonǁ_step__mutmut_17": "H.shape[1] + 1",
    },
    "the probe vector is a cache: looked up or stored under another key (or not at all) it is "
    "drawn again from default_rng(0), the same vector": {
        "gdlab.optim.xǁNewtonǁ_solve__mutmut_3": "z = None",
        "gdlab.optim.xǁNewtonǁ_solve__mutmut_4": "get(None)",
        "gdlab.optim.xǁNewtonǁ_solve__mutmut_5": 'get("XXprobeXX")',
        "gdlab.optim.xǁNewtonǁ_solve__mutmut_6": 'get("PROBE")',
        "gdlab.optim.xǁNewtonǁ_solve__mutmut_11": '["XXprobeXX"]',
        "gdlab.optim.xǁNewtonǁ_solve__mutmut_12": '["PROBE"]',
    },
    "largest = 0 only for H = 0, which np.linalg.solve rejects as exactly singular before "
    "this line, so the else branch is unreachable": {
        "gdlab.optim.xǁNewtonǁ_solve__mutmut_65": "or True",
        "gdlab.optim.xǁNewtonǁ_solve__mutmut_67": "largest >= 0",
        "gdlab.optim.xǁNewtonǁ_solve__mutmut_69": "else 1.0",
    },
    "the denominator is 0 only when every gradient so far, g_t included, is 0: the scale "
    "multiplies a zero vector either way": {
        "gdlab.optim.xǁAdaGradNormǁ_step__mutmut_30": "else 1.0",
    },
    "the key of the optimizer's only scratch buffer: any key caches the same buffer": {
        "gdlab.optim.xǁDelayedAdaGradǁ_step__mutmut_36": "_scratch(None",
        "gdlab.optim.xǁDelayedAdaGradǁ_step__mutmut_40": '"XXg2XX"',
        "gdlab.optim.xǁDelayedAdaGradǁ_step__mutmut_41": '"G2"',
        "gdlab.optim.xǁAdamǁ_step__mutmut_13": "_scratch(None",
        "gdlab.optim.xǁAdamǁ_step__mutmut_17": '"XXgXX"',
        "gdlab.optim.xǁAdamǁ_step__mutmut_18": '_scratch("G"',
        "gdlab.optim.xǁAdamWǁ_step__mutmut_20": "_scratch(None",
        "gdlab.optim.xǁAdamWǁ_step__mutmut_24": '"XXdecayXX"',
        "gdlab.optim.xǁAdamWǁ_step__mutmut_25": '"DECAY"',
        "gdlab.optim.xǁLionǁ_step__mutmut_14": "_scratch(None",
        "gdlab.optim.xǁLionǁ_step__mutmut_18": '"XXscratchXX"',
        "gdlab.optim.xǁLionǁ_step__mutmut_19": '"SCRATCH"',
    },
    "Lanczos: the extra row of Q is never written or read; theta, s and k are set by the "
    "first pass of the loop (max_iter >= 1) before any read; a third re-orthogonalisation pass "
    "finds nothing left to remove": {
        "gdlab.curvature.x_lanczos__mutmut_49": "max_iter + 2",
        "gdlab.curvature.x_lanczos__mutmut_60": "theta, s, residual = 1.0",
        "gdlab.curvature.x_lanczos__mutmut_62": "np.ones(2)",
        "gdlab.curvature.x_lanczos__mutmut_63": "k = None",
        "gdlab.curvature.x_lanczos__mutmut_64": "k = 1",
        "gdlab.curvature.x_lanczos__mutmut_81": "range(3)",
        "gdlab.curvature.x_power_iteration__mutmut_38": "rayleigh, residual, n_matvecs = 1.0",
    },
    "np.linalg.eigh reads only the lower triangle of T, so the sign of the upper "
    "off-diagonal never reaches the eigenvalues": {
        "gdlab.curvature.x_lanczos__mutmut_89": "np.diag(alpha) - np.diag(beta, 1)",
    },
    "w has already been checked to have length problem.dim, so w.shape[0] is the dim the "
    "lookup would find": {
        "gdlab.curvature.x_hvp_operator__mutmut_38": 'getattr(None, "dim", w.shape[0])',
        "gdlab.curvature.x_hvp_operator__mutmut_44": '"XXdimXX"',
        "gdlab.curvature.x_hvp_operator__mutmut_45": '"DIM"',
    },
    "the array is converted to float64 by the next step anyway (_checks.vector, the float "
    "arithmetic of the difference quotient, an integer Hessian times the float64 v; "
    "eigenvalues are Python floats)": {
        "gdlab.curvature.x_hessian_vector_product__mutmut_8": "w = np.asarray(w, dtype=None)",
        "gdlab.curvature.x_hessian_vector_product__mutmut_10": "w = np.asarray(w, )",
        "gdlab.curvature.x_hessian_vector_product__mutmut_102": "dtype=None",
        "gdlab.curvature.x_hessian_vector_product__mutmut_104": "v), )",
        "gdlab.curvature.x_hessian_vector_product__mutmut_110": "dtype=None",
        "gdlab.curvature.x_hessian_vector_product__mutmut_112": "v), )",
        "gdlab.curvature.x_curvature_along_path__mutmut_9": "dtype=None",
        "gdlab.curvature.x_curvature_along_path__mutmut_11": "np.asarray(iterates, )",
        "gdlab.curvature.x_hessian_vector_product__mutmut_69": "hess(w), dtype=None) @ v",
        "gdlab.curvature.x_hessian_vector_product__mutmut_71": "hess(w), ) @ v",
        "gdlab.curvature.x_curvature_along_path__mutmut_88": "np.array(values, dtype=None)",
        "gdlab.curvature.x_curvature_along_path__mutmut_90": "np.array(values, )",
    },
    "the tuple removed is _checks.problem's default, the same three names": {
        "gdlab.optim.x_run__mutmut_8": '_checks.problem("problem", problem, )',
    },
    "compare_number's default rtol is 1e-6, the judges' RTOL": {
        "gdlab.grading.steepest_descent.x__gain_judge__mutmut_15": '"linf_gain", )',
        "gdlab.grading.smoothness_bound.x__quadratic_judge__mutmut_44": '"L", where, )',
        "gdlab.grading.smoothness_bound.x__page_judge__mutmut_16": '"L_page", )',
        "gdlab.grading.smoothness_bound.x__logistic_judge__mutmut_47": '"L", where, )',
    },
    "every consumer of a case converts its arrays to float64 (decode_arg, case_note, the "
    "judges' arithmetic with floats), so an int64 matrix or gradient changes no result; "
    "astype(None) is float64": {
        "gdlab.grading.steepest_descent.x__judge_step__mutmut_3": "dtype=None",
        "gdlab.grading.steepest_descent.x__judge_step__mutmut_5": '["array"], )',
        "gdlab.grading.smoothness_bound.x__small_symmetric__mutmut_22": "dtype=None",
        "gdlab.grading.smoothness_bound.x__small_symmetric__mutmut_24": "[b, c]], )",
        "gdlab.grading.smoothness_bound.x__quadratic_cases__mutmut_14": "astype(None)",
    },
    "4.1.3e: when gap >= 0, -gap <= 0 <= MARGIN * scale (scale >= 0), so the second test "
    "already fails the pair": {
        "gdlab.grading.smoothness_bound.x__counter_judge__mutmut_88": "gap > 0 or",
        "gdlab.grading.smoothness_bound.x__counter_judge__mutmut_89": "gap >= 1 or",
    },
    "4.6.3a's twins: arrays of different shapes are never array_equal, and after the first "
    "check draws[1] equals draws[0]": {
        "gdlab.grading.minibatch_variance.x__judge_twins__mutmut_15": "draws[1].shape != draws[1]",
        "gdlab.grading.minibatch_variance.x__judge_twins__mutmut_32": "other.shape == draws[1]",
        "gdlab.grading.minibatch_variance.x__judge_twins__mutmut_37": "(other, draws[1])",
    },
    "4.6.3a's twin cases come after all the statistical ones, so break and continue skip the "
    "same cases": {
        "gdlab.grading.minibatch_variance.x__sampler_judge__mutmut_14": "break",
    },
    "4.6.3c: the variances were checked to have shape (len(CURVE_BATCHES),), so zip's strict "
    "never fires": {
        "gdlab.grading.minibatch_variance.x__curve_judge__mutmut_61": "strict=None",
        "gdlab.grading.minibatch_variance.x__curve_judge__mutmut_64": "variances, )",
        "gdlab.grading.minibatch_variance.x__curve_judge__mutmut_65": "strict=False",
    },
    "numpy's reshape reads any negative size as 'infer', like -1 (the judge's pairs)": {
        "gdlab.grading.minibatch_variance.x__judge_draws__mutmut_66": "reshape(-2, d)",
    },
    "sympy.Float reads '1E-40' as '1e-40'": {
        "gdlab.grading.minibatch_variance.x__iterations_judge__mutmut_42": '"1E-40"',
        "gdlab.grading.minibatch_variance.x__iterations_judge__mutmut_49": '"1E-80"',
    },
}
EQUIVALENT: dict[str, tuple[str, str]] = {
    name: (fragment, reason)
    for reason, names in _EQUIVALENT_BY_REASON.items()
    for name, fragment in names.items()
}

# Functions that run only while a module is imported (a factory building the judge closures
# that the module's EXERCISE keeps): mutmut imports the code once, before it switches a mutant
# on in a forked worker, so these mutants are never active and cannot be measured. They are
# listed apart and left out of the score (not counted as killed). tests/test_judges_mutation.py
# was checked against three of them applied by hand (see its history).
NOT_MEASURABLE: dict[str, str] = {
    "gdlab.grading.steepest_descent.x__step_judge__mutmut_": "_step_judge builds the three "
    "step judges at import time",
}

DETECTED = {"killed", "timeout", "segfault"}


def _status(exit_code) -> str:
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code[exit_code]


def prepare(group: str) -> Path:
    """A fresh work folder for ``group``: the library, the tests and the mutmut settings."""
    modules, tests = GROUPS[group]
    folder = WORK / group
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "src").mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "lib" / "gdlab", folder / "src" / "gdlab", ignore=ignore)
    shutil.copytree(
        ROOT / "tests", folder / "tests", ignore=shutil.ignore_patterns("browser", "__pycache__")
    )
    shutil.copytree(ROOT / "exercises", folder / "exercises", ignore=ignore)  # the starters
    present = [t for t in tests if (ROOT / t).exists()]
    settings = [
        "[tool.pytest.ini_options]",
        'testpaths = ["tests"]',
        "",
        "[tool.mutmut]",
        'source_paths = ["src/"]',
        f"only_mutate = {json.dumps(['src/' + m for m in modules])}",
        f"pytest_add_cli_args_test_selection = {json.dumps(present)}",
        'also_copy = ["exercises/"]',  # tests/grading reads the exercise notebooks
        'pytest_add_cli_args = ["-p", "no:cacheprovider"]',
        "",
    ]
    (folder / "pyproject.toml").write_text("\n".join(settings))
    return folder


def run_group(group: str, jobs: int) -> float:
    """Run mutmut on ``group``; its log goes to ``.mutation/<group>.log``. Returns seconds."""
    folder = prepare(group)
    log = WORK / f"{group}.log"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    started = time.perf_counter()
    with open(log, "w") as out:
        code = subprocess.call(
            [str(MUTMUT), "run", "--max-children", str(jobs)],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    seconds = time.perf_counter() - started
    (folder / "seconds").write_text(f"{seconds:.1f}\n")
    if code != 0:
        print(f"mutmut failed on {group} (exit {code}); see {log}", file=sys.stderr)
        sys.exit(2)
    return seconds


def _changed_lines(diff: str) -> str:
    lines = diff.splitlines()
    return "\n".join(
        line for line in lines if line[:1] in "+-" and not line.startswith(("---", "+++"))
    )


def collect(group: str) -> list[dict]:
    """Per module of ``group``: counts, and the surviving mutants with their diffs."""
    from mutmut.configuration import reset_config
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    modules, _ = GROUPS[group]
    folder = WORK / group
    here = os.getcwd()
    os.chdir(folder)
    reset_config()
    try:
        report = []
        for module in modules:
            meta = folder / "mutants" / "src" / (module + ".meta")
            codes = json.loads(meta.read_text())["exit_code_by_key"]
            counts: dict[str, int] = {}
            survivors, equivalent, stale, unmeasured = [], [], [], []
            for name, code in codes.items():
                status = _status(code)
                if status in DETECTED:
                    counts["killed"] = counts.get("killed", 0) + 1
                    continue
                diff = _changed_lines(get_diff_for_mutant(name, path=Path("src") / module))
                why = next((r for p, r in NOT_MEASURABLE.items() if name.startswith(p)), None)
                if why is not None:
                    unmeasured.append((name, diff, why))
                    continue
                if name in EQUIVALENT:
                    fragment, reason = EQUIVALENT[name]
                    if fragment in diff:
                        equivalent.append((name, diff, reason))
                        continue
                    stale.append(name)
                counts[status] = counts.get(status, 0) + 1
                survivors.append((name, status, diff))
            prefix = module[:-3].replace("/", ".") + ".x"
            stale += [
                n
                for n in EQUIVALENT
                if n.startswith(prefix) and (n not in codes or _status(codes[n]) in DETECTED)
            ]
            report.append(
                dict(
                    module=module[:-3].replace("/", "."),
                    total=len(codes),
                    counts=counts,
                    survivors=survivors,
                    equivalent=equivalent,
                    stale=stale,
                    unmeasured=unmeasured,
                )
            )
        return report
    finally:
        os.chdir(here)
        reset_config()


def score(entry: dict) -> float:
    judged = entry["total"] - len(entry["equivalent"]) - len(entry["unmeasured"])
    return entry["counts"].get("killed", 0) / judged if judged else 1.0


def print_report(entries: list[dict], seconds: dict[str, float]) -> bool:
    print("\n== Surviving mutants")
    for entry in entries:
        for name, status, diff in entry["survivors"]:
            print(f"\n{name} ({status})")
            print(diff)
    print("\n== Equivalent mutants (not counted)")
    for entry in entries:
        for name, diff, reason in entry["equivalent"]:
            print(f"\n{name}\n{diff}\n  equivalent: {reason}")
        for name in entry["stale"]:
            print(f"\n{name}: listed as equivalent, but it is killed, gone or a different change")
    print("\n== Not measurable: never active under mutmut (not counted)")
    for entry in entries:
        for name, _diff, why in entry["unmeasured"]:
            print(f"{name}: {why}")
    print("\n== Mutation score per module (killed / (mutants - equivalent - not measurable))")
    header = (
        f"{'module':<36}{'mutants':>8}{'killed':>8}{'equiv':>7}{'unmeas':>7}{'survived':>9}"
        f"{'score':>8}"
    )
    print(header)
    ok = True
    for entry in entries:
        survived = len(entry["survivors"])
        value = score(entry)
        ok &= value >= TARGET
        print(
            f"{entry['module']:<36}{entry['total']:>8}{entry['counts'].get('killed', 0):>8}"
            f"{len(entry['equivalent']):>7}{len(entry['unmeasured']):>7}{survived:>9}"
            f"{value:>8.1%}"
        )
    if seconds:
        parts = ", ".join(f"{g} {s:.0f} s" for g, s in seconds.items())
        print(f"run time: {parts}; total {sum(seconds.values()):.0f} s")
    return ok


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", help=f"some of {', '.join(GROUPS)} (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    groups = args.groups or list(GROUPS)
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {unknown}; choose from {list(GROUPS)}")
    WORK.mkdir(exist_ok=True)
    seconds = {}
    for group in groups:
        if not args.report_only:
            print(f"mutmut: {group} ...", flush=True)
            seconds[group] = run_group(group, args.jobs)
        else:
            recorded = WORK / group / "seconds"
            if recorded.exists():
                seconds[group] = float(recorded.read_text())
    entries = [entry for group in groups for entry in collect(group)]
    return 0 if print_report(entries, seconds) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
