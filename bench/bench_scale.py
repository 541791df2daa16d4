"""Scale benchmark: 2PL calibration of 1,000,000 x 100 in memory, streamed and on Dask.

Each variant runs in a fresh child process (so its peak RSS is its own):

``memory``
    ``pd.read_parquet`` into a float64 frame (NaN = missing, as
    :func:`pvcal.irt.simulate.simulate` returns), then ``pvcal.calibrate(frame)``.
``streamed``
    ``pvcal.calibrate(path)``: row blocks of the Parquet file, collapsed patterns.
``dask``
    A ``LocalCluster`` of 2 worker processes (1 thread each), ``dd.read_parquet``,
    ``pvcal.calibrate(ddf)``; peak RSS reported for the client and the largest worker.

Time is the wall clock of the ``calibrate`` call (reading included for the
streamed and Dask variants, since they read inside it; for ``memory`` the
frame is loaded first and the load time is reported separately). Peak RSS
is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the child at the end.
All variants use the defaults (61 quadrature points, tol 1e-4, SEs by
cross-product) and are checked against the in-memory estimates.

Usage::

    python bench/bench_scale.py                      # 1M x 100, 3 runs per variant
    python bench/bench_scale.py --n 200000 --runs 1  # quick check
    python bench/bench_scale.py --dask-curve 1000000,2000000,5000000

Writes ``bench/RESULTS_scale.md`` (raw table) and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("PVCAL_BENCH_CACHE", "/tmp/pvcal-bench-scale"))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def _cpu_s() -> float:
    """CPU seconds (user + system, all threads) of this process so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def make_data(n: int, n_items: int, seed: int = 20261204) -> Path:
    """Simulate 2PL responses block by block straight into Parquet (int8 columns)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = CACHE / f"2pl_{n}x{n_items}_{seed}.parquet"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.7, 2.0, n_items)
    b = rng.normal(0.0, 1.0, n_items)
    names = [f"Q{j:03d}" for j in range(n_items)]
    np.save(CACHE / f"truth_{n_items}_{seed}.npy", np.column_stack([a, b]))
    tmp = path.with_suffix(".part")
    schema = pa.schema([(c, pa.int8()) for c in names])
    with pq.ParquetWriter(tmp, schema) as writer:
        for start in range(0, n, 100_000):
            m = min(100_000, n - start)
            theta = rng.normal(0.0, 1.0, m)
            p = 1.0 / (1.0 + np.exp(-a[None, :] * (theta[:, None] - b[None, :])))
            x = (rng.random((m, n_items)) < p).astype(np.int8)
            table = pa.Table.from_arrays([pa.array(x[:, j]) for j in range(n_items)], schema=schema)
            writer.write_table(table, row_group_size=65_536)
    tmp.rename(path)
    return path


def run_child(variant: str, path: Path) -> dict:
    """One timed calibration in this process; returns a JSON-able record."""
    import pandas as pd

    import pvcal

    rec: dict = {"variant": variant}
    if variant == "memory":
        t0 = time.perf_counter()
        frame = pd.read_parquet(path).astype("float64")
        rec["load_s"] = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), _cpu_s()
        cal = pvcal.calibrate(frame, model="2PL", progress=False)
        rec["seconds"], rec["cpu_s"] = time.perf_counter() - t0, _cpu_s() - c0
    elif variant == "streamed":
        t0, c0 = time.perf_counter(), _cpu_s()
        cal = pvcal.calibrate(path, model="2PL", progress=False)
        rec["seconds"], rec["cpu_s"] = time.perf_counter() - t0, _cpu_s() - c0
    elif variant == "dask":
        import dask.dataframe as dd
        from distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            w0 = client.run(_cpu_s)
            t0, c0 = time.perf_counter(), _cpu_s()
            ddf = dd.read_parquet(str(path), split_row_groups=4)  # ~262k rows a partition
            cal = pvcal.calibrate(ddf, model="2PL", progress=False)
            rec["seconds"] = time.perf_counter() - t0
            w1 = client.run(_cpu_s)
            rec["cpu_s"] = _cpu_s() - c0 + sum(w1[k] - w0[k] for k in w1)
            workers = client.run(_peak_mb)
            rec["worker_peak_mb"] = max(workers.values())
            rec["n_partitions"] = ddf.npartitions
    else:
        raise SystemExit(f"unknown variant {variant!r}")
    rec["peak_mb"] = _peak_mb()
    rec["n_iter"] = cal.n_iter
    rec["newton"] = cal.settings["newton"]
    rec["loglik"] = cal.loglik
    rec["params"] = cal.items[["a", "b", "se_a", "se_b"]].to_numpy().tolist()
    return rec


def child(variant: str, path: Path) -> dict:
    """Run one variant in a fresh process; ``NAME@2t`` runs it with ``PVCAL_THREADS=2``."""
    name, _, threads = variant.partition("@")
    env = dict(os.environ, PVCAL_THREADS=threads.rstrip("t") or "1")
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, "--path", str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    rec = json.loads(out.stdout.strip().splitlines()[-1])
    rec["variant"] = variant
    return rec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--items", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--variants",
        default="memory,streamed,dask",
        help="comma-separated; NAME@2t runs NAME with PVCAL_THREADS=2 (default 1)",
    )
    ap.add_argument("--dask-curve", default="", help="comma-separated N for a Dask scaling curve")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--path", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=str(HERE / "RESULTS_scale.md"))
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, Path(args.path))))
        return

    load0 = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    path = make_data(args.n, args.items)
    truth = np.load(CACHE / f"truth_{args.items}_20261204.npy")
    rows = []
    ref = None
    for variant in args.variants.split(","):
        recs = [child(variant, path) for _ in range(args.runs)]
        params = np.array(recs[0]["params"])
        if ref is None:
            ref = recs[0]
        rows.append(
            {
                "case": f"2PL {args.n:,} x {args.items}",
                "variant": variant,
                "median_s": statistics.median(r["seconds"] for r in recs),
                "runs_s": [round(r["seconds"], 1) for r in recs],
                "cpu_s": statistics.median(r["cpu_s"] for r in recs),
                "peak_mb": statistics.median(r["peak_mb"] for r in recs),
                "worker_peak_mb": (
                    statistics.median(r["worker_peak_mb"] for r in recs)
                    if variant.startswith("dask")
                    else None
                ),
                "load_s": statistics.median(r["load_s"] for r in recs)
                if variant.startswith("memory")
                else None,
                "n_iter": recs[0]["n_iter"],
                "step": max(recs[0]["newton"]["taken"], default=float("nan")),
                "max_diff": float(
                    np.nanmax(np.abs(params[:, :2] - np.array(ref["params"])[:, :2]))
                ),
                "loglik_rel": abs(recs[0]["loglik"] - ref["loglik"]) / abs(ref["loglik"]),
                "rmse_a": float(np.sqrt(np.mean((params[:, 0] - truth[:, 0]) ** 2))),
            }
        )
        print(rows[-1], flush=True)
    curve = []
    for n in [int(v) for v in args.dask_curve.split(",") if v]:
        p = make_data(n, args.items)
        r = child("dask", p)
        curve.append(
            (
                n,
                r["seconds"],
                r["cpu_s"],
                r["peak_mb"],
                r["worker_peak_mb"],
                r["n_partitions"],
                r["n_iter"],
                max(r["newton"]["taken"], default=float("nan")),
            )
        )
        print(curve[-1], flush=True)
    load1 = os.getloadavg()

    import numpy as _np
    import pandas as _pd

    lines = [
        "## Scale: in memory vs streamed (Parquet) vs Dask (bench/bench_scale.py)",
        "",
        f"Run {started} on {platform.machine()}, {os.cpu_count()} cores (shared with other "
        f"agents' jobs), Python {platform.python_version()}, numpy {_np.__version__}, "
        f"pandas {_pd.__version__}; load average {load0[0]:.2f} before, {load1[0]:.2f} after. "
        f"Each run is a fresh child process; medians of {args.runs} runs; CPU = user + system "
        "seconds of the calibration (all threads; for Dask, client plus both workers), the "
        "load-independent figure on a shared machine. Defaults: 61 "
        "quadrature points, tol 1e-4, SEs by cross-product. Peak RSS = the child's maximum "
        "RSS (the in-memory child holds the float64 frame; the Dask row gives the client "
        "and the largest of its 2 worker processes).",
        "",
        "| case | variant | median time (s) | runs (s) | CPU (s) | peak RSS (MB) "
        "| worker peak RSS (MB) | EM cycles | Newton step | max abs diff a, b vs first row "
        "| loglik rel. diff | RMSE a vs truth |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        extra = f" (+{r['load_s']:.1f} s load)" if r["load_s"] is not None else ""
        wp = f"{r['worker_peak_mb']:.0f}" if r["worker_peak_mb"] is not None else "—"
        lines.append(
            f"| {r['case']} | {r['variant']} | {r['median_s']:.1f}{extra} | {r['runs_s']} | "
            f"{r['cpu_s']:.1f} | "
            f"{r['peak_mb']:.0f} | {wp} | {r['n_iter']} | {r['step']:.1e} | {r['max_diff']:.1e} | "
            f"{r['loglik_rel']:.1e} | {r['rmse_a']:.4f} |"
        )
    if curve:
        lines += [
            "",
            "Dask scaling (one run each, same cluster shape):",
            "",
            "| N x items | time (s) | CPU (s) | client peak RSS (MB) | worker peak RSS (MB) "
            "| partitions | EM cycles | Newton step (max abs) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for n, sec, cpu, pm, wm, k, it, step in curve:
            lines.append(
                f"| {n:,} x {args.items} | {sec:.1f} | {cpu:.1f} | {pm:.0f} | {wm:.0f} | {k} "
                f"| {it} | {step:.1e} |"
            )
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
