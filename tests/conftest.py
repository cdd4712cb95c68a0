"""Shared fixtures: the suite's own RabbitMQ and PostgreSQL (``tests/servers.py``), started once
per test process when a test first needs them; a RabbitMQ vhost per test (nameko's
``rabbit_config``) and a PostgreSQL database per service, migrated once and emptied after each
test."""

import os
import warnings

os.environ.setdefault("PMI_ENV", "development")  # the suite's servers use their default users

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402 - before anything else opens a socket

import signal  # noqa: E402
import uuid  # noqa: E402
from contextlib import ExitStack  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from pmi_common.migrations import upgrade  # noqa: E402
from tests import machine, servers  # noqa: E402

pytest_plugins = ["tests.hang_report"]  # where a hung test waits, greenlets included

DATABASE_SERVICES = ("registration", "documents", "orientation", "reintegration", "gateway")
FAST_RETRIES = (0.2, 0.4, 0.8)
_MACHINE = pytest.StashKey[dict]()
_CHANGED = pytest.StashKey[list]()
_LAST_STACK_TEST = pytest.StashKey[str]()
_STOP_STACK = pytest.StashKey[ExitStack]()


@pytest.fixture(scope="session")
def private_servers(request):
    """This test process's own broker and database; nameko's fixtures are pointed at them."""
    with servers.private_servers() as running:
        servers.use(running)
        request.config.option.RABBIT_AMQP_URI = running.broker.amqp_uri()
        request.config.option.RABBIT_API_URI = running.broker.management_url
        yield running
        servers.use(None)


@pytest.fixture(scope="session")
def rabbit_manager(private_servers):
    """nameko's management client, on the suite's own broker."""
    from nameko.testing import rabbit

    return rabbit.Client(private_servers.broker.management_url)


def _database_url(name: str) -> str:
    return servers.current().database.url(name)


@pytest.fixture(scope="session")
def databases(private_servers):
    """One fresh PostgreSQL database per service for this test session, migrated to head."""
    admin_url = private_servers.database.admin_url
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    prefix = f"pmi_test_{uuid.uuid4().hex[:8]}"
    urls = {}
    with admin.connect() as conn:
        for service in DATABASE_SERVICES:
            name = f"{prefix}_{service}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            urls[service] = _database_url(name)
    for service, url in urls.items():
        if os.path.isfile(
            os.path.join(os.path.dirname(__file__), "..", _migrations(service), "env.py")
        ):
            upgrade(service, url)
    yield urls
    admin.dispose()  # a fresh connection: the database may have restarted meanwhile
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        for url in urls.values():
            name = url.rsplit("/", 1)[1]
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _migrations(service: str) -> str:
    return "gateway/migrations" if service == "gateway" else f"services/{service}/migrations"


def empty_database(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_urls(databases):
    """The services' database URLs, emptied after the test."""
    yield databases
    for url in databases.values():
        empty_database(url)


@pytest.fixture
def config_for(rabbit_config, database_urls):
    """``config_for("registration")``: nameko config for a service on the test vhost and its
    test database, with fast event retries."""

    def make(service: str, **overrides) -> dict:
        config = dict(rabbit_config)
        config.update(
            {
                "DATABASE_URL": database_urls[service],
                "RABBITMQ_MANAGEMENT_URL": servers.current().broker.management_url,
                "EVENT_RETRY_DELAYS": FAST_RETRIES,
                "RPC_TIMEOUT": 10,
                "max_workers": 10,
                "serializer": "json",
            }
        )
        config.update(overrides)
        return config

    return make


@pytest.fixture(scope="session")
def stack(request, tmp_path_factory, private_servers):
    """The platform as ``make run`` starts it (``tests/e2e/conftest.py``), one per test process
    for the end-to-end and browser tests, stopped once the last test that uses it has ended
    (its processes would otherwise keep polling beside the tests after it)."""
    from tests.e2e.conftest import SHARED_SETTINGS, running_stack

    with ExitStack() as stop:
        running = stop.enter_context(
            running_stack(tmp_path_factory.mktemp("stack"), settings=SHARED_SETTINGS)
        )
        request.config.stash[_STOP_STACK] = stop
        yield running


def pytest_collection_finish(session):
    users = [item.nodeid for item in session.items if "stack" in getattr(item, "fixturenames", ())]
    if users:
        session.config.stash[_LAST_STACK_TEST] = users[-1]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    if item.nodeid == item.config.stash.get(_LAST_STACK_TEST, None):
        stop = item.config.stash.get(_STOP_STACK, None)
        if stop is not None:
            stop.close()  # again at the session's end: nothing left to do then


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_sessionstart(session):
    session.config.stash[_MACHINE] = machine.fingerprint()
    # a run that is told to stop (tests.parallel interrupted, a CI timeout) still tears its
    # fixtures down, and with them the servers it started
    signal.signal(signal.SIGTERM, _interrupted)


def pytest_sessionfinish(session, exitstatus):
    """The machine's own RabbitMQ and PostgreSQL are as the run found them, or the run fails."""
    before = session.config.stash.get(_MACHINE, None)
    changed = machine.differences(before, machine.fingerprint()) if before else []
    if changed:
        session.config.stash[_CHANGED] = changed
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    changed = config.stash.get(_CHANGED, [])
    if changed:
        terminalreporter.section("the machine's own servers changed during the run", red=True)
        for line in changed:
            terminalreporter.line(line)
