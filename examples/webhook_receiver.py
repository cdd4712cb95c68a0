"""A partner agency's webhook receiver for the platform's lifecycle events.

    WEBHOOK_SECRET='whsec_...' python examples/webhook_receiver.py --port 8080 --state bpjs.sqlite

It needs only the official Standard Webhooks and CloudEvents packages (``pip install
standardwebhooks cloudevents``) and Python's standard library, not the platform's code, and
shows what every receiver should do:

- verify the signature (``webhook-signature``: HMAC-SHA256 over ``id.timestamp.body`` with the
  secret ``pmi agency webhook add`` printed) before reading anything, and refuse a request whose
  ``webhook-timestamp`` is more than five minutes away from now (a replayed request);
  ``WEBHOOK_SECRET`` may hold two secrets, comma-separated, while one is being rotated;
- read the body as a CloudEvent (structured mode, ``application/cloudevents+json``);
- drop repeats: delivery is at least once and a replay carries the same id, so the event id is
  recorded in the same SQLite transaction as the agency's own change, and an id seen before is
  answered 2xx and ignored;
- keep the newest state per worker: a worker's status is only replaced by an event with a
  higher ``workersequence``;
- answer fast with 2xx once the event is stored (the platform retries anything else, with
  backoff, for three days; 410 tells it to stop for good).

Each decision is printed as one JSON line: ``ready``, ``applied``, ``duplicate``, ``rejected``.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.formats.json import JSONFormat
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

MAX_BODY = 1024 * 1024
SCHEMA = """
CREATE TABLE IF NOT EXISTS seen_events (
    event_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS workers (
    worker_id TEXT PRIMARY KEY,
    last_event_type TEXT NOT NULL,
    last_sequence INTEGER NOT NULL,
    data TEXT NOT NULL
);
"""


def say(decision: str, **details) -> None:
    print(json.dumps({"decision": decision, **details}), flush=True)


class Store:
    """The agency's own database: what it applied, and the ids it has seen."""

    def __init__(self, path: str):
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.executescript(SCHEMA)
        self.lock = threading.Lock()

    def apply(self, event) -> bool:
        """Apply one event once; False when its id was seen before."""
        attributes = event.get_attributes()
        with self.lock, self.db:
            try:
                self.db.execute(
                    "INSERT INTO seen_events VALUES (?, ?, ?)",
                    (event.get_id(), event.get_type(), datetime.now(UTC).isoformat()),
                )
            except sqlite3.IntegrityError:
                return False
            worker, sequence = event.get_subject(), attributes.get("workersequence", 0)
            if worker:
                self.db.execute(
                    "INSERT INTO workers VALUES (?, ?, ?, ?) ON CONFLICT(worker_id) DO UPDATE "
                    "SET last_event_type = excluded.last_event_type, "
                    "last_sequence = excluded.last_sequence, data = excluded.data "
                    "WHERE excluded.last_sequence > workers.last_sequence",
                    (worker, event.get_type(), sequence, json.dumps(event.get_data())),
                )
        return True


def handler_for(verifiers: list[Webhook], store: Store):
    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the standard library's name
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                return self.answer(413, "too large")
            body = self.rfile.read(length)
            headers = {key.lower(): value for key, value in self.headers.items()}
            if not any(self.verified(v, body, headers) for v in verifiers):
                say("rejected", id=headers.get("webhook-id"), reason=self.reason)
                return self.answer(401, self.reason)
            event = from_http(HTTPMessage(headers, body), JSONFormat())
            if store.apply(event):
                say(
                    "applied",
                    id=event.get_id(),
                    type=event.get_type(),
                    worker=event.get_subject(),
                    sequence=event.get_attributes().get("workersequence"),
                )
            else:
                say("duplicate", id=event.get_id(), type=event.get_type())
            return self.answer(204, "")

        def verified(self, verifier: Webhook, body: bytes, headers: dict) -> bool:
            try:
                verifier.verify(body, headers)  # the signature, and the timestamp's tolerance
                return True
            except WebhookVerificationError as exc:
                self.reason = str(exc)
                return False

        def answer(self, status: int, text: str) -> None:
            payload = text.encode()
            self.send_response(status)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    return Receiver


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--state", default="webhooks.sqlite", help="the agency's SQLite file")
    args = parser.parse_args()
    secrets = [s.strip() for s in os.environ.get("WEBHOOK_SECRET", "").split(",") if s.strip()]
    if not secrets:
        print("set WEBHOOK_SECRET to the endpoint's signing secret (whsec_...)", file=sys.stderr)
        return 2
    server = ThreadingHTTPServer(
        (args.host, args.port), handler_for([Webhook(s) for s in secrets], Store(args.state))
    )
    say("ready", port=server.server_address[1])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
