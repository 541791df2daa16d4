"""Benchmark pvcal's linking and equating, beside EqUMP where it does the same job.

Fair by construction (issue 9, item 8): every process (this one and EqUMP's)
starts with OMP/OPENBLAS/MKL/BLIS/NUMEXPR/RAYON ``*_NUM_THREADS=1`` set before
numpy is imported and times inside ``threadpoolctl.threadpool_limits(1)``; every
tool gets one warm-up run and then the same ``--repeats`` timed runs (default 3),
reported as the median. Both linking implementations minimise the same
criterion on the same grid to the same tolerance: EqUMP has no tolerance option
(BFGS with ``gtol=1e-6`` hard-coded), so pvcal's ``link(..., tol=1e-6)`` is set
to the same gradient tolerance in every timed row.

What is timed (wall clock, ``time.perf_counter``):

1. Haebara and Stocking-Lord linking with pvcal on 50 simulated 3PL anchors
   (D = 1, 40 equally spaced θ in [-4, 4], uniform weights, one direction),
   and on the 12 common items of Kolen & Brennan (2014) chapter 6.
2. Bootstrap standard errors of unsmoothed equipercentile equating with 1,000
   replications on K&B's ACT Mathematics data.
3. If EqUMP is importable in the peers' virtualenv (``make bench`` creates
   ``bench/.venv-peers``; it is never installed into ``.venv``), EqUMP's
   ``haebara`` and ``stocking_lord`` on the same 12 K&B items and settings,
   run in that interpreter, side by side.

Run::

    .venv/bin/python bench/bench_equating.py [--peers-python bench/.venv-peers/bin/python] [--write]

``--write`` replaces bench/RESULTS_equating.md with the table printed.
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
import textwrap  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pvcal.equating.linking import link, transform_items  # noqa: E402
from pvcal.equating.observed import equate  # noqa: E402

DEFAULT_PEERS = ROOT / "bench" / ".venv-peers" / "bin" / "python"
LINK_TOL = 1e-6  # EqUMP's BFGS gtol (hard-coded there)

REF = ROOT / "tests" / "equating" / "reference"


def median_time(fn, repeat: int) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls after one warm-up call, on one thread."""
    with threadpool_limits(limits=1):
        out = fn()  # warm-up (imports, caches)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def kb_forms():
    df = pd.read_csv(REF / "kb_irt_common_items.csv")

    def frame(form):
        d = df[df["form"] == form]
        ids = [f"C{i}" if c else f"{form}-{i}" for i, c in zip(d["item"], d["common"], strict=True)]
        return pd.DataFrame(d[["a", "b", "c"]].to_numpy(float), index=ids, columns=["a", "b", "c"])

    return frame("Y_old"), frame("X_new")


def simulated_anchors(n=50, seed=2026):
    rng = np.random.default_rng(seed)
    base = pd.DataFrame(
        {"a": rng.lognormal(0, 0.3, n), "b": rng.normal(0, 1, n), "c": rng.uniform(0.1, 0.25, n)},
        index=[f"A{j:02d}" for j in range(n)],
    )
    new = transform_items(base, 1 / 1.15, 0.3)  # another scale ...
    new["a"] *= rng.lognormal(0, 0.05, n)  # ... plus estimation noise
    new["b"] += rng.normal(0, 0.08, n)
    return base, new


EQUMP_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np
    from threadpoolctl import threadpool_limits
    from EqUMP.base import IRF
    from EqUMP.linking import haebara, stocking_lord
    data = json.loads(sys.stdin.read())
    def coll(rows):
        return {r["id"]: IRF({"a": r["a"], "b": r["b"], "c": r["c"]}, "3PL", D=1.0) for r in rows}
    new, old = coll(data["new"]), coll(data["old"])
    ids = [r["id"] for r in data["new"]]
    nodes = np.linspace(-4, 4, 40); w = np.ones(40)
    quad = {"nodes_new": nodes, "weights_new": w, "nodes_old": nodes, "weights_old": w}
    out = {}
    def run(fn):
        return fn(new, old, ids, ids, quadrature="custom", custom_quadrature=quad,
                  symmetry=False)
    with threadpool_limits(limits=1):
        for name, fn in (("haebara", haebara), ("stocking-lord", stocking_lord)):
            run(fn)  # warm-up, as for pvcal
            times = []
            for _ in range(data["repeat"]):
                t0 = time.perf_counter()
                A, B = run(fn)
                times.append(time.perf_counter() - t0)
            out[name] = {"median_s": float(np.median(times)), "runs": len(times), "A": A, "B": B}
    print(json.dumps(out))
    """
)


def run_eqump(python: str, base: pd.DataFrame, new: pd.DataFrame, repeat: int):
    common = [i for i in base.index if i in new.index]

    def rows(f):
        return [{"id": i, **{k: float(f.loc[i, k]) for k in "abc"}} for i in common]

    payload = json.dumps({"new": rows(new), "old": rows(base), "repeat": repeat})
    proc = subprocess.run(
        [python, "-c", EQUMP_SCRIPT],
        input=payload,
        capture_output=True,
        text=True,
        timeout=3000,
        env={**os.environ, **THREAD_ENV},
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    version = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('eqump'))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return json.loads(proc.stdout), version


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peers-python", default=str(DEFAULT_PEERS))
    ap.add_argument(
        "--repeats", type=int, default=3, help="timed runs after a warm-up, every tool (>= 3)"
    )
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    if args.repeats < 3:
        ap.error("--repeats must be at least 3 (a median of at least 3 for every tool)")

    rows = []
    b50, n50 = simulated_anchors()
    kb_base, kb_new = kb_forms()
    for label, base, new in (
        ("50 simulated 3PL anchors", b50, n50),
        ("K&B ch. 6, 12 common items", kb_base, kb_new),
    ):
        for method in ("haebara", "stocking-lord"):
            t, lk = median_time(
                lambda m=method, b=base, n=new: link(b, n, method=m, tol=LINK_TOL), args.repeats
            )
            rows.append(
                {
                    "task": f"{method} linking, {label}",
                    "tool": "pvcal",
                    "median_s": t,
                    "runs": args.repeats,
                    "result": f"A={lk.A:.6f} B={lk.B:.6f}",
                }
            )

    act = pd.read_csv(REF / "actmath.csv")
    fx = pd.Series(act["xcount"].to_numpy(), index=act["scale"].to_numpy())
    fy = pd.Series(act["ycount"].to_numpy(), index=act["scale"].to_numpy())
    t, eq = median_time(
        lambda: equate(fx, fy, "equipercentile", se="bootstrap", n_boot=1000, seed=1),
        args.repeats,
    )
    rows.append(
        {
            "task": "equipercentile + 1,000 bootstrap SEs, ACTmath (K&B ch. 2)",
            "tool": "pvcal",
            "median_s": t,
            "runs": args.repeats,
            "result": f"se(20)={eq.table.loc[20, 'se']:.4f}",
        }
    )

    eqump_note = ""
    if os.path.exists(args.peers_python):
        try:
            res, version = run_eqump(args.peers_python, kb_base, kb_new, args.repeats)
            for method, r in res.items():
                ours = next(
                    x for x in rows if x["task"] == f"{method} linking, K&B ch. 6, 12 common items"
                )
                rows.append(
                    {
                        "task": f"{method} linking, K&B ch. 6, 12 common items",
                        "tool": f"EqUMP {version}",
                        "median_s": r["median_s"],
                        "runs": r["runs"],
                        "result": f"A={r['A']:.6f} B={r['B']:.6f}",
                        "ratio": r["median_s"] / ours["median_s"],
                    }
                )
        except Exception as exc:  # pragma: no cover - depends on the other venv
            eqump_note = f"EqUMP could not be run: {exc!r}"
    else:
        eqump_note = (
            f"EqUMP not run: no peers' interpreter at {args.peers_python} (`make bench` creates "
            "it)."
        )

    table = pd.DataFrame(rows)
    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} logical CPUs "
        f"(shared with other jobs while measured), Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}; load average at the end "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(machine)
    print(table.to_string(index=False))
    if eqump_note:
        print(eqump_note)
    if args.write:
        md = [
            "## Linking and equating (bench/bench_equating.py)",
            "",
            f"Machine: {machine}.",
            "",
            "Settings: D = 1, 40 equally spaced θ on [-4, 4], uniform weights, "
            "non-symmetric criterion, gradient tolerance 1e-6 for both tools (EqUMP's is "
            f"hard-coded; pvcal `tol=1e-6`). Every tool: one warm-up run, then the median of "
            f"{args.repeats} timed runs, one thread (`*_NUM_THREADS=1` before import and "
            "`threadpool_limits(1)` in each process); each pvcal time includes input checks "
            "and anchor matching.",
            "",
            _markdown(table),
            "",
        ]
        if eqump_note:
            md += [eqump_note, ""]
        md += [
            "Notes:",
            "",
            "- The K&B chapter 6 constants agree with plink (Weeks, 2010) to 1e-6 "
            "(Haebara 1.112133, -0.465667; Stocking-Lord 1.119231, -0.485545).",
            "- EqUMP (PyPI, installed by `make bench` into bench/.venv-peers, never into .venv) "
            "ran in its own interpreter on the same 12 items with the same grid and uniform "
            "weights (`quadrature='custom'`, `symmetry=False`, D = 1); `ratio` is its median "
            "over pvcal's median for the same task.",
            "- pvcal's characteristic-curve methods use analytic gradients (BFGS on log A, B, "
            "then Newton polishing); EqUMP's use finite differences over Python loops.",
            "- Other jobs shared the two cores while this ran, so absolute times are "
            "pessimistic; the ratios are the robust part.",
            "",
        ]
        (ROOT / "bench" / "RESULTS_equating.md").write_text("\n".join(md))
    return table


def _markdown(table: pd.DataFrame) -> str:
    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in table.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if c == "median_s":
                cells.append(f"{v * 1000:.2f} ms" if v < 1 else f"{v:.2f} s")
            elif c == "ratio":
                cells.append("" if pd.isna(v) else f"{v:,.0f}× slower than pvcal")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
