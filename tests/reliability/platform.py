"""A platform of its own for fault injection: its own vhost and databases on the run's own
servers (``tests/servers.py``), each process started with the same runner ``make run`` uses,
kept alive by the same supervisor."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from pmi_tools.stack import Supervisor
from tests.conftest import DATABASE_SERVICES
from tests.servers import Servers, free_port

ROOT = Path(__file__).resolve().parents[2]


class Platform:
    def __init__(self, servers: Servers, secret: str, log_dir: Path, instances: int = 1):
        self.servers = servers
        self.vhost = f"pmi_faults_{uuid.uuid4().hex[:8]}"
        self.secret = secret
        self.databases = {service: f"{self.vhost}_{service}" for service in DATABASE_SERVICES}
        self.urls = {
            service: servers.database.url(name) for service, name in self.databases.items()
        }
        self.instances = instances
        self.ports = [free_port() for _ in range(instances)]
        self.amqp_uri = servers.broker.amqp_uri(self.vhost)
        self.base_urls = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.base_url = self.base_urls[0]
        self.log_dir = log_dir
        self.supervisor: Supervisor | None = None
        self._log = None

    @property
    def env(self) -> dict:
        env = {
            "AMQP_URI": self.amqp_uri,
            "GATEWAY_ADDRESS": f"127.0.0.1:{self.ports[0]}",
            "JWT_SECRET": self.secret,
            "RPC_TIMEOUT": "5",
            # the gateway samples queue depths from the run's own broker, not the machine's
            "RABBITMQ_MANAGEMENT_URL": self.servers.broker.management_url,
            # the run's servers keep their packages' default users: development mode
            "PMI_ENV": "development",
            # a few desks' subjects on one address drive hundreds of workers
            "RATE_LIMIT_PUBLIC": "1000000/minute",
            "RATE_LIMIT_WRITES": "1000000/minute",
            "RATE_LIMIT_WRITES_PER_ADDRESS": "1000000/minute",
            "EVENT_RETRY_DELAYS": "0.5,1,2,4,8,15",
            "LOG_LEVEL": "WARNING",
            **{f"{s.upper()}_DATABASE_URL": url for s, url in self.urls.items()},
        }
        return env

    def create(self) -> None:
        self.servers.broker.create_vhost(self.vhost)
        admin = create_engine(self.servers.database.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.databases.values():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._log = (self.log_dir / "platform.log").open("a")
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.supervisor = Supervisor(
            env={**env, **self.env},
            instances=self.instances,
            instance_env=self._instance_env,
            keep_trying=True,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.supervisor.start()
        self.wait_ready()

    def _instance_env(self, service: str, n: int) -> dict:
        return {"GATEWAY_ADDRESS": f"127.0.0.1:{self.ports[n - 1]}"} if service == "gateway" else {}

    def wait_ready(self, timeout: float = 120) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            self.supervisor.check()
            if self.whole():
                return time.monotonic() - started
            time.sleep(0.2)
        raise RuntimeError(f"the platform was not ready after {timeout}s; see {self.log_dir}")

    def whole(self) -> bool:
        """Every gateway is ready and every service answers it."""
        try:
            return all(_every_check_up(url) for url in self.base_urls)
        except requests.RequestException:
            return False

    def kill(self, service: str) -> None:
        """SIGKILL one process; the supervisor starts it again on its next check."""
        self.supervisor.children[service].kill()
        self.supervisor.children[service].wait()

    def stop(self) -> None:
        if self.supervisor:
            self.supervisor.stop()
        if self._log:
            self._log.close()

    def management(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.servers.broker.management(method, path, **kwargs)

    def destroy(self) -> None:
        admin = create_engine(self.servers.database.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.databases.values():
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
        self.servers.broker.delete_vhost(self.vhost)


def _every_check_up(url: str) -> bool:
    """The gateway is ready and every service answers it (``degraded`` is ready, not whole)."""
    response = requests.get(f"{url}/api/v1/health/ready", timeout=5)
    return response.ok and response.json()["status"] == "ready"
