"""``python -m tests.reliability.run --workers 2000``: the large fault-injection run.

It starts a RabbitMQ and a PostgreSQL of its own (``tests/servers.py``) and restarts those, never
the machine's. Prints the figures the reliability section of the docs reports.
"""

from __future__ import annotations

import argparse
import signal
import tempfile
from pathlib import Path

import tests.conftest  # noqa: F401 - eventlet's monkey patching comes first
from tests.reliability.faults import run
from tests.servers import private_servers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--fault-interval", type=float, default=20.0, help="seconds between faults")
    args = parser.parse_args()
    # SIGTERM stops the run as Ctrl-C does: the platform's processes stop, its state goes
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    log_dir = Path(tempfile.mkdtemp(prefix="pmi-faults-"))
    with private_servers() as servers:
        report = run(servers, args.workers, args.fault_interval, args.concurrency, log_dir)
    print("\n".join(report.lines()))
    print(f"logs: {log_dir}")
    findings = report.findings
    if (
        findings.lost
        or findings.duplicated_effects
        or report.journey_failures
        or set(findings.final_statuses) != {"reintegrated"}
    ):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
