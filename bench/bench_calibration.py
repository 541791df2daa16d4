"""Calibration and scoring speed: pvcal against girth and the PyPI package ``mirt``, side by side.

Fair by construction (issue 9, item 8):

* **Same threads.** Every process (pvcal and each peer) starts with
  OMP/OPENBLAS/MKL/BLIS/NUMEXPR/RAYON ``*_NUM_THREADS=1`` set before numpy is
  imported, and fits inside ``threadpoolctl.threadpool_limits(1)``; each row
  records the thread pools its process saw.
* **Same convergence rule where the peer allows it.** pvcal and mirt: tolerance
  1e-4 on the largest parameter change, at most 500 EM cycles, 61 quadrature
  points. girth 0.8 has no tolerance option: it stops when the largest change in
  a discrimination is below 1e-3 (hard-coded in ``grm_mml``); its
  ``max_iteration`` (default 25) is raised to 500 and its quadrature set to 61
  points on [-6, 6], as pvcal's.
* **Same repeats and statistic.** Every tool and case: one warm-up fit, then
  ``--repeats`` timed fits (default 3) in the same process; the median is reported.
* **Same estimator in "with SEs" rows.** pvcal ``se="crossprod"`` and mirt
  ``se_method="crossprod"``: both the cross-product (outer product) of the
  per-person score vectors at the estimate. girth computes no standard errors.

Each (tool, case) runs in its own fresh process on the same simulated data (fixed
seeds), so peak memory (``ru_maxrss``, interpreter and imports included) is per
run. RMSE is against the generating parameters.

The peers run in their own virtualenv (``make bench`` creates
``bench/.venv-peers``; never the project's ``.venv``)::

    .venv/bin/python bench/bench_calibration.py --peers-python bench/.venv-peers/bin/python
    .venv/bin/python bench/bench_calibration.py --quick ...   # small sizes, a smoke run
"""

from __future__ import annotations

# isort: off
# First, before numpy (or anything that loads a BLAS or an OpenMP/rayon pool) is imported.
from _threads import THREAD_ENV  # sets *_NUM_THREADS=1 on import
# isort: on

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
CACHE = HERE / "_cache"
DEFAULT_PEERS = HERE / ".venv-peers" / "bin" / "python"

TOL, MAX_ITER, N_QUAD = 1e-4, 500, 61

CASES = {
    "2PL 20,000 x 40": dict(model="2PL", n=20_000, J=40, seed=1),
    "2PL 100,000 x 40": dict(model="2PL", n=100_000, J=40, seed=2),
    "GRM 20,000 x 20": dict(model="GRM", n=20_000, J=20, seed=3),
}
QUICK = {
    "2PL 2,000 x 20": dict(model="2PL", n=2_000, J=20, seed=1),
    "GRM 2,000 x 10": dict(model="GRM", n=2_000, J=10, seed=3),
}
SCORING = dict(model="2PL", n=20_000, J=40, seed=5)
SCORING_QUICK = dict(model="2PL", n=2_000, J=20, seed=5)

SE_ESTIMATOR = {
    ("pvcal", True): 'crossprod (`se="crossprod"`)',
    ("mirt", True): 'crossprod (`se_method="crossprod"`)',
    ("girth", True): "none (girth computes no SEs)",
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
# Each worker runs in a child process: python bench_calibration.py --worker ...
# (the peers' interpreter for girth and mirt), so this part imports only numpy.


def _fit_pvcal(x, model, se):
    import pandas as pd

    import pvcal

    cal = pvcal.calibrate(
        pd.DataFrame(x),
        model=model,
        se="crossprod" if se else False,
        tol=TOL,
        max_iter=MAX_ITER,
        n_quad=N_QUAD,
        progress=False,
    )
    cols = ["a", "b"] if model == "2PL" else ["a", "b1", "b2", "b3"]
    return cal.items[cols].to_numpy(float), cal.n_iter


def _fit_girth(x, model, se):
    import girth

    if se:
        return None, None
    options = {"max_iteration": MAX_ITER, "quadrature_n": N_QUAD, "quadrature_bounds": (-6, 6)}
    if model == "2PL":
        r = girth.twopl_mml(x.T.astype(int), options)
        return np.column_stack([r["Discrimination"], r["Difficulty"]]), None
    r = girth.grm_mml(x.T.astype(int), options)
    return np.column_stack([r["Discrimination"], r["Difficulty"]]), None


def _fit_mirt(x, model, se):
    import mirt

    kw = {"se_method": "crossprod"} if se else {}
    r = mirt.fit_mirt(
        x.astype(int),
        model,
        n_quadpts=N_QUAD,
        tol=TOL,
        max_iter=MAX_ITER,
        compute_standard_errors=se,
        **kw,
    )
    p = r.model.parameters
    if model == "2PL":
        return np.column_stack([p["discrimination"], p["difficulty"]]), r.n_iterations
    th = np.asarray(p.get("thresholds", p.get("difficulty")))
    return np.column_stack([p["discrimination"], th]), r.n_iterations


def _score_pvcal(x, method):
    """Fit once (untimed), return a closure that scores every person with ``method``."""
    import pandas as pd

    import pvcal

    frame = pd.DataFrame(x)
    cal = pvcal.calibrate(frame, model="2PL", se=False, tol=TOL, n_quad=N_QUAD, progress=False)
    return lambda: cal.score(frame, method=method)


def _score_mirt(x, method):
    import mirt

    data = x.astype(int)
    fit = mirt.fit_mirt(data, "2PL", n_quadpts=N_QUAD, tol=TOL, compute_standard_errors=False)
    return lambda: mirt.fscores(fit, data, method=method, n_quadpts=N_QUAD)


def _threads() -> list[str]:
    from threadpoolctl import threadpool_info

    return sorted({f"{p['internal_api']}={p['num_threads']}" for p in threadpool_info()})


def worker(job: dict) -> None:
    import resource

    from threadpoolctl import threadpool_limits

    x = np.load(job["x"])
    times, est, n_iter = [], None, None
    with threadpool_limits(limits=1):
        if job["kind"] == "score":
            run = {"pvcal": _score_pvcal, "mirt": _score_mirt}[job["tool"]](x, job["method"])
            run()  # warm-up
            for _ in range(job["repeats"]):
                t0 = time.perf_counter()
                run()
                times.append(time.perf_counter() - t0)
            out = {"status": "ok"}
        else:
            truth = np.load(job["truth"])
            fit = {"pvcal": _fit_pvcal, "girth": _fit_girth, "mirt": _fit_mirt}[job["tool"]]
            est, n_iter = fit(x, job["model"], job["se"])  # warm-up
            if est is None:
                print(json.dumps({"status": "unsupported"}))
                return
            for _ in range(job["repeats"]):
                t0 = time.perf_counter()
                est, n_iter = fit(x, job["model"], job["se"])
                times.append(time.perf_counter() - t0)
            rmse = np.sqrt(np.mean((est - truth) ** 2, axis=0)).tolist()
            out = {"status": "ok", "rmse": rmse, "n_iter": n_iter}
        threads = _threads()
    out.update(
        median_s=float(np.median(times)),
        times_s=times,
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        threads=threads,
    )
    print(json.dumps(out))


# --------------------------------------------------------------------------- driver


def run_job(python: str, job: dict, timeout: float) -> dict:
    env = {**os.environ, **THREAD_ENV}
    cmd = [python, str(Path(__file__).resolve()), "--worker", json.dumps(job)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"status": f"timeout > {timeout:.0f} s"}
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["?"])[-1][:120]
        return {"status": f"failed: {tail}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def peer_available(python: str | None, module: str) -> bool:
    if not python or not Path(python).exists():
        return False
    probe = subprocess.run([python, "-c", f"import {module}, threadpoolctl"], capture_output=True)
    return probe.returncode == 0


def fmt(r: dict, key: str, spec: str) -> str:
    return format(r[key], spec) if r.get("status") == "ok" else "—"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    ap.add_argument("--repeats", type=int, default=3, help="timed fits after a warm-up (>= 3)")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--peers-python", default=str(DEFAULT_PEERS))
    ap.add_argument("--out", default=str(HERE / "RESULTS_calibration.md"))
    ap.add_argument("--worker", metavar="JOB_JSON")
    args = ap.parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker))
        return 0
    if args.repeats < 3:
        ap.error("--repeats must be at least 3 (a median of at least 3 for every tool)")

    peers = {m: peer_available(args.peers_python, m) for m in ("girth", "mirt")}
    cases = QUICK if args.quick else CASES
    load_before = os.getloadavg()
    rows = []
    for name, case in cases.items():
        xp, tp = make_data(case)
        for tool in ("pvcal", "girth", "mirt"):
            for se in (False, True):
                if tool == "girth" and se:
                    continue
                py = sys.executable if tool == "pvcal" else args.peers_python
                if tool != "pvcal" and not peers[tool]:
                    r = {"status": f"not run ({tool} not importable in {args.peers_python})"}
                else:
                    job = dict(kind="fit", tool=tool, x=str(xp), truth=str(tp),
                               model=case["model"], se=se, repeats=args.repeats)  # fmt: skip
                    print(f"{name:>18}  {tool:<6} se={se!s:<5}", end=" ", flush=True)
                    r = run_job(py, job, args.timeout)
                    print(r.get("status"), fmt(r, "median_s", ".2f"), flush=True)
                rows.append((name, tool, se, r))

    score_case = SCORING_QUICK if args.quick else SCORING
    xs, _ = make_data(score_case)
    score_name = f"2PL {score_case['n']:,} x {score_case['J']}"
    score_rows = []
    for method in ("EAP", "MAP", "ML", "WLE"):
        for tool in ("pvcal", "mirt"):
            py = sys.executable if tool == "pvcal" else args.peers_python
            if tool == "mirt" and not peers["mirt"]:
                r = {"status": "not run (mirt not importable)"}
            else:
                job = dict(kind="score", tool=tool, x=str(xs), method=method, repeats=args.repeats)
                r = run_job(py, job, args.timeout)
                print(f"score {method:<4} {tool:<6}", r.get("status"), fmt(r, "median_s", ".3f"))
            score_rows.append((method, tool, r))

    Path(args.out).write_text(render(args, rows, score_rows, score_name, load_before) + "\n")
    print(Path(args.out).read_text())
    return 0


def _ratio(tool: str, r: dict, ref: dict | None) -> str:
    if tool == "pvcal":
        return "1.0x"
    return f"{r['median_s'] / ref['median_s']:.1f}x" if ref else "—"


def render(args, rows, score_rows, score_name, load_before) -> str:
    threads = sorted({t for *_, r in rows + score_rows for t in r.get("threads", [])})
    lines = [
        "## Calibration (MML-EM): pvcal vs girth vs PyPI mirt",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; load average "
        f"{load_before[0]:.2f} before the run and {os.getloadavg()[0]:.2f} after (the machine "
        "was shared with other jobs: read the ratios, not the seconds).",
        "",
        f"Every tool: one warm-up fit, then the median of {args.repeats} timed fits in the same "
        "process; one thread everywhere (`*_NUM_THREADS=1` before import and "
        f"`threadpool_limits(1)`; thread pools seen: {', '.join(threads) or 'none'}). "
        f"pvcal and mirt: tolerance {TOL:g} on the largest parameter change, at most "
        f"{MAX_ITER} cycles, {N_QUAD} quadrature points (pvcal equally spaced on [-6, 6], mirt "
        "Gauss-Hermite). girth: no tolerance option (it stops at a largest discrimination "
        f"change below 1e-3, hard-coded), max_iteration {MAX_ITER} (its default is 25), "
        f"{N_QUAD} points on [-6, 6]; it computes no SEs. Rows with SEs use the same estimator "
        "on both sides: crossprod, the inverse of the summed outer products of the persons' "
        "score vectors at the estimate (pvcal `se=\"crossprod\"`, mirt "
        "`se_method=\"crossprod\"`). Peak memory is the whole process's maximum RSS.",
        "",
        "| case | tool | SEs (estimator) | median time (s) | ratio vs pvcal | EM cycles "
        "| peak RSS (MB) | RMSE a | RMSE b (mean) | status |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    base = {(n, se): r for n, t, se, r in rows if t == "pvcal" and r.get("status") == "ok"}
    for n, t, se, r in rows:
        est = SE_ESTIMATOR[(t, True)] if se else "no"
        if r.get("status") != "ok":
            lines.append(f"| {n} | {t} | {est} | — | — | — | — | — | — | {r['status']} |")
            continue
        ref = base.get((n, se))
        ratio = _ratio(t, r, ref)
        rm = r["rmse"]
        lines.append(
            f"| {n} | {t} | {est} | {r['median_s']:.2f} | {ratio} | {r.get('n_iter') or '—'} | "
            f"{r['peak_mb']:.0f} | {rm[0]:.4f} | {np.mean(rm[1:]):.4f} | ok |"
        )
    lines += [
        "",
        f"### Scoring {score_name} (after an untimed fit with each tool's own estimates)",
        "",
        "Same thread limits, warm-up and repeats. pvcal `Calibration.score`, mirt `fscores`, "
        f"{N_QUAD} quadrature points for EAP.",
        "",
        "| method | tool | median time (s) | ratio vs pvcal | status |",
        "|---|---|---|---|---|",
    ]
    sbase = {m: r for m, t, r in score_rows if t == "pvcal" and r.get("status") == "ok"}
    for m, t, r in score_rows:
        if r.get("status") != "ok":
            lines.append(f"| {m} | {t} | — | — | {r['status']} |")
            continue
        ref = sbase.get(m)
        ratio = _ratio(t, r, ref)
        lines.append(f"| {m} | {t} | {r['median_s']:.3f} | {ratio} | ok |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
