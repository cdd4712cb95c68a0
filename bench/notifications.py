"""The notifications service's sending: SMS due in its outbox handed to an SMS provider, per
second.

The service runs as ``make run`` starts it (``python -m pmi_common.runner notifications``), on a
vhost and a database of its own, with the generic JSON SMS provider pointed at a fake one: a
threaded standard-library HTTP server on 127.0.0.1, in a process of its own, answering each
message 201 with an id at once. Once the service is up, ``messages`` SMS (the registration's
message, one worker each) are written to its outbox due now, in one transaction; the figure is
how many it records sent per second, from that commit to the last one recorded, at its
configured pace (``NOTIFY_SEND_SECONDS``, the deployed default unless given).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
import uuid
from pathlib import Path

import amqp
from kombu import Connection
from sqlalchemy import create_engine, func, insert, select

from services.notifications import domain as d
from services.notifications.models import messages as messages_table
from services.notifications.templates import render
from tests.servers import Servers, free_port

from .environment import Environment
from .processes import Child, wait_until

PROVIDER = """
import itertools, json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
ids = itertools.count(1)
lock = threading.Lock()
class Provider(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed ACK
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        with lock:
            number = next(ids)
        body = json.dumps({"id": f"sms-{number}"}).encode()
        self.send_response(201)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Provider)
server.daemon_threads = True
print("ready", flush=True)
server.serve_forever()
"""
TOKEN = "bench-sms-token-0123456789"
DESK = "LTSA PMI Blitar"


def outbox(count: int, now: dt.datetime) -> list[dict]:
    body = render(d.REGISTERED, d.INDONESIAN, {"name": "Siti", "desk": DESK})
    counted = d.segments(body)
    return [
        {
            "id": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
            "worker_id": str(uuid.uuid4()),
            "channel": d.SMS,
            "kind": d.REGISTERED,
            "language": d.INDONESIAN,
            "body": body,
            "address": f"+62812{n:08d}",
            "segments": counted.count,
            "encoding": counted.encoding,
            "status": d.PENDING,
            "due_at": now,
            "next_attempt_at": now,
            "attempts": 0,
            "created_at": now,
        }
        for n in range(count)
    ]


def _serving(amqp_uri: str, child: Child, log: Path) -> bool:
    if not child.alive():
        raise RuntimeError(f"the notifications service exited; see {log}")
    try:
        with Connection(amqp_uri) as connection:
            queue = connection.channel().queue_declare("rpc-notifications", passive=True)
            return queue.consumer_count > 0
    except amqp.exceptions.NotFound:
        return False


def measure(
    servers: Servers,
    log_dir: Path,
    messages: int,
    limit: float,
    send_seconds: float | None = None,
) -> dict:
    """``messages`` SMS due in the outbox sent to the fake provider: how many per second, from
    the commit that made them due to the last recorded sent (at most ``limit`` seconds)."""
    with Environment(servers) as env:
        url = env.database("notifications")
        port = free_port()
        provider = subprocess.Popen(
            [sys.executable, "-c", PROVIDER, str(port)], stdout=subprocess.PIPE, text=True
        )
        log = log_dir / "notifications-sending.log"
        child = None
        try:
            assert provider.stdout is not None and provider.stdout.readline().strip() == "ready"
            settings = {
                "AMQP_URI": env.amqp_uri,
                "NOTIFICATIONS_DATABASE_URL": url,
                "DATABASE_URL": "",
                "PMI_ENV": "development",
                "LOG_LEVEL": "WARNING",
                "METRICS_PORT": "0",
                "NOTIFY_SMS_PROVIDER": "json",
                "NOTIFY_SMS_URL": f"http://127.0.0.1:{port}/v1/messages",
                "NOTIFY_SMS_TOKEN": TOKEN,
                "NOTIFY_DESK": DESK,
            }
            if send_seconds is not None:
                settings["NOTIFY_SEND_SECONDS"] = str(send_seconds)
            child = Child("pmi_common.runner", "notifications", env=settings, log=log).start()
            started = time.monotonic()
            wait_until(lambda: _serving(env.amqp_uri, child, log), 120, "the notifications service")
            startup = time.monotonic() - started
            engine = create_engine(url)
            try:
                return {
                    **_drain(engine, messages, limit),
                    "startup_seconds": round(startup, 1),
                    "send_seconds": send_seconds,
                    "peak_rss_mb": child.peak_rss_mb(),
                }
            finally:
                engine.dispose()
        finally:
            if child is not None:
                child.stop()
            provider.terminate()
            provider.wait()


def _drain(engine, messages: int, limit: float) -> dict:
    due = outbox(messages, dt.datetime.now(dt.UTC))
    sent_query = select(func.count()).where(messages_table.c.status == d.SENT)
    with engine.begin() as conn:
        conn.execute(insert(messages_table), due)
    committed = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    deadline = started + limit
    sent = 0
    while time.perf_counter() < deadline:
        with engine.connect() as conn:
            sent = conn.execute(sent_query).scalar() or 0
        if sent >= messages:
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    with engine.connect() as conn:
        last = conn.execute(select(func.max(messages_table.c.sent_at))).scalar()
    # the last message's own record of when it was sent, rather than when the poll saw it
    if sent >= messages and last is not None:
        seconds = max((last - committed).total_seconds(), 1e-3)
    return {
        "messages": messages,
        "sent": sent,
        "finished": sent >= messages,
        "seconds": round(seconds, 2),
        "per_second": round(sent / seconds, 1) if seconds else None,
        "limit_seconds": limit,
    }
