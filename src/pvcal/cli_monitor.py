"""``pvcal monitor``: the platform monitor (Art. 20) on the command line.

Registered on the ``pvcal`` parser by :mod:`pvcal.cli`; the work is
:func:`pvcal.publish.monitor.monitor`.

Exit status: 0, or 1 with ``--check`` when there is an alert or a file that
could not be read (for schedulers); 2 for a pvcal error (bad config, no
registry, a registry table that cannot be read), as every command.
``monitoring.html`` is in ``--lang`` (default: the ``locale`` of the published
rules when every unit has the same, else zh-CN); ``monitoring.json`` and the
printed alerts are language-neutral (alert kinds, English messages).

Examples
--------
.. code-block:: console

    $ pvcal monitor --reports reports                       # writes reports/monitoring/
    $ pvcal monitor --reports reports --check --config monitoring.yml
    $ pvcal monitor --reports reports --lang en             # the page in English
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_commands", "run"]


def add_commands(sub: Any) -> None:
    """Add ``monitor`` to the ``pvcal`` sub-command parsers."""
    mon = sub.add_parser(
        "monitor", help="runs, volumes, convergence, drift, DIF and integrity alerts (Art. 20)"
    )
    mon.add_argument("--reports", default="reports", help="reports folder (holds the registry)")
    mon.add_argument(
        "--out", default=None, help="folder for monitoring.html/.json (default REPORTS/monitoring)"
    )
    mon.add_argument(
        "--config",
        default=None,
        help="alert thresholds, YAML (default: REPORTS/monitoring.yml if present, else built in)",
    )
    mon.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when there is an alert or a file could not be read (for schedulers)",
    )
    mon.add_argument(
        "--lang",
        choices=("zh-CN", "en"),
        default=None,
        help="language of monitoring.html (default: the published rules' locale, else zh-CN)",
    )


def run(args: argparse.Namespace) -> int:
    """Check, write both files, print one line per alert and per unreadable file.

    Returns 1 with ``--check`` when there is either (the report is not ``ok``).
    """
    from .publish.monitor import load_config, monitor, write_monitoring

    reports = Path(args.reports)
    config = args.config
    if config is None and (reports / "monitoring.yml").is_file():
        config = reports / "monitoring.yml"
    result = monitor(reports, load_config(config))
    out = Path(args.out) if args.out else reports / "monitoring"
    _, page = write_monitoring(result, out, lang=args.lang)
    for a in result.alerts:
        where = " ".join(x for x in (a.discipline, a.period) if x)
        print(f"alert {a.kind:<15} {where}: {a.message}")
    for note in result.notes:
        print(note)
    unread = f", {len(result.notes)} could not be read" if result.notes else ""
    print(f"{len(result.runs)} run(s), {len(result.alerts)} alert(s){unread} -> {page}")
    return 1 if (args.check and not result.ok) else 0
