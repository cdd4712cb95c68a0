"""Servers outside the platform, faked as real HTTP servers on 127.0.0.1 that record every
request: agencies' webhook receivers, which answer as the test says (a status, a slow answer, no
answer at all), and a generic JSON SMS provider."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.helpers import serve_in_background

HANG = -1  # an answer that never comes (until the receiver is closed)


class Receiver:
    """``answer(n, body)`` gives the status of the n-th request (0-based), or ``HANG``;
    ``delay`` seconds pass before any answer."""

    def __init__(
        self,
        answer: Callable[[int, dict], int] = lambda n, body: 200,
        port: int = 0,
        delay: float = 0.0,
    ):
        self.answer = answer
        self.delay = delay
        self.requests: list[tuple[dict, bytes, int]] = []  # headers, body, status answered
        self.closing = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                status = receiver.answer(len(receiver.requests), json.loads(body))
                receiver.requests.append(
                    ({k.lower(): v for k, v in self.headers.items()}, body, status)
                )
                if status == HANG:
                    receiver.closing.wait(60)
                    return
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = serve_in_background(self.server)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/pmi"

    def accepted(self) -> list[dict]:
        """The CloudEvents it answered 2xx to, in the order they came."""
        return [json.loads(body) for _, body, status in self.requests if 200 <= status < 300]

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


class SmsProvider:
    """A generic JSON SMS API on 127.0.0.1: answers 503 to its first ``failures`` requests, then
    201 with an id; records every request."""

    def __init__(self, failures: int = 0):
        self.failures = failures
        self.requests: list[tuple[dict, dict, int]] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the stdlib's name
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = 503 if len(provider.requests) < provider.failures else 201
                provider.requests.append((headers, body, status))
                answer = json.dumps({"id": f"sms-{len(provider.requests)}"}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        serve_in_background(self.server)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1/sms"

    def accepted(self) -> list[dict]:
        return [body for _, body, status in self.requests if status == 201]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
