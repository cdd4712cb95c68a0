"""The suite's own RabbitMQ and PostgreSQL, started from the installed binaries in a temporary
directory on free ports, as the user running the tests; never the machine's own servers.

``private_servers()`` gives a broker (one node, or a cluster of three) and a PostgreSQL cluster,
and removes them afterwards. The processes are run by the ecosystem's executors
(``pytest_rabbitmq``'s and ``pytest_postgresql``'s, both built on mirakuru); this module only
configures them: the management plugin, a private Erlang cookie and port mapper, connection
limits, and, where the tests run as root, PostgreSQL dropped to its own system user (it refuses
to run as root).

The tests, ``make reliability`` and ``make bench`` all reach the servers through ``current()``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import requests
from mirakuru import SimpleExecutor
from pytest_postgresql.executors import PostgreSQLExecutor
from pytest_rabbitmq.factories.executor import RabbitMqExecutor

from gateway import testing

RABBITMQ_BIN = "/usr/lib/rabbitmq/bin"
POSTGRES_USER = "postgres"  # the system user the Debian package creates
USER, PASSWORD = "guest", "guest"
# How long a server's own control command (rabbitmqctl stop_app, start_app, await_startup;
# pg_ctl restart) may take: a ceiling for a server that hangs, not a budget. On a machine
# loaded far beyond two cores (the suite, a second suite and two CPU hogs at once), a node's
# stop_app took more than 120 s.
CONTROL_SECONDS = 600
# Erlang's schedulers spin while idle by default: on a small machine that steals the tests' CPU.
# One scheduler per node: a test broker is never busy enough to need a second, and with one a
# node spends less time handing work between them (the brokers' CPU in a whole run: 136 s with
# two, 122 s with one).
ERL_ARGS = "+sbwt none +sbwtdcpu none +sbwtdio none +S 1:1"
POSTGRES_OPTIONS = "-c max_connections=400 -c shared_buffers=128MB"
# the tests need no durability across a power cut; the benchmarks measure with it
NOT_DURABLE = " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class MissingServer(RuntimeError):
    """The binaries of a server are not installed; the message names the command to run."""


def free_port() -> int:
    """A loopback port nothing listens on, outside the range of outgoing connections' ports."""
    return testing.free_port()


def _postgres_bindir() -> Path:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda path: int(path.split("/")[4])
    )
    if not candidates:
        found = shutil.which("pg_ctl")
        if not found:
            raise MissingServer("PostgreSQL is not installed: apt-get install -y postgresql")
        return Path(found).parent
    return Path(candidates[-1]).parent


def _check_rabbitmq() -> None:
    if not os.access(f"{RABBITMQ_BIN}/rabbitmq-server", os.X_OK):
        raise MissingServer("RabbitMQ is not installed: apt-get install -y rabbitmq-server")


class RabbitNode(RabbitMqExecutor):
    """One RabbitMQ node of the suite's own, with the management plugin, on loopback."""

    def __init__(
        self, root: Path, epmd_port: int, name: str | None = None, join: str | None = None
    ) -> None:
        self.port, self.management_port = free_port(), free_port()
        self.name = name or f"pmi-test-{self.port}@localhost"
        self.home = root  # the nodes of one broker share the Erlang cookie kept here
        path = root / self.name.split("@")[0]
        path.mkdir(parents=True)
        config = path / "rabbitmq.conf"
        config.write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {self.management_port}\n"
            "log.console = false\nlog.file.level = warning\n"
            # queue depths and consumer counts as the management API (the console, ``pmi ops``)
            # reads them, every second instead of every five
            "collect_statistics_interval = 1000\n"
            # a blank node finds ``join`` running and joins its cluster as it boots
            + (
                "cluster_formation.peer_discovery_backend = classic_config\n"
                f"cluster_formation.classic_config.nodes.1 = {join}\n"
                if join
                else ""
            )
        )
        (path / "plugins").write_text("[rabbitmq_management].\n")
        (path / "rabbitmq-env.conf").write_text("")  # not the machine's /etc/rabbitmq one
        super().__init__(
            f"{RABBITMQ_BIN}/rabbitmq-server",
            "127.0.0.1",
            self.port,
            free_port(),
            f"{RABBITMQ_BIN}/rabbitmqctl",
            path,
            path,
            path,
            node_name=self.name,
        )
        self._envvars.update(
            {
                "HOME": str(root),
                "ERL_EPMD_PORT": str(epmd_port),
                "RABBITMQ_CONF_ENV_FILE": str(path / "rabbitmq-env.conf"),
                "RABBITMQ_CONFIG_FILE": str(config),
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": ERL_ARGS,
                "RABBITMQ_PID_FILE": str(path / "pid"),
            }
        )

    def launch(self) -> None:
        """Start the node's process without waiting for it (``wait_started`` waits)."""
        SimpleExecutor.start(self)

    def wait_started(self) -> None:
        self.wait_for(self.check_subprocess)

    @property
    def env(self) -> dict[str, str]:
        return self.envvars

    def ctl(self, *args: str, timeout: float = CONTROL_SECONDS) -> str:
        return subprocess.run(
            [self.rabbit_ctl, "-q", "-n", self.name, *args],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        ).stdout

    def wait_management(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(
                    f"http://127.0.0.1:{self.management_port}/api/overview",
                    auth=(USER, PASSWORD),
                    timeout=2,
                ).ok:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"RabbitMQ node {self.name}'s management API did not come up")
            time.sleep(0.2)

    def start_app(self) -> None:
        self.ctl("start_app")
        self.ctl("await_startup")

    def stop_app(self) -> None:
        self.ctl("stop_app")


def _management_session() -> requests.Session:
    """The management API's requests: no proxy looked for in the environment (requests walks it
    on every request otherwise, and a test puts its vhost back with several), and a connection
    of its own for each (one kept between requests could meet the node closing it, idle or
    restarted by a fault, just as it is used)."""
    session = testing.loopback_session()
    session.headers["Connection"] = "close"
    return session


@dataclass
class Broker:
    """A RabbitMQ of the suite's own: one node, or several clustered."""

    nodes: list[RabbitNode]
    epmd_port: int
    root: Path
    session: requests.Session = field(default_factory=_management_session, repr=False)

    @property
    def amqp_host(self) -> str:
        return f"{USER}:{PASSWORD}@127.0.0.1:{self.nodes[0].port}"

    def amqp_uri(self, vhost: str = "") -> str:
        """The connection URI; with several nodes, one URI per node (kombu's failover list)."""
        return ";".join(
            f"amqp://{USER}:{PASSWORD}@127.0.0.1:{node.port}/{quote(vhost, safe='')}"
            for node in self.nodes
        )

    @property
    def management_url(self) -> str:
        return f"http://{USER}:{PASSWORD}@127.0.0.1:{self.nodes[0].management_port}"

    def wait_clustered(self, timeout: float = 60) -> None:
        """Until the first node lists every node as a running member of its cluster (a node
        that did not join would run alone, listing only itself)."""
        names = {node.name for node in self.nodes}
        deadline = time.monotonic() + timeout
        while True:
            listed = self.management("GET", "/nodes?columns=name,running").json()
            running = {node["name"] for node in listed if node.get("running")}
            if running == names:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"RabbitMQ nodes {sorted(names - running)} did not join")
            time.sleep(0.2)

    def management(self, method: str, path: str, **kwargs) -> requests.Response:
        """A management API request, to the first node that answers."""
        for node in self.nodes:
            try:
                response = self.session.request(
                    method,
                    f"http://127.0.0.1:{node.management_port}/api{path}",
                    auth=(USER, PASSWORD),
                    timeout=10,
                    **kwargs,
                )
            except requests.ConnectionError:
                if node is self.nodes[-1]:
                    raise
                continue
            response.raise_for_status()
            return response

    def create_vhost(self, vhost: str) -> None:
        name = quote(vhost, safe="")
        self.management("PUT", f"/vhosts/{name}")
        self.management(
            "PUT",
            f"/permissions/{name}/{USER}",
            json={"configure": ".*", "write": ".*", "read": ".*"},
        )

    def delete_vhost(self, vhost: str) -> None:
        self.management("DELETE", f"/vhosts/{quote(vhost, safe='')}")

    def restart(self) -> None:
        """Stop and start the broker application on every node: connections drop, durable
        state survives (the fault-injection suite's broker restart)."""
        for node in self.nodes:
            node.stop_app()
        for node in reversed(self.nodes):
            node.start_app()


@dataclass
class Database:
    """A PostgreSQL cluster of the suite's own."""

    executor: PostgreSQLExecutor
    port: int
    pg_ctl: str

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def restart(self) -> None:
        # pg_ctl reuses the options the cluster was started with (postmaster.opts)
        subprocess.run(
            [
                self.pg_ctl,
                "restart",
                "-D",
                self.executor.datadir,
                "-m",
                "fast",
                "-w",
                "-l",
                self.executor.logfile,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=CONTROL_SECONDS,
        )


@dataclass
class Servers:
    broker: Broker
    database: Database
    root: Path


@contextmanager
def rabbitmq(root: Path, nodes: int = 1):
    """A broker of ``nodes`` nodes (clustered when more than one), removed afterwards."""
    _check_rabbitmq()
    epmd_port = free_port()
    started: list[RabbitNode] = []
    try:
        first = RabbitNode(root, epmd_port)
        started.append(first)
        # the others join the first as they boot (RabbitMQ's peer discovery, from their config
        # files), one at a time under the lock it takes, and side by side once it runs
        started.extend(RabbitNode(root, epmd_port, join=first.name) for _ in range(nodes - 1))
        first.launch()
        first.wait_started()
        for node in started[1:]:
            node.launch()
        for node in started[1:]:
            node.wait_started()
        for node in started:
            node.wait_management()
        broker = Broker(started, epmd_port, root)
        if nodes > 1:
            broker.wait_clustered()
        yield broker
    finally:
        for node in started:  # its data goes with it: no need for a graceful stop
            if node.process is not None and node.process.poll() is not None:
                _report_death(node)
            _quietly(node.kill)
        subprocess.run(
            ["epmd", "-port", str(epmd_port), "-kill"],
            capture_output=True,
            env={**os.environ, "ERL_EPMD_PORT": str(epmd_port)},
        )


@contextmanager
def postgresql(root: Path, durable: bool = False):
    """A PostgreSQL cluster on a free port, trusting loopback, removed afterwards; without
    ``durable``, commits are not flushed to disk (fast, and enough for tests)."""
    bindir = _postgres_bindir()
    pg_ctl = str(bindir / "pg_ctl")
    directory = root / "postgresql"
    directory.mkdir()
    if os.geteuid() == 0:  # PostgreSQL refuses root: run it as its own system user
        pg_ctl = str(directory / "pg_ctl")
        Path(pg_ctl).write_text(
            f'#!/bin/sh\nexec runuser -u {POSTGRES_USER} -- "{bindir}/pg_ctl" "$@"\n'
        )
        os.chmod(pg_ctl, 0o755)
        shutil.chown(directory, POSTGRES_USER)
    port = free_port()
    options = POSTGRES_OPTIONS + ("" if durable else NOT_DURABLE)
    executor = PostgreSQLExecutor(
        pg_ctl,
        "127.0.0.1",
        port,
        str(directory / "data"),
        str(directory),
        str(directory / "postgresql.log"),
        "-w",
        "postgres",
        postgres_options=options,
    )
    executor.start()
    try:
        _wait_accepting(bindir, port)
        yield Database(executor, port, pg_ctl)
    finally:
        _quietly(executor.stop)
        _quietly(executor.clean_directory)


def _wait_accepting(bindir: Path, port: int, timeout: float = 120) -> None:
    """Until the cluster accepts connections: the executor waits only for its port to be open,
    and PostgreSQL opens it while it is still starting up ("the database system is starting
    up" to whoever connects then)."""
    deadline = time.monotonic() + timeout
    while True:
        ready = subprocess.run(
            [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)],
            check=False,
            timeout=30,
        )
        if ready.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"PostgreSQL on port {port} not accepting after {timeout:g} s")
        time.sleep(0.1)


@contextmanager
def private_servers(broker_nodes: int = 1, durable: bool = False):
    """``with private_servers() as servers:`` a broker (of ``broker_nodes`` nodes) and a
    database of this run's own."""
    root = Path(tempfile.mkdtemp(prefix="pmi-servers-"))
    os.chmod(root, 0o755)  # PostgreSQL's own user walks through it
    try:
        with (
            rabbitmq(root / "rabbitmq", broker_nodes) as broker,
            postgresql(root, durable) as database,
        ):
            yield Servers(broker, database, root)
    finally:
        for _ in range(5):  # a killed node may still be writing its last files
            shutil.rmtree(root, ignore_errors=True)
            if not root.exists():
                break
            time.sleep(0.5)


_current: Servers | None = None


def use(servers: Servers | None) -> None:
    """Make ``servers`` the ones ``current()`` answers in this process."""
    global _current
    _current = servers


def current() -> Servers:
    if _current is None:
        raise RuntimeError("no private servers are running in this process")
    return _current


def _report_death(node: RabbitNode) -> None:
    """A node that ended before the tests did says why (its log's last lines)."""
    logs = sorted(Path(node.env["RABBITMQ_LOG_BASE"]).parent.rglob("*.log"))
    tail = logs[-1].read_text(errors="replace")[-3000:] if logs else "(no log)"
    print(
        f"\nRabbitMQ node {node.name} ended early ({node.process.returncode}):\n{tail}",
        file=sys.stderr,
    )


def _quietly(action) -> None:
    try:
        action()
    except Exception:  # noqa: BLE001 - teardown goes on with the next server
        pass
