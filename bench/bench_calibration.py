"""Calibration speed: pvcal against girth and the PyPI package ``mirt``, side by side.

Each (tool, case) runs in its own fresh Python process on the same simulated
data (fixed seeds), so that peak memory (``ru_maxrss`` of that process,
interpreter and imports included) is measured per run. Times are medians over
``--repeats`` fits inside the process (the first fit is a warm-up and is
discarded when repeats > 1). RMSE is against the generating parameters.

Usage::

    .venv/bin/python bench/bench_calibration.py            # writes bench/RESULTS.md section
    .venv/bin/python bench/bench_calibration.py --quick    # small sizes, a smoke run
    PVCAL_BENCH_MIRT_PYTHON=/tmp/mirtvenv/bin/python ...   # interpreter that has PyPI mirt

The PyPI ``mirt`` (a Python/Rust package, not R mirt) pins its own
dependencies, so it is installed into a separate virtualenv; when that
interpreter is not given or lacks it, its rows say "not run".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CACHE = HERE / "_cache"

CASES = {
    "2PL 20,000 x 40": dict(model="2PL", n=20_000, J=40, seed=1),
    "2PL 100,000 x 40": dict(model="2PL", n=100_000, J=40, seed=2),
    "GRM 20,000 x 20": dict(model="GRM", n=20_000, J=20, seed=3),
}
QUICK = {
    "2PL 2,000 x 20": dict(model="2PL", n=2_000, J=20, seed=1),
    "GRM 2,000 x 10": dict(model="GRM", n=2_000, J=10, seed=3),
}


def make_data(case: dict) -> tuple[Path, Path]:
    """Simulate the case (seeded) and cache responses and truth as .npy files."""
    CACHE.mkdir(exist_ok=True)
    key = f"{case['model']}_{case['n']}_{case['J']}_{case['seed']}"
    xp, tp = CACHE / f"{key}_x.npy", CACHE / f"{key}_truth.npy"
    if not xp.exists():
        rng = np.random.default_rng(case["seed"])
        J, n = case["J"], case["n"]
        a = rng.lognormal(0.0, 0.3, J)
        theta = rng.normal(size=n)
        if case["model"] == "2PL":
            b = rng.normal(0, 1, J)
            p = 1 / (1 + np.exp(-a * (theta[:, None] - b)))
            x = (rng.random((n, J)) < p).astype(np.int8)
            truth = np.column_stack([a, b])
        else:  # GRM with 4 categories, thresholds 0.5-1.2 apart
            b = rng.normal(-1.0, 0.5, (J, 1)) + np.cumsum(
                np.column_stack([np.zeros(J), rng.uniform(0.5, 1.2, (J, 2))]), axis=1
            )
            cum = 1 / (1 + np.exp(-a[None, :, None] * (theta[:, None, None] - b[None])))
            x = (rng.random((n, J))[:, :, None] < cum).sum(axis=2).astype(np.int8)
            truth = np.column_stack([a, b])
        np.save(xp, x)
        np.save(tp, truth)
    return xp, tp


# --------------------------------------------------------------------------- workers
# Each worker runs in a child process: python bench_calibration.py --worker TOOL ...


def _fit_pvcal(x, model, se):
    import pandas as pd

    import pvcal

    cal = pvcal.calibrate(pd.DataFrame(x), model=model, se="crossprod" if se else False)
    cols = ["a", "b"] if model == "2PL" else ["a", "b1", "b2", "b3"]
    return cal.items[cols].to_numpy(float), cal.n_iter


def _fit_girth(x, model, se):
    import girth

    if se:
        return None, None
    if model == "2PL":
        r = girth.twopl_mml(x.T.astype(int))
        return np.column_stack([r["Discrimination"], r["Difficulty"]]), None
    r = girth.grm_mml(x.T.astype(int))
    return np.column_stack([r["Discrimination"], r["Difficulty"]]), None


def _fit_mirt(x, model, se):
    import mirt

    r = mirt.fit_mirt(x.astype(int), model, n_quadpts=61, tol=1e-4, compute_standard_errors=se)
    p = r.model.parameters
    if model == "2PL":
        return np.column_stack([p["discrimination"], p["difficulty"]]), r.n_iterations
    th = np.asarray(p.get("thresholds", p.get("difficulty")))
    return np.column_stack([p["discrimination"], th]), r.n_iterations


def worker(tool: str, xpath: str, tpath: str, model: str, se: bool, repeats: int) -> None:
    import resource

    x = np.load(xpath)
    truth = np.load(tpath)
    fit = {"pvcal": _fit_pvcal, "girth": _fit_girth, "mirt": _fit_mirt}[tool]
    times, est, n_iter = [], None, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        est, n_iter = fit(x, model, se)
        times.append(time.perf_counter() - t0)
        if est is None:
            break
    if est is None:
        print(json.dumps({"status": "unsupported"}))
        return
    kept = times[1:] if len(times) > 1 else times
    rmse = np.sqrt(np.mean((est - truth) ** 2, axis=0)).tolist()
    print(
        json.dumps(
            {
                "status": "ok",
                "median_s": float(np.median(kept)),
                "times_s": times,
                "rmse": rmse,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "n_iter": n_iter,
            }
        )
    )


# --------------------------------------------------------------------------- driver


def run_one(python: str, tool: str, case: dict, se: bool, repeats: int, timeout: float) -> dict:
    xp, tp = make_data(case)
    cmd = [
        python,
        __file__,
        "--worker",
        tool,
        str(xp),
        str(tp),
        case["model"],
        str(int(se)),
        str(repeats),
    ]
    env = dict(os.environ)
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"status": f"timeout > {timeout:.0f} s"}
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["?"])[-1][:120]
        return {"status": f"failed: {tail}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def fmt(r: dict, key: str, spec: str) -> str:
    return format(r[key], spec) if r.get("status") == "ok" else "—"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    ap.add_argument("--repeats", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--mirt-python", default=os.environ.get("PVCAL_BENCH_MIRT_PYTHON"))
    ap.add_argument("--out", default=str(HERE / "RESULTS_calibration.md"))
    ap.add_argument("--worker", nargs=6, metavar=("TOOL", "X", "TRUTH", "MODEL", "SE", "REPEATS"))
    args = ap.parse_args(argv)
    if args.worker:
        tool, xp, tp, model, se, rep = args.worker
        worker(tool, xp, tp, model, bool(int(se)), int(rep))
        return 0

    cases = QUICK if args.quick else CASES
    rows = []
    for name, case in cases.items():
        plan = [
            ("pvcal", sys.executable, False),
            ("pvcal", sys.executable, True),
            ("girth", sys.executable, False),
        ]
        if args.mirt_python:
            plan += [("mirt", args.mirt_python, False), ("mirt", args.mirt_python, True)]
        for tool, py, se in plan:
            # the peers are slow: fewer repeats for them
            rep = args.repeats if tool == "pvcal" else 2
            print(f"{name:>18}  {tool:<6} se={se!s:<5}", end=" ", flush=True)
            r = run_one(py, tool, case, se, rep, args.timeout)
            print(r.get("status"), fmt(r, "median_s", ".2f"), flush=True)
            rows.append((name, tool, se, r))
        if not args.mirt_python:
            rows.append((name, "mirt", False, {"status": "not run (no interpreter given)"}))

    lines = [
        "## Calibration (MML-EM): pvcal vs girth vs PyPI mirt",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average before the run {os.getloadavg()[0]:.2f}. "
        f"Medians of {args.repeats - 1} timed fits after a warm-up (peers: 1 timed fit after a "
        "warm-up, or 1 fit when slower); tolerance 1e-4 on parameter change for pvcal and "
        "mirt (girth: its own default); 61 quadrature points for pvcal and mirt (girth: its "
        "default). Peak memory is the whole process's maximum RSS.",
        "",
        "| case | tool | SEs | median time (s) | ratio vs pvcal | peak RSS (MB) | RMSE a "
        "| RMSE b (mean) | status |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    base = {(n, se): r for n, t, se, r in rows if t == "pvcal" and r.get("status") == "ok"}
    for n, t, se, r in rows:
        ref = base.get((n, se)) or base.get((n, False))
        ratio = (
            f"{r['median_s'] / ref['median_s']:.1f}x"
            if r.get("status") == "ok" and ref and t != "pvcal"
            else ("1.0x" if t == "pvcal" and r.get("status") == "ok" else "—")
        )
        rm = r.get("rmse") or []
        lines.append(
            f"| {n} | {t} | {'yes' if se else 'no'} | {fmt(r, 'median_s', '.2f')} | {ratio} | "
            f"{fmt(r, 'peak_mb', '.0f')} | {rm[0]:.4f} | {np.mean(rm[1:]):.4f} | ok |"
            if r.get("status") == "ok"
            else f"| {n} | {t} | {'yes' if se else 'no'} | — | — | — | — | — | {r['status']} |"
        )
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
