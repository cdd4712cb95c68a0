"""TLS to the broker (``amqps://``) and to PostgreSQL (``sslmode=verify-full``) with a CA given by
configuration, against a CA and certificates this test makes. A TLS endpoint started by the test
(``tls/terminator.py``, its own process) ends TLS in front of the machine's broker and database,
which stay as they are: the platform's clients verify a real chain, names included."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from pmi_common import contract as c
from pmi_common.amqp import broker_reachable
from pmi_common.store import make_engine
from pmi_common.tls import amqp_ssl
from pmi_common.topology import declare_topology
from services.registration.service import RegistrationService
from tests.helpers import Subscriber, wait_for, worker_payload
from tests.integration.tls.certificates import Authority

ROOT = Path(__file__).resolve().parents[2]
HOST = "localhost"  # the only name on the server certificate


@pytest.fixture(scope="module")
def authorities(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    ca, rogue = Authority.create(directory, "pmi-test-ca"), Authority.create(directory, "rogue")
    cert, key = ca.issue(directory, HOST)
    return ca, rogue, cert, key


@contextmanager
def terminator(mode: str, target: str, cert: Path, key: Path):
    """A TLS endpoint (``tls/terminator.py``) in front of ``target``: yields its port."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.tls.terminator",
            mode,
            target,
            str(cert),
            str(key),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield int(process.stdout.readline())
    finally:
        process.kill()
        process.wait()


# The terminators live for the module, so they outlive every container that connects through
# them. nameko's autouse ``fast_teardown`` kills the test's containers after every function
# fixture set up after it has been torn down; a terminator stopped before that left the
# service's consumers reconnecting to a closed port, a loop that never reads ``should_stop``,
# and ``container.kill()`` waited for them for ever.
@pytest.fixture(scope="module")
def broker_terminator(authorities, private_servers):
    _ca, _rogue, cert, key = authorities
    plain = urlsplit(private_servers.broker.amqp_uri())
    with terminator("amqp", f"{plain.hostname}:{plain.port}", cert, key) as port:
        yield port


@pytest.fixture(scope="module")
def database_terminator(authorities, databases):
    _ca, _rogue, cert, key = authorities
    plain = urlsplit(databases["registration"])
    with terminator("postgres", f"{plain.hostname}:{plain.port or 5432}", cert, key) as port:
        yield port


@pytest.fixture
def tls_broker(broker_terminator, rabbit_config):
    """``tls_broker(host)``: the test's vhost as an ``amqps://`` URI through the terminator."""
    plain = urlsplit(rabbit_config["AMQP_URI"])
    return lambda host=HOST: urlunsplit(
        (
            "amqps",
            f"{plain.username}:{plain.password}@{host}:{broker_terminator}",
            plain.path,
            "",
            "",
        )
    )


@pytest.fixture
def tls_database(database_terminator, database_urls):
    """``tls_database(host)``: registration's test database through the terminator."""
    plain = urlsplit(database_urls["registration"])
    credentials = plain.netloc.rsplit("@", 1)[0]
    return lambda host=HOST: urlunsplit(
        (plain.scheme, f"{credentials}@{host}:{database_terminator}", plain.path, "", "")
    )


def test_a_service_talks_to_the_broker_over_tls_verified_with_the_configured_ca(
    authorities, tls_broker, rabbit_config, container_factory, config_for, monkeypatch
):
    ca, *_ = authorities
    monkeypatch.setenv("AMQP_CA_FILE", str(ca.path))
    uri = tls_broker()

    assert broker_reachable(uri) is None
    declare_topology(uri)
    agency = Subscriber(rabbit_config["AMQP_URI"], c.exchange_name(c.REGISTRATION))
    try:
        registration = container_factory(
            RegistrationService, config_for("registration", AMQP_URI=uri, AMQP_SSL=amqp_ssl(uri))
        )
        registration.start()
        with entrypoint_hook(registration, "register_worker") as register:
            worker = register(worker_payload())
        # the relay published over TLS; the event reached a subscriber on the broker behind
        wait_for(
            lambda: any(e["worker_id"] == worker["id"] for e in agency.drain()),
            message="worker_registered published over TLS",
        )
    finally:
        agency.close()


def test_the_broker_is_refused_when_its_certificate_is_not_from_the_configured_ca(
    authorities, tls_broker, monkeypatch
):
    _ca, rogue, *_ = authorities
    monkeypatch.setenv("AMQP_CA_FILE", str(rogue.path))
    assert "CERTIFICATE_VERIFY_FAILED" in broker_reachable(tls_broker())


def test_the_broker_is_refused_when_its_certificate_names_another_host(
    authorities, tls_broker, monkeypatch
):
    ca, *_ = authorities
    monkeypatch.setenv("AMQP_CA_FILE", str(ca.path))
    reason = broker_reachable(tls_broker(host="127.0.0.1"))
    assert reason and "mismatch" in reason


def test_the_database_is_reached_with_verify_full_against_the_configured_ca(
    authorities, tls_database, monkeypatch
):
    ca, *_ = authorities
    monkeypatch.setenv("DATABASE_CA_FILE", str(ca.path))
    engine = make_engine(tls_database())
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
            info = connection.connection.dbapi_connection.info
            assert info.ssl_in_use and info.dsn_parameters["sslmode"] == "verify-full"
    finally:
        engine.dispose()


@pytest.mark.parametrize("case", ["another CA", "another host name"])
def test_the_database_is_refused_unless_its_certificate_verifies_fully(
    authorities, tls_database, monkeypatch, case
):
    ca, rogue, *_ = authorities
    monkeypatch.setenv("DATABASE_CA_FILE", str(rogue.path if case == "another CA" else ca.path))
    url = tls_database() if case == "another CA" else tls_database(host="127.0.0.1")
    engine = make_engine(url)
    try:
        with pytest.raises(OperationalError, match="certificate verify failed|does not match"):
            with engine.connect():
                pass
    finally:
        engine.dispose()
