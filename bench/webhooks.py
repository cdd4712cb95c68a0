"""``python -m bench.webhooks``: how fast the agencies service's webhook dispatcher delivers to
local receivers, and what one dead endpoint costs the others.

On a PostgreSQL cluster of its own (the gateway's schema), it queues deliveries for several
endpoints (events spread over many workers, as live traffic is), runs the real dispatcher
(``services.agencies.webhook_delivery``) in this process, and counts deliveries per second until
every live endpoint has everything. The receivers run in a process of their own (a threaded
standard-library server answering 204 at once). Phases: one endpoint; four endpoints; four
endpoints beside a fifth whose receiver never answers (each attempt waits out the timeout).
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402 - as the agencies service runs

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from pmi_common.migrations import upgrade  # noqa: E402
from pmi_common.production import DEVELOPMENT_WEBHOOK_SECRET_KEY  # noqa: E402
from pmi_common.published import Agreement  # noqa: E402
from pmi_common.sealing import Sealer  # noqa: E402
from services.agencies import domain  # noqa: E402
from services.agencies.agreement_repository import AgreementRepository  # noqa: E402
from services.agencies.models import webhook_deliveries  # noqa: E402
from services.agencies.webhook_delivery import WebhookDispatcher, WebhookSettings  # noqa: E402
from services.agencies.webhook_repository import WebhookRepository  # noqa: E402
from tests.servers import free_port, postgresql  # noqa: E402

warnings.filterwarnings("ignore")

RECEIVERS = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading, time
class Fast(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(204); self.send_header("content-length", "0"); self.end_headers()
    def log_message(self, *a): pass
class Dead(Fast):
    def do_POST(self):
        time.sleep(3600)
fast = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Fast)
dead = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Dead)
fast.daemon_threads = dead.daemon_threads = True
threading.Thread(target=dead.serve_forever, daemon=True).start()
print("ready", flush=True)
fast.serve_forever()
"""
PUBLISHED = {
    "event_type": "worker_departed",
    "event_version": 1,
    "source": "registration",
    "correlation_id": None,
    "actor": None,
    "data": {"departed_on": "2026-12-01", "employer": "Chan Tai Man"},
}


def queue(engine, endpoint: domain.Endpoint, events: int, workers: int) -> None:
    now = dt.datetime.now(dt.UTC)
    rows = []
    for n in range(events):
        worker = f"00000000-0000-4000-8000-{n % workers:012d}"
        event_id = str(uuid.uuid4())
        rows.append(
            {
                "endpoint_id": endpoint.id,
                "agency": endpoint.agency,
                "worker_id": worker,
                "order_key": worker,
                "occurred_at": now + dt.timedelta(microseconds=n),
                "sequence": n // workers + 1,
                "event_id": event_id,
                "event_type": "worker_departed",
                "envelope": {
                    **PUBLISHED,
                    "event_id": event_id,
                    "worker_id": worker,
                    "sequence": n // workers + 1,
                    "occurred_at": now.isoformat(),
                },
                "state": domain.PENDING,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(webhook_deliveries), rows)


def delivered(engine, endpoints: list[domain.Endpoint]) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).where(
                webhook_deliveries.c.state == domain.DELIVERED,
                webhook_deliveries.c.endpoint_id.in_([e.id for e in endpoints]),
            )
        ).scalar()


def phase(
    url: str,
    fast_port: int,
    dead_port: int,
    live: int,
    dead: int,
    events: int,
    workers: int,
    timeout: float,
) -> dict:
    engine = create_engine(url, pool_size=20)
    with engine.begin() as conn:
        for table in ("webhook_attempts", "webhook_deliveries", "webhook_endpoints", "disclosures"):
            conn.execute(text(f"DELETE FROM {table}"))
    webhooks = WebhookRepository(engine, Sealer(DEVELOPMENT_WEBHOOK_SECRET_KEY))
    now = dt.datetime.now(dt.UTC)
    live_endpoints = [
        webhooks.add(
            "bench", f"http://127.0.0.1:{fast_port}/hook/{n}", ("worker_departed",), "bench", now
        )[0]
        for n in range(live)
    ]
    dead_endpoints = [
        webhooks.add(
            "bench", f"http://127.0.0.1:{dead_port}/hook", ("worker_departed",), "bench", now
        )[0]
        for _ in range(dead)
    ]
    for endpoint in live_endpoints + dead_endpoints:
        queue(engine, endpoint, events, workers)
    settings = WebhookSettings.from_config(
        {"WEBHOOK_ALLOWED_TARGETS": "127.0.0.1", "WEBHOOK_TIMEOUT": str(timeout)}
    )
    dispatcher = WebhookDispatcher(webhooks, AgreementRepository(engine), settings)
    thread = eventlet.spawn(dispatcher.run)
    started = time.perf_counter()
    target = events * live
    while delivered(engine, live_endpoints) < target:
        eventlet.sleep(0.05)
    seconds = time.perf_counter() - started
    dead_attempts = 0
    if dead_endpoints:
        with engine.connect() as conn:
            dead_attempts = conn.execute(
                text("SELECT count(*) FROM webhook_attempts WHERE endpoint_id = :e"),
                {"e": dead_endpoints[0].id},
            ).scalar()
    dispatcher.stop()
    thread.kill()
    engine.dispose()
    return {
        "live_endpoints": live,
        "dead_endpoints": dead,
        "events_per_endpoint": events,
        "workers": workers,
        "seconds": round(seconds, 2),
        "deliveries_per_second": round(target / seconds, 1),
        "dead_endpoint_attempts": dead_attempts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.add_argument("--events", type=int, default=1000, help="per endpoint (1000)")
    parser.add_argument("--workers", type=int, default=200, help="workers they are about")
    parser.add_argument(
        "--timeout",
        type=float,
        default=2.0,
        help="WEBHOOK_TIMEOUT: how long each attempt at the dead endpoint waits",
    )
    parser.add_argument(
        "--results", type=Path, default=Path(__file__).with_name("results") / "webhooks.json"
    )
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="pmi-bench-webhooks-"))
    os.chmod(root, 0o755)
    fast_port, dead_port = free_port(), free_port()
    receivers = subprocess.Popen(
        [sys.executable, "-c", RECEIVERS, str(fast_port), str(dead_port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert receivers.stdout.readline().strip() == "ready"
        with postgresql(root) as database:
            admin = create_engine(database.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text('CREATE DATABASE "bench_webhooks"'))
            admin.dispose()
            url = database.url("bench_webhooks")
            upgrade("agencies", url)
            engine = create_engine(url)
            AgreementRepository(engine).put(
                Agreement(
                    agency="bench",
                    fields={"worker_departed": ("departed_on", "employer")},
                    purpose="bench",
                    legal_basis="public_task",
                    approved_by="bench",
                    valid_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                ),
                "bench",
                dt.datetime.now(dt.UTC),
            )
            engine.dispose()
            results = {}
            for name, live, dead in (
                ("one_endpoint", 1, 0),
                ("four_endpoints", 4, 0),
                ("four_beside_a_dead_one", 4, 1),
            ):
                results[name] = phase(
                    url, fast_port, dead_port, live, dead, args.events, args.workers, args.timeout
                )
                print(json.dumps({name: results[name]}), flush=True)
    finally:
        receivers.terminate()
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
