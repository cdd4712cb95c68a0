"""Shared fixtures: the suite's own RabbitMQ and PostgreSQL (``tests/servers.py``), started once
per test process when a test first needs them; a RabbitMQ vhost per test (nameko's
``rabbit_config``, from the suite's pool of vhosts put back after each test: ``tests/vhosts.py``)
and a PostgreSQL database per service, migrated once and emptied after each test."""

import functools
import os
import tempfile
import warnings

os.environ.setdefault("PMI_ENV", "development")  # the suite's servers use their default users

from pmi_common.green import import_eventlet  # noqa: E402

# as the runner and `pmi` import it (quietly, no green resolver: the suite's names are loopback)
import_eventlet().monkey_patch()  # before anything else opens a socket

import signal  # noqa: E402
import uuid  # noqa: E402
from contextlib import ExitStack  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)

import pytest  # noqa: E402
from eventlet import GreenPool  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from pmi_common.migrations import upgrade  # noqa: E402
from tests import machine, prompt_kill, servers  # noqa: E402
from tests.vhosts import VhostPool  # noqa: E402

pytest_plugins = ["tests.hang_report"]  # where a hung test waits, greenlets included
prompt_kill.install()  # a killed container's consumer does not wait out its second

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


@pytest.fixture(scope="session")
def vhost_pipeline(private_servers):
    """In place of nameko's: vhosts holding the platform's topology, used again from test to
    test (``tests/vhosts.py``)."""
    pool = VhostPool(private_servers.broker)
    yield pool
    pool.close()


@pytest.fixture
def rabbit_config(request, vhost_pipeline):
    """nameko's ``rabbit_config`` on a vhost of the pool; an empty one, made for the test, with
    ``@pytest.mark.empty_vhost``."""
    empty = request.node.get_closest_marker("empty_vhost") is not None
    with vhost_pipeline.get(empty=empty) as vhost:
        yield _vhost_config(request, vhost)


def _vhost_config(request, vhost: str) -> dict:
    """nameko's broker settings for a vhost of the suite's broker."""
    amqp = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    return {
        "AMQP_URI": f"{amqp.scheme}://{amqp.netloc}/{vhost}",
        "username": amqp.username,
        "vhost": vhost,
    }


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
    _forget_emptiers()
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


# Emptying a database after each test: TRUNCATE costs a new file per table whether or not the
# table holds rows (a quarter of a second for the five databases, after every test), so only the
# tables that hold rows are truncated, in one statement, and only the sequences that were used are
# restarted: one round trip per database, on a connection kept for the session.
EMPTY_FUNCTION = """
CREATE SCHEMA IF NOT EXISTS pmi_test;
CREATE OR REPLACE FUNCTION pmi_test.empty() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    name text;
    holds boolean;
    dirty text[] := '{}';
BEGIN
    FOR name IN SELECT format('public.%I', tablename) FROM pg_tables
                WHERE schemaname = 'public' AND tablename <> 'alembic_version' LOOP
        EXECUTE format('SELECT EXISTS (SELECT FROM %s)', name) INTO holds;
        IF holds THEN
            dirty := dirty || name;
        END IF;
    END LOOP;
    IF cardinality(dirty) > 0 THEN
        EXECUTE 'TRUNCATE ' || array_to_string(dirty, ', ') || ' CASCADE';
    END IF;
    FOR name IN SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences
                WHERE schemaname = 'public' AND last_value IS NOT NULL LOOP
        EXECUTE format('ALTER SEQUENCE %s RESTART', name);
    END LOOP;
END $$;
"""
_EMPTIERS: dict[str, object] = {}


def empty_database(url: str) -> None:
    """Every table of the database emptied and its sequences restarted, as after migrating."""
    engine = _EMPTIERS.get(url)
    if engine is None:
        engine = _EMPTIERS[url] = create_engine(url, pool_size=1, pool_pre_ping=True)
        with engine.begin() as conn:
            conn.execute(text(EMPTY_FUNCTION))
    with engine.begin() as conn:
        conn.execute(text("SELECT pmi_test.empty()"))


def _forget_emptiers() -> None:
    while _EMPTIERS:
        _EMPTIERS.popitem()[1].dispose()


@pytest.fixture
def database_urls(databases):
    """The services' database URLs, emptied after the test."""
    yield databases
    for url in databases.values():
        empty_database(url)


def _configs(rabbit_config: dict, database_urls: dict):
    def make(service: str, **overrides) -> dict:
        from gateway.testing import TEST_ANSWER_KEY, TEST_WEBHOOK_SECRET_KEY

        config = dict(rabbit_config)
        config.update(
            {
                "DATABASE_URL": database_urls[service],
                "RABBITMQ_MANAGEMENT_URL": servers.current().broker.management_url,
                "EVENT_RETRY_DELAYS": FAST_RETRIES,
                "RPC_TIMEOUT": 10,
                "max_workers": 10,
                "serializer": "json",
                "WEBHOOK_SECRET_KEY": TEST_WEBHOOK_SECRET_KEY,
                "IDEMPOTENCY_ANSWER_KEY": TEST_ANSWER_KEY,
            }
        )
        if service == "letters":
            config.update(office_certificate())
        config.update(overrides)
        return config

    return make


@functools.cache
def office_certificate() -> dict:
    """The signing certificate and key the letters service signs with in tests (made once per
    test process): ``LETTER_SIGNING_CERT_FILE`` and ``LETTER_SIGNING_KEY_FILE``."""
    from services.letters.signing import make_certificate

    folder = tempfile.mkdtemp(prefix="pmi-office-")
    cert_pem, key_pem = make_certificate("Dinas Tenaga Kerja (tests)")
    paths = {
        "LETTER_SIGNING_CERT_FILE": os.path.join(folder, "certificate.pem"),
        "LETTER_SIGNING_KEY_FILE": os.path.join(folder, "key.pem"),
    }
    for name, content in (
        ("LETTER_SIGNING_CERT_FILE", cert_pem),
        ("LETTER_SIGNING_KEY_FILE", key_pem),
    ):
        with open(paths[name], "wb") as out:
            out.write(content)
    return paths


@pytest.fixture
def container_factory(database_urls, rabbit_config, container_factory):
    """nameko's, set up after the test's databases and vhost, so torn down before them: its
    containers are killed before the databases are emptied and the vhost is put back. The other
    way round, a container still applying events when the test ends writes rows into the next
    test's empty database, and consumes from a vhost being emptied for the next test."""
    made = []

    def make(*args, **kwargs):
        container = container_factory(*args, **kwargs)
        made.append(container)
        return container

    yield make
    # all at once, where nameko kills one after another: an idle consumer notices it is killed
    # only when its wait for a delivery ends (nameko's RPC consumer waits up to a second)
    pool = GreenPool()
    for container in made:
        pool.spawn(_kill_quietly, container)
    pool.waitall()


def _kill_quietly(container) -> None:
    """As nameko's teardown kills, ignoring what a container raises as it dies."""
    try:
        container.kill()
    except Exception:  # noqa: BLE001 - nameko's own teardown does the same
        pass


@pytest.fixture
def config_for(rabbit_config, database_urls):
    """``config_for("registration")``: nameko config for a service on the test vhost and its
    test database, with fast event retries."""
    return _configs(rabbit_config, database_urls)


@pytest.fixture(scope="module")
def module_config_for(request, vhost_pipeline, databases):
    """``config_for`` for the tests of a module that share one running stack: a vhost of the
    module's own, and the service databases emptied once the module is done."""
    with vhost_pipeline.get() as vhost:
        yield _configs(_vhost_config(request, vhost), databases)
    for url in databases.values():
        empty_database(url)


@pytest.fixture(scope="session")
def stack_sms():
    """The shared ``stack``'s SMS provider: a generic JSON SMS API, a real HTTP server here."""
    from tests.receivers import SmsProvider

    running = SmsProvider()
    yield running
    running.close()


@pytest.fixture(scope="session")
def stack(request, tmp_path_factory, private_servers, stack_sms):
    """The platform as ``make run`` starts it (``tests/e2e/conftest.py``), one per test process
    for the end-to-end and browser tests, sending its SMS to ``stack_sms``; stopped once the
    last test that uses it has ended (its processes would otherwise keep polling beside the
    tests after it)."""
    from tests.e2e.conftest import SHARED_SETTINGS, running_stack

    settings = {
        **SHARED_SETTINGS,
        "NOTIFY_SMS_PROVIDER": "json",
        "NOTIFY_SMS_URL": stack_sms.url,
        "NOTIFY_SMS_TOKEN": "sms-provider-token-of-the-tests",
    }
    with ExitStack() as stop:
        running = stop.enter_context(
            running_stack(tmp_path_factory.mktemp("stack"), settings=settings)
        )
        request.config.stash[_STOP_STACK] = stop
        yield running


def _uses_the_shared_stack(item) -> bool:
    """The test asks for this module's session ``stack`` (a module may define a ``stack`` of its
    own, which is not the shared one)."""
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs.get("stack", ()) if info else ()
    return bool(definitions) and definitions[-1].func is stack.__wrapped__


def pytest_collection_finish(session):
    users = [item.nodeid for item in session.items if _uses_the_shared_stack(item)]
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
