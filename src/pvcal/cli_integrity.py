"""``pvcal certificate {list,verify,revoke,revoked}`` and ``pvcal cases {list,show,decide}``.

Registered on the ``pvcal`` parser by :mod:`pvcal.cli`. Every command reads the
registry of ``--reports DIR`` (``DIR/registry.sqlite``).

Exit status of ``certificate verify``: 0 valid; 3 revoked; 4 expired;
5 unknown number; 6 wrong code; 7 record altered (does not match its code);
2 for a pvcal error (as every command).

Examples
--------
.. code-block:: console

    $ pvcal certificate list --discipline qms-auditor --period 2025H1 --format json
    $ pvcal certificate verify qms-auditor-2025H1-00001 3F2A-9C01-77BE-0D4C
    $ pvcal certificate revoke qms-auditor-2025H1-00001 --reason "copying confirmed" --case 3
    $ pvcal certificate revoked --format html > revoked.html
    $ pvcal cases list --status open
    $ pvcal cases show 3 --lang en
    $ pvcal cases decide 3 --status under_review --reviewer "R. Li" --reason "assigned"
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_commands", "run", "VERIFY_EXIT"]

#: Exit status of ``pvcal certificate verify`` per outcome.
VERIFY_EXIT = {
    "valid": 0,
    "revoked": 3,
    "expired": 4,
    "unknown": 5,
    "wrong_code": 6,
    "altered": 7,
}


def add_commands(sub: Any) -> None:
    """Add the ``certificate`` and ``cases`` sub-commands to the ``pvcal`` parser."""
    cert = sub.add_parser("certificate", help="list, verify and revoke certificates (Art. 14, 22)")
    csub = cert.add_subparsers(dest="action", required=True)

    def reports(p: argparse.ArgumentParser) -> None:
        p.add_argument("--reports", default="reports", help="reports folder (holds the registry)")

    p = csub.add_parser("list", help="certificates of a discipline (and period)")
    p.add_argument("--discipline", required=True, metavar="D")
    p.add_argument("--period", metavar="P")
    p.add_argument("--format", choices=("json", "csv"), default="json")
    reports(p)

    p = csub.add_parser("verify", help="check a certificate number and its verification code")
    p.add_argument("number")
    p.add_argument("code")
    reports(p)

    p = csub.add_parser("revoke", help="revoke a certificate (a reason is required)")
    p.add_argument("number")
    p.add_argument("--reason", required=True, help="why (kept in the registry, not published)")
    p.add_argument("--case", type=int, default=None, metavar="N", help="confirmed case behind it")
    p.add_argument(
        "--category",
        choices=("fraud", "error", "other"),
        default=None,
        help="published reason category (default: fraud with --case, else other)",
    )
    p.add_argument("--by", default=None, help="who revokes (default: the login name)")
    reports(p)

    p = csub.add_parser("revoked", help="the public revocation notice")
    p.add_argument("--format", choices=("json", "csv", "html"), default="json")
    p.add_argument("--discipline", metavar="D", default=None)
    p.add_argument(
        "--data",
        default="data/sample",
        help="folder of discipline folders: rules.yml says which fields the notice shows",
    )
    p.add_argument(
        "--lang",
        choices=("zh-CN", "en"),
        default=None,
        help="language of --format html (default: the rules' locale when all agree, else zh-CN)",
    )
    reports(p)

    cases = sub.add_parser("cases", help="integrity cases: list, show, decide (Art. 14)")
    ksub = cases.add_subparsers(dest="action", required=True)
    p = ksub.add_parser("list", help="cases and their current state")
    p.add_argument("--discipline", metavar="D", default=None)
    p.add_argument("--period", metavar="P", default=None)
    p.add_argument(
        "--status", choices=("open", "under_review", "cleared", "confirmed"), default=None
    )
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    reports(p)

    p = ksub.add_parser(
        "show", help="write the pseudonymised case page (and the case list) and print its path"
    )
    p.add_argument("case", type=int)
    p.add_argument("--out", default=None, help="output file (default reports/cases/case-N.html)")
    p.add_argument(
        "--lang",
        choices=("zh-CN", "en"),
        default=None,
        help="page language (default: the rules' locale recorded with the index, else zh-CN)",
    )
    reports(p)

    p = ksub.add_parser("decide", help="move a case: under_review, cleared or confirmed")
    p.add_argument("case", type=int)
    p.add_argument("--status", required=True, choices=("under_review", "cleared", "confirmed"))
    p.add_argument("--reviewer", required=True)
    p.add_argument("--reason", required=True)
    reports(p)


def _registry(reports: str):
    from ._validation import RegistryError
    from .registry import Registry, registry_path

    path = registry_path(reports)
    if not path.is_file():
        raise RegistryError(f"no registry at {path} (publish first, or give --reports)")
    return Registry(path)


def _actor(name: str | None) -> str:
    if name and name.strip():
        return name.strip()
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name on this system
        return "cli"


def _notice_fields(data: str, disciplines: list[str]) -> list[str]:
    """Fields every listed discipline's rules allow on the public notice (intersection)."""
    from .rules import NOTICE_FIELDS
    from .rules import load as load_rules

    allowed = set(NOTICE_FIELDS)
    for d in disciplines:
        rules = Path(data) / d / "rules.yml"
        if not rules.is_file():
            continue
        allowed &= set(load_rules(rules).certificates.public_notice)
    return [f for f in NOTICE_FIELDS if f in allowed]


def _notice_lang(data: str, disciplines: list[str]) -> str | None:
    """The ``locale`` of the listed disciplines' rules when they all agree, else None."""
    from .rules import load as load_rules

    found = {
        load_rules(Path(data) / d / "rules.yml").locale
        for d in disciplines
        if (Path(data) / d / "rules.yml").is_file()
    }
    return found.pop() if len(found) == 1 else None


def _case_lang(reg, case: dict[str, Any]) -> str | None:
    """The ``locale`` recorded with the case's published index (as ``pvcal appeal``)."""
    idx = reg.current_index(case["discipline"], case["period"])
    return None if idx is None else idx["record"].get("locale")


def _emit(frame, fmt: str) -> None:
    if fmt == "json":
        from .serialize import dumps

        print(dumps(frame.to_dict("records"), indent=1))
    elif fmt == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    else:
        print(frame.to_string(index=False) if len(frame) else "(none)")


def run(args: argparse.Namespace) -> int:
    """Run a ``certificate`` or ``cases`` command; returns the exit status."""
    from . import certificates as certs

    with _registry(args.reports) as reg:
        if args.command == "certificate":
            if args.action == "list":
                _emit(certs.listing(reg, args.discipline, args.period), args.format)
                return 0
            if args.action == "verify":
                v = certs.verify(reg, args.number, args.code)
                print(f"{v.status}: {v.message}", file=sys.stdout if v.ok else sys.stderr)
                return VERIFY_EXIT[v.status]
            if args.action == "revoke":
                certs.revoke(
                    reg,
                    args.number,
                    reason=args.reason,
                    actor=_actor(args.by),
                    category=args.category,
                    case_id=args.case,
                )
                print(f"revoked: certificate {args.number}")
                return 0
            # revoked: the public notice
            present = sorted(set(reg.certificates(args.discipline)["discipline"]))
            fields = _notice_fields(args.data, present)
            notice = certs.revocation_notice(reg, fields, discipline=args.discipline)
            if args.format == "html":
                from .report.case import render_revocation_notice

                lang = args.lang or _notice_lang(args.data, present)
                print(render_revocation_notice(notice, fields, lang=lang))
            else:
                _emit(notice, args.format)
            return 0
        # cases
        if args.action == "list":
            _emit(reg.cases(args.discipline, args.period, args.status), args.format)
            return 0
        if args.action == "show":
            from .report.case import render_case_list, render_case_page

            case = reg.case(args.case)
            out = (
                Path(args.out)
                if args.out
                else Path(args.reports) / "cases" / f"case-{args.case}.html"
            )
            out.parent.mkdir(parents=True, exist_ok=True)
            lang = args.lang or _case_lang(reg, case)
            out.write_text(render_case_page(case, lang=lang), encoding="utf-8")
            # the reviewers' list beside it (pseudonyms only, like the page)
            (out.parent / "index.html").write_text(
                render_case_list(reg.cases(), lang=lang), encoding="utf-8"
            )
            ev = case["evidence"]
            print(
                json.dumps(
                    {
                        "case_id": case["case_id"],
                        "discipline": case["discipline"],
                        "period": case["period"],
                        "application": case["application"],
                        "kind": case["kind"],
                        "status": case["status"],
                        "strongest_partner": ev.get("strongest_partner"),
                        "page": str(out),
                    },
                    ensure_ascii=False,
                )
            )
            return 0
        reg.decide_case(args.case, args.status, reviewer=args.reviewer, reason=args.reason)
        print(f"case {args.case}: {args.status}")
        return 0
