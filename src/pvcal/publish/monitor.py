"""The platform monitor (Art. 20): runs, data volumes, convergence, drift, DIF, cases.

:func:`monitor` reads the registry's run records and audit log and the
published files under a reports folder and writes ``monitoring.json`` and
``monitoring.html``: one row per publishing run (discipline, period, start,
duration, outcome, responses, EM iterations, convergence) and a list of alerts
(kind, discipline, period, message) from thresholds in a validated
:class:`MonitorConfig` (defaults, or a YAML file).  ``pvcal monitor --check``
exits non-zero when there is an alert.

Alert sources are pluggable (:data:`ALERT_SOURCES`): run failures and
durations, data volumes, convergence, item drift (:mod:`pvcal.drift`), DIF C
items (whatever the DIF step publishes), pass-rate changes and open integrity
cases (when the registry has a cases table).

Work in progress (skeleton).
"""

from __future__ import annotations

__all__: list[str] = []
