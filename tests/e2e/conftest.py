"""The platform started as a user starts it (``python -m pmi_tools.stack``, what ``make run``
runs), on its own RabbitMQ vhost and its own PostgreSQL databases of the suite's own servers,
driven over HTTP.

The ``stack`` fixture (``tests/conftest.py``) is one stack per test process, shared by the
end-to-end and browser tests and stopped after the last of them: each test makes workers,
agencies and endpoints of its own, and stops what it started from reaching the tests after it."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from gateway.auth import mint
from gateway.testing import loopback_session
from pmi_common.production import DEVELOPMENT_JWT_SECRET
from tests import servers
from tests.conftest import DATABASE_SERVICES

ROOT = Path(__file__).resolve().parents[2]
SECRET = "e2e-" + uuid.uuid4().hex
# The shared stack's settings, for every test that uses it: the console samples its queues and
# its page reads the gateway every second (its charts and numbers follow quickly), and webhooks
# may call this machine (the example receiver runs here), retried within a second or two.
SHARED_SETTINGS = {
    "QUEUE_SAMPLE_SECONDS": "1",
    "CONSOLE_REFRESH_SECONDS": "1",
    "WEBHOOK_ALLOWED_TARGETS": "127.0.0.1",
    "WEBHOOK_RETRY_SCHEDULE": "0.2,0.5,1",
    # the journeys of every module on the shared stack write as the same few clerks, and a
    # module's worth of them fits in a minute: their writes are counted as one desk office's
    # (the per-subject limit itself is tested in tests/integration/test_gateway_rate_limits.py)
    "RATE_LIMIT_WRITES": "1200/minute",
}


@dataclass
class Stack:
    base_url: str
    amqp_uri: str
    process: subprocess.Popen
    log_path: Path
    env: dict
    secret: str = SECRET  # the gateway's JWT_SECRET

    def token(
        self,
        role: str,
        sub: str = "tester",
        agency: str = "ltsa-blitar",
        ttl: int = 3600,
        village: str | None = None,
    ) -> str:
        return mint(
            self.secret, role, sub, agency=agency, ttl=dt.timedelta(seconds=ttl), village=village
        )

    def client(self, role: str, **claims) -> requests.Session:
        session = loopback_session()
        session.headers["Authorization"] = f"Bearer {self.token(role, **claims)}"
        session.base = self.base_url
        return session

    def url(self, path: str) -> str:
        return f"{self.base_url}/api/v1{path}"

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_stack(
    log_dir: Path,
    postgres: bool = True,
    jwt_secret: str | None = SECRET,
    settings: dict | None = None,
):
    """The stack as ``make run`` starts it, on its own vhost of the suite's broker; on its own
    PostgreSQL databases, or (``postgres=False``) on the SQLite files of a quick local run; with
    ``jwt_secret=None``, no ``JWT_SECRET``, as ``make run`` has none: the development secret;
    ``settings``: environment variables of its own."""
    broker, database = servers.current().broker, servers.current().database
    vhost = f"pmi_e2e_{uuid.uuid4().hex[:8]}"
    broker.create_vhost(vhost)
    admin = create_engine(database.admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    databases = {service: f"{vhost}_{service}" for service in DATABASE_SERVICES} if postgres else {}
    with admin.connect() as conn:
        for name in databases.values():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    port = servers.free_port()
    amqp_uri = broker.amqp_uri(vhost)
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.endswith("DATABASE_URL") and k != "JWT_SECRET"
        },
        "AMQP_URI": amqp_uri,
        "RABBITMQ_MANAGEMENT_URL": broker.management_url,
        "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
        **({"JWT_SECRET": jwt_secret} if jwt_secret else {}),
        # the test servers keep their default users (guest, postgres): production would refuse
        "PMI_ENV": "development",
        "RPC_TIMEOUT": "10",
        "EVENT_RETRY_DELAYS": "0.5,1,2",
        "LOG_LEVEL": "INFO",
        "PMI_STATE_DIR": str(log_dir / "var"),
        **{
            f"{service.upper()}_DATABASE_URL": database.url(name)
            for service, name in databases.items()
        },
        **(settings or {}),
    }
    log_path = log_dir / "stack.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "pmi_tools.stack"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    running = Stack(
        f"http://127.0.0.1:{port}",
        amqp_uri,
        process,
        log_path,
        env,
        secret=jwt_secret or DEVELOPMENT_JWT_SECRET,
    )
    try:
        _wait_ready(running)
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        with admin.connect() as conn:
            for name in databases.values():
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
        broker.delete_vhost(vhost)


def _wait_ready(stack: Stack, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            raise RuntimeError(f"the stack exited ({stack.process.returncode}):\n{stack.logs()}")
        try:
            response = requests.get(stack.url("/health/ready"), timeout=5)
            if response.status_code == 200 and response.json()["status"] == "ready":
                return
            last = response.text
        except requests.RequestException as exc:
            last = str(exc)
        time.sleep(0.5)
    raise RuntimeError(
        f"the stack was not ready after {timeout}s ({last}):\n{stack.logs()[-5000:]}"
    )
