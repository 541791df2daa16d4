"""Command line: ``pvcal publish``, ``pvcal appeal`` and ``pvcal rules apply-proposal``.

Examples
--------
.. code-block:: console

    $ pvcal publish --all                          # every discipline under data/sample
    $ pvcal publish --discipline qms-auditor --period 2025H2
    $ pvcal appeal --discipline qms-auditor --application QMS25H1-0001
    $ pvcal monitor --reports reports --check       # alerts of the platform monitor
    $ pvcal rules apply-proposal data/sample/qms-auditor/proposals/cuts-20250701T120000Z.yml
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``pvcal`` command."""
    parser = argparse.ArgumentParser(
        prog="pvcal", description="Publish benchmark indices and write appeal sheets."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    pub = sub.add_parser("publish", help="run the notebooks, render reports, record the run")
    which = pub.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--discipline", action="append", metavar="D", help="discipline name or folder (repeatable)"
    )
    which.add_argument("--all", action="store_true", help="every discipline under --data")
    pub.add_argument("--period", metavar="P", help="only this period (default: all)")
    pub.add_argument("--data", default="data/sample", help="folder of discipline folders")
    pub.add_argument("--reports", default="reports", help="reports folder (holds the registry)")
    pub.add_argument(
        "--notebooks",
        default=None,
        help="notebook folder (default: the notebooks shipped with pvcal)",
    )
    pub.add_argument(
        "--kernel",
        default=None,
        help="Jupyter kernel name (default $PVCAL_KERNEL, else this Python)",
    )
    pub.add_argument("--seed", type=int, default=None, help="seed of every random step")
    pub.add_argument("--force", action="store_true", help="run even if inputs are unchanged")
    pub.add_argument("--no-industry", action="store_true", help="skip the industry report")
    pub.add_argument("--quiet", action="store_true", help="no progress bar")
    pub.add_argument(
        "--lang",
        choices=("zh-CN", "en"),
        default=None,
        help="language of the pages (default: each discipline's rules locale)",
    )
    pub.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="disciplines published side by side (default: 2, or 1 on one core)",
    )

    app = sub.add_parser("appeal", help="write a candidate's appeal sheet (HTML)")
    app.add_argument("--discipline", required=True, metavar="D")
    app.add_argument("--application", required=True, metavar="ID", help="raw application id")
    app.add_argument("--reports", default="reports", help="reports folder (holds the registry)")
    app.add_argument("--out", default=None, help="output file (default reports/appeals/...)")
    app.add_argument(
        "--lang",
        choices=("zh-CN", "en"),
        default=None,
        help="page language (default: the rules' locale recorded with the index, else zh-CN)",
    )

    rules = sub.add_parser("rules", help="change a discipline's rules file (audited)")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    apply = rules_sub.add_parser(
        "apply-proposal", help="apply a threshold-tuner cut proposal to rules.yml"
    )
    apply.add_argument("proposal", metavar="FILE", help="<discipline>/proposals/cuts-*.yml")
    apply.add_argument("--rules", default=None, help="rules file (default: beside proposals/)")
    apply.add_argument("--reports", default="reports", help="reports folder (holds the registry)")
    apply.add_argument("--by", default=None, help="who applies it (default $USER)")

    from .cli_integrity import add_commands

    add_commands(sub)  # certificate {list,verify,revoke,revoked}, cases {list,show,decide}

    from .cli_monitor import add_commands as add_monitor

    add_monitor(sub)  # monitor --reports DIR [--check] [--out DIR] [--config FILE]
    from .registry_backends import add_registry_option

    add_registry_option(parser)  # --registry wherever --reports is
    return parser


def _publish(args: argparse.Namespace) -> int:
    from .publish import publish

    outcomes = publish(
        args.data,
        disciplines=None if args.all else args.discipline,
        period=args.period,
        reports_dir=args.reports,
        notebooks=args.notebooks,
        kernel=args.kernel,
        seed=args.seed,
        force=args.force,
        industry=not args.no_industry,
        progress=not args.quiet,
        jobs=args.jobs,
        lang=args.lang,
    )
    failed = 0
    for o in outcomes:
        what = " ".join(x for x in (o.discipline, o.period) if x) or "industry report"
        where = f" -> {o.path}" if o.path else ""
        print(f"{o.outcome:>9}  {what}{where}" + (f"\n           {o.message}" if o.message else ""))
        failed += not o.ok
    if failed:
        print(
            f"pvcal publish: {failed} unit(s) failed; nothing of them was published "
            "(see reports/_failed/)",
            file=sys.stderr,
        )
    return 1 if failed else 0


def _rules(args: argparse.Namespace) -> int:
    from .publish.proposals import apply_proposal

    path = apply_proposal(
        args.proposal, rules_file=args.rules, reports_dir=args.reports, actor=args.by
    )
    print(f"applied {args.proposal} to {path} (recorded in the audit log of {args.reports})")
    return 0


def _appeal(args: argparse.Namespace) -> int:
    from .report.appeal import write_appeal_sheet

    path = write_appeal_sheet(
        args.discipline,
        args.application,
        reports_dir=args.reports,
        out=None if args.out is None else Path(args.out),
        lang=args.lang,
    )
    print(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pvcal`` command; returns the exit status.

    Errors of pvcal (bad input, registry refusals) print one line and exit 2.
    """
    from ._validation import PvcalError

    args = build_parser().parse_args(argv)
    from .registry_backends import use_registry_option

    use_registry_option(args)  # --registry -> PVCAL_REGISTRY (notebooks inherit it)
    try:
        if args.command == "publish":
            return _publish(args)
        if args.command == "monitor":
            from .cli_monitor import run as run_monitor

            return run_monitor(args)
        if args.command == "rules":
            return _rules(args)
        if args.command in ("certificate", "cases"):
            from .cli_integrity import run

            return run(args)
        return _appeal(args)
    except PvcalError as exc:
        print(f"pvcal {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
