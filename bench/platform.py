"""The platform under test: the eight services and the gateway, each in its own process started
with the runner ``make run`` uses, on the run's vhost and its own PostgreSQL databases."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import amqp
import requests
from kombu import Connection
from sqlalchemy import Engine, create_engine

from gateway.auth import mint
from pmi_common.topology import inbox_queue

from .environment import Environment, free_port
from .processes import Child, wait_until

# Reads that answer only when the service behind them is up: readiness when the services do
# not all answer the gateway's health check.
PROBES = (
    "/workers?limit=1",
    "/workers/00000000-0000-4000-8000-000000000000/documents",
    "/orientation/sessions",
    "/reintegration/programs",
    "/cases?limit=1",
    "/workers/00000000-0000-4000-8000-000000000000/notifications",
    "/letters?limit=1",
)
DATABASE_SERVICES = (
    "registration",
    "documents",
    "orientation",
    "reintegration",
    "protection",
    "notifications",
    "reporting",
    "letters",
    "agencies",
    "gateway",
)
# the processes `make run` starts (pmi_tools.stack.PROCESSES; not imported: the runner module
# monkey-patches whoever imports it, and the bench's own threads must stay threads), but the
# agencies service, which the backfill starts (``start_agencies``)
PROCESSES = tuple(service for service in DATABASE_SERVICES if service != "agencies")


class Platform:
    def __init__(
        self,
        env: Environment,
        log_dir: Path,
        extra_env: dict | None = None,
        reads_over_rpc: bool = False,
    ):
        self.environment = env
        self.log_dir = log_dir
        self.secret = secrets.token_hex(32)
        self.nik_digest_key = secrets.token_hex(16)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.urls = {service: env.database(service) for service in DATABASE_SERVICES}
        self.extra_env = extra_env or {}
        # the gateway reads workers from registration's database, read-only (gateway/registry.py)
        # unless told to ask over RPC; ``rpc_gateway`` starts a second one that asks over RPC
        self.reads_over_rpc = reads_over_rpc
        self.rpc_port: int | None = None
        self.children: dict[str, Child] = {}
        self._engines: dict[str, Engine] = {}

    @property
    def env(self) -> dict:
        return {
            "AMQP_URI": self.environment.amqp_uri,
            "GATEWAY_ADDRESS": f"127.0.0.1:{self.port}",
            "JWT_SECRET": self.secret,
            "LOG_LEVEL": "WARNING",
            # the benchmark's servers keep their packages' default users: development mode
            "PMI_ENV": "development",
            # one load generator, one address, a few subjects: the limits would be the floor
            "RATE_LIMIT_PUBLIC": "10000000/minute",
            "RATE_LIMIT_WRITES": "10000000/minute",
            "RATE_LIMIT_WRITES_PER_ADDRESS": "10000000/minute",
            "METRICS_PORT": "0",
            "DATABASE_URL": "",
            "NIK_DIGEST_KEY": self.nik_digest_key,
            "RABBITMQ_MANAGEMENT_URL": self.environment.servers.broker.management_url,
            "REGISTRATION_READ_DATABASE_URL": ""
            if self.reads_over_rpc
            else self.urls["registration"],
            **{f"{s.upper()}_DATABASE_URL": url for s, url in self.urls.items()},
            **self.extra_env,
        }

    def start(self) -> float:
        """Start every process; seconds until the gateway says the platform is ready."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for service in PROCESSES:
            self.children[service] = Child(
                "pmi_common.runner", service, env=self.env, log=self.log_dir / f"{service}.log"
            ).start()
        started = dt.datetime.now()
        wait_until(self._ready, 180, "the platform")
        return (dt.datetime.now() - started).total_seconds()

    def start_rpc_gateway(self) -> str:
        """A second gateway that asks registration over RPC for every read (the candidate the
        first one's database reads are measured against); its base URL."""
        self.rpc_port = free_port()
        env = {
            **self.env,
            "GATEWAY_ADDRESS": f"127.0.0.1:{self.rpc_port}",
            "REGISTRATION_READ_DATABASE_URL": "",
        }
        self.children["gateway over RPC"] = Child(
            "pmi_common.runner", "gateway", env=env, log=self.log_dir / "gateway-rpc.log"
        ).start()
        url = f"http://127.0.0.1:{self.rpc_port}"
        wait_until(lambda: self._answers("/workers?limit=1", url), 120, "the RPC gateway")
        return url

    def start_agencies(self) -> float:
        """The agencies service, as ``make run`` starts it (``python -m pmi_common.runner
        agencies``), for the backfill: started after the other phases, so they measure what they
        always did. What they published to its inbox meanwhile is purged first (no agency was
        onboarded: it would have delivered nothing), so its work is the backfill's alone. Seconds
        until its RPC queue has a consumer."""
        with Connection(self.environment.amqp_uri) as connection:
            channel = connection.channel()
            try:
                channel.queue_purge(inbox_queue("agencies"))
            except amqp.exceptions.NotFound:
                pass
        self.children["agencies"] = Child(
            "pmi_common.runner", "agencies", env=self.env, log=self.log_dir / "agencies.log"
        ).start()
        started = dt.datetime.now()
        wait_until(self._agencies_ready, 120, "the agencies service")
        return (dt.datetime.now() - started).total_seconds()

    def _agencies_ready(self) -> bool:
        if not self.children["agencies"].alive():
            raise RuntimeError(f"the agencies service exited; see {self.log_dir / 'agencies.log'}")
        try:
            with Connection(self.environment.amqp_uri) as connection:
                return (
                    connection.channel().queue_declare("rpc-agencies", passive=True).consumer_count
                    > 0
                )
        except amqp.exceptions.NotFound:
            return False

    def _ready(self) -> bool:
        dead = [name for name, child in self.children.items() if not child.alive()]
        if dead:
            raise RuntimeError(f"{', '.join(dead)} exited; see {self.log_dir}")
        try:
            if requests.get(f"{self.base_url}/api/v1/health/ready", timeout=5).ok:
                return True
            return all(self._answers(path) for path in PROBES)
        except requests.RequestException:
            return False

    def _answers(self, path: str, base_url: str | None = None) -> bool:
        """A read that reaches the service behind it (a 2xx or a 404, not a 5xx)."""
        try:
            response = requests.get(
                f"{base_url or self.base_url}/api/v1{path}",
                timeout=5,
                headers={"Authorization": f"Bearer {self.token('admin')}"},
            )
        except requests.RequestException:
            return False
        return response.status_code < 500

    def token(self, role: str, subject: str | None = None) -> str:
        return mint(
            self.secret,
            role,
            subject or f"bench-{role}",
            agency="ltsa-blitar",
            ttl=dt.timedelta(hours=2),
        )

    def engine(self, service: str) -> Engine:
        if service not in self._engines:
            self._engines[service] = create_engine(self.urls[service])
        return self._engines[service]

    def peak_rss_mb(self) -> dict[str, float | None]:
        return {name: child.peak_rss_mb() for name, child in self.children.items()}

    def pids(self) -> dict[str, int]:
        return {name: child.pid for name, child in self.children.items()}

    def stop(self) -> None:
        for child in self.children.values():
            child.stop()
        for engine in self._engines.values():
            engine.dispose()
