"""A place of its own for one benchmark run: a RabbitMQ vhost and PostgreSQL databases named
``bench_<run>_<x>`` on the run's own servers (``tests/servers.py``), created at the start and
removed at the end."""

from __future__ import annotations

import socket
import time
import uuid
from urllib.parse import quote

import requests
from sqlalchemy import create_engine, text

from pmi_common.management import Management
from tests.servers import Servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Environment:
    """``with Environment(servers) as env:`` a vhost ``env.vhost`` and ``env.database(x)``
    on demand."""

    def __init__(self, servers: Servers) -> None:
        self.servers = servers
        self.run = uuid.uuid4().hex[:8]
        self.vhost = f"bench_{self.run}"
        self.amqp_uri = servers.broker.amqp_uri(self.vhost)
        self.management = Management(servers.broker.management_url)
        self.databases: list[str] = []

    def __enter__(self) -> Environment:
        vhost = quote(self.vhost, safe="")
        for attempt in range(30):  # the broker may be restarting: wait a minute for it
            try:
                self._api("PUT", f"vhosts/{vhost}")
                break
            except requests.RequestException:
                if attempt == 29:
                    raise
                time.sleep(2)
        self._api(
            "PUT",
            f"permissions/{vhost}/{self.management.session.auth[0]}",
            json={"configure": ".*", "write": ".*", "read": ".*"},
        )
        return self

    def __exit__(self, *exc) -> None:
        self.destroy()

    def _api(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.management.session.request(
            method, f"{self.management.base}/{path}", timeout=30, **kwargs
        )
        response.raise_for_status()
        return response

    def database(self, name: str) -> str:
        """A new empty database ``bench_<run>_<name>``; its SQLAlchemy URL."""
        full = f"{self.vhost}_{name}"
        admin = create_engine(self.servers.database.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{full}"'))
        admin.dispose()
        self.databases.append(full)
        return self.servers.database.url(full)

    def queue(self, name: str) -> dict:
        return self.management.queue(self.vhost, name) or {}

    def destroy(self) -> None:
        admin = create_engine(self.servers.database.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.databases:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
        self.databases.clear()
        for _ in range(15):  # the broker may be restarting
            try:
                self._api("DELETE", f"vhosts/{quote(self.vhost, safe='')}")
                return
            except requests.HTTPError as exc:
                if exc.response is not None and exc.response.status_code == 404:
                    return
            except requests.RequestException:
                pass
            time.sleep(2)
