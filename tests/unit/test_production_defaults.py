"""Production is the default: a process refuses every default secret, naming the variable and
how to make one; development (``PMI_ENV=development``) runs on the development defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pmi_common import production
from pmi_common.identity import nik_digest

ROOT = Path(__file__).resolve().parents[2]
KEY = "k" * 40
PASSWORD = "p" * 20
GOOD_AMQP = f"amqp://pmi-registration:{PASSWORD}@broker:5672/"
USERS = ",".join(
    f"{s}=pmi-registration"
    for s in ("registration", "documents", "orientation", "reintegration", "gateway", "agencies")
)
GOOD_DATABASE = f"postgresql+psycopg2://registration:{PASSWORD}@db:5432/registration"


def config(**values) -> dict:
    return {
        "AMQP_URI": GOOD_AMQP,
        "DATABASE_URL": GOOD_DATABASE,
        "BROKER_USERS": USERS,
        "WEBHOOK_SECRET_KEY": "w" * 40,
        "IDEMPOTENCY_ANSWER_KEY": "a" * 40,
        **values,
    }


@pytest.mark.parametrize(
    "amqp_uri, refusal",
    [
        ("amqp://guest:guest@rabbitmq:5672/", "AMQP_URI connects as RabbitMQ's default user guest"),
        (
            "amqp://pmi-registration:guest@rabbitmq:5672/",
            "the password in AMQP_URI is a known default (guest)",
        ),
        ("amqp://pmi-registration@rabbitmq:5672/", "AMQP_URI has no password"),
        (
            "amqp://pmi-registration:short@rabbitmq:5672/",
            "the password in AMQP_URI is shorter than 16 characters",
        ),
    ],
)
def test_production_refuses_the_broker_defaults(amqp_uri, refusal):
    assert production.problems("documents", config(AMQP_URI=amqp_uri), env={})[0] == refusal


def test_production_wants_each_process_on_its_own_broker_user():
    assert production.problems("documents", config(BROKER_USERS=""), env={}) == [
        "BROKER_USERS is not set: each process must connect as its own broker user "
        "(`pmi broker setup` creates them)"
    ]
    assert production.problems(
        "documents", config(BROKER_USERS="documents=pmi-documents"), env={}
    ) == [
        "AMQP_URI connects as pmi-registration, not as documents's own broker user in "
        "BROKER_USERS (pmi-documents)"
    ]


@pytest.mark.parametrize(
    "url, env, refusal",
    [
        (
            "postgresql+psycopg2://postgres:postgres@db:5432/x",
            {},
            "the password in DATABASE_URL is a known default (postgres)",
        ),
        ("postgresql+psycopg2://postgres@db:5432/x", {}, "DATABASE_URL has no password"),
        (
            "postgresql+psycopg2://registration@db:5432/x",
            {"PGPASSWORD": "postgres"},
            "the password in DATABASE_URL is a known default (postgres)",
        ),
    ],
)
def test_production_refuses_the_database_defaults(url, env, refusal):
    assert production.problems("documents", config(DATABASE_URL=url), env=env) == [refusal]


def test_a_database_password_may_come_from_pgpassword_or_a_client_certificate():
    without = "postgresql+psycopg2://registration@db:5432/registration"
    assert (
        production.problems("documents", config(DATABASE_URL=without), env={"PGPASSWORD": PASSWORD})
        == []
    )
    assert (
        production.problems(
            "documents",
            config(DATABASE_URL=without + "?sslmode=verify-full&sslcert=/tls/client.crt"),
            env={},
        )
        == []
    )


@pytest.mark.parametrize(
    "key, refusal",
    [
        (None, "NIK_DIGEST_KEY is not set"),
        ("development-nik-digest-key", "NIK_DIGEST_KEY is a known default value"),
        ("change-me-nik-digest-key", "NIK_DIGEST_KEY is a known default value"),
        ("0123456789abcdef", "NIK_DIGEST_KEY is shorter than 32 characters"),
    ],
)
def test_services_that_digest_niks_refuse_a_default_key(key, refusal):
    env = {} if key is None else {"NIK_DIGEST_KEY": key}
    for service in ("registration", "orientation"):
        assert production.problems(service, config(), env=env) == [refusal]
    assert production.problems("reintegration", config(), env=env) == []


def test_the_gateway_refuses_a_default_secret():
    found = production.problems(
        "gateway",
        config(JWT_SECRET="secret", PSEUDONYM_KEY=KEY, IDEMPOTENCY_ANSWER_KEY="a" * 40),
        env={},
    )
    assert found == ["JWT_SECRET is a known default value"]


@pytest.mark.parametrize(
    "url, refusal",
    [
        ("", "DATABASE_URL is not set: production keeps its data in PostgreSQL"),
        ("sqlite:///var/registration.db", "DATABASE_URL is SQLite"),
    ],
)
def test_production_keeps_its_data_in_postgresql_not_in_a_file_on_the_containers_disk(url, refusal):
    [found] = production.problems(
        "registration", config(DATABASE_URL=url), env={"NIK_DIGEST_KEY": KEY}
    )
    assert found.startswith(refusal)


def test_a_process_given_no_database_url_opens_sqlite_and_is_refused(monkeypatch, tmp_path):
    from pmi_common.config import service_config

    for name in ("DATABASE_URL", "DOCUMENTS_DATABASE_URL", "PMI_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AMQP_URI", GOOD_AMQP)
    monkeypatch.setenv("BROKER_USERS", USERS)
    monkeypatch.setenv("IDEMPOTENCY_ANSWER_KEY", KEY)
    monkeypatch.setattr("pmi_common.config.STATE_DIR", tmp_path)

    [found] = production.problems("documents", service_config("documents"), env={})

    assert found.startswith("DATABASE_URL is SQLite (or unset")


@pytest.mark.parametrize(
    "url, refusal",
    [
        (None, "RABBITMQ_MANAGEMENT_URL connects as RabbitMQ's default user guest"),
        (
            "http://guest:guest@rabbitmq:15672",
            "RABBITMQ_MANAGEMENT_URL connects as RabbitMQ's default user guest",
        ),
        (
            "http://pmi-admin:guest@rabbitmq:15672",
            "the password in RABBITMQ_MANAGEMENT_URL is a known default (guest)",
        ),
        (
            "http://pmi-admin:rabbitmq@rabbitmq:15672",
            "the password in RABBITMQ_MANAGEMENT_URL is a known default (rabbitmq)",
        ),
        (
            "http://pmi-admin:short@rabbitmq:15672",
            "the password in RABBITMQ_MANAGEMENT_URL is shorter than 16 characters",
        ),
        (f"http://pmi-admin:{PASSWORD}@rabbitmq:15672", None),
        ("http://rabbitmq:15672", None),  # the host only: webhooks are kept off it
    ],
)
def test_production_refuses_a_default_management_password(url, refusal, monkeypatch):
    from pmi_common.config import service_config

    monkeypatch.setenv("DATABASE_URL", GOOD_DATABASE)
    monkeypatch.setenv("PMI_ENV", "production")
    if url is None:
        monkeypatch.delenv("RABBITMQ_MANAGEMENT_URL", raising=False)
    else:
        monkeypatch.setenv("RABBITMQ_MANAGEMENT_URL", url)
    for service in ("gateway", "agencies"):
        settings = {
            **service_config(service),
            **config(JWT_SECRET=KEY, PSEUDONYM_KEY="q" * 40, IDEMPOTENCY_ANSWER_KEY="a" * 40),
        }
        assert production.problems(service, settings, env={}) == ([refusal] if refusal else [])


@pytest.mark.parametrize(
    "settings, refusal",
    [
        ({"JWT_SECRET": KEY}, "PSEUDONYM_KEY is not set"),
        ({"JWT_SECRET": KEY, "PSEUDONYM_KEY": KEY}, "PSEUDONYM_KEY is the JWT_SECRET"),
        ({"JWT_SECRET": KEY, "PSEUDONYM_KEY": "short"}, "PSEUDONYM_KEY is shorter than 32"),
    ],
)
def test_the_pseudonym_key_is_a_secret_of_its_own(settings, refusal):
    answer_key = {"IDEMPOTENCY_ANSWER_KEY": "a" * 40}
    for service in ("gateway", "agencies"):
        [found] = production.problems(service, config(**settings, **answer_key), env={})
        assert found.startswith(refusal)
    assert (
        production.problems(
            "gateway",
            config(JWT_SECRET=KEY, PSEUDONYM_KEY="q" * 40, IDEMPOTENCY_ANSWER_KEY="a" * 40),
        )
        == []
    )


@pytest.mark.parametrize(
    "key, refusal",
    [
        (None, "WEBHOOK_SECRET_KEY is not set"),
        ("", "WEBHOOK_SECRET_KEY is not set"),
        (production.DEVELOPMENT_WEBHOOK_SECRET_KEY, "WEBHOOK_SECRET_KEY is a known default value"),
        ("0123456789abcdef", "WEBHOOK_SECRET_KEY is shorter than 32 characters"),
    ],
)
def test_the_agencies_refuse_to_start_without_a_key_to_seal_webhook_secrets_the_gateway_needs_none(
    key, refusal
):
    from pmi_common.sealing import webhook_sealer

    settings = config(JWT_SECRET=KEY, PSEUDONYM_KEY="q" * 40, IDEMPOTENCY_ANSWER_KEY="a" * 40)
    if key is None:
        del settings["WEBHOOK_SECRET_KEY"]
    else:
        settings["WEBHOOK_SECRET_KEY"] = key
    assert production.problems("agencies", settings, env={}) == [refusal]
    for service in ("gateway", "documents"):  # the agencies service alone seals and opens them
        assert production.problems(service, settings, env={}) == []
    with pytest.raises(ValueError, match=refusal):
        webhook_sealer(settings)  # what the agencies service's set-up reads
    development = webhook_sealer({"PMI_ENV": "development"})
    sealed = development.seal("whsec_x")
    assert "whsec_x" not in sealed and development.open(sealed) == "whsec_x"


@pytest.mark.parametrize(
    "settings, refusal",
    [
        ({"IDEMPOTENCY_ANSWER_KEY": ""}, "IDEMPOTENCY_ANSWER_KEY is not set"),
        (
            {"IDEMPOTENCY_ANSWER_KEY": production.DEVELOPMENT_ANSWER_KEY},
            "IDEMPOTENCY_ANSWER_KEY is a known default value",
        ),
        ({"IDEMPOTENCY_ANSWER_KEY": "0123456789abcdef"}, "IDEMPOTENCY_ANSWER_KEY is shorter"),
        (
            {"IDEMPOTENCY_ANSWER_KEY": KEY, "PSEUDONYM_KEY": KEY},
            "IDEMPOTENCY_ANSWER_KEY is the PSEUDONYM_KEY",
        ),
    ],
)
def test_every_service_refuses_to_start_without_a_strong_key_for_the_answers_it_keeps(
    settings, refusal, monkeypatch
):
    from pmi_common.config import service_config
    from pmi_common.contract import AGENCIES, SERVICES
    from pmi_common.kept_answers import kept_answers

    monkeypatch.setenv("PMI_ENV", "production")
    monkeypatch.setenv("IDEMPOTENCY_ANSWER_KEY", settings["IDEMPOTENCY_ANSWER_KEY"])
    for service in (*SERVICES, AGENCIES):
        # the key as a service's config reads it from the environment
        read = {"IDEMPOTENCY_ANSWER_KEY": service_config(service)["IDEMPOTENCY_ANSWER_KEY"]}
        found = production.problems(service, config(**{**settings, **read}), {})
        assert any(problem.startswith(refusal) for problem in found), (service, found)
        with pytest.raises(ValueError, match=refusal):
            kept_answers(config(**settings), service)  # what the service's Database sets up
    assert kept_answers({"PMI_ENV": "development"}, "documents").open("k", {"id": 1}) == {"id": 1}


def test_development_accepts_every_default():
    dev = {
        "PMI_ENV": "development",
        "AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/",
        "DATABASE_URL": "postgresql+psycopg2://postgres@127.0.0.1/x",
    }
    assert production.problems("gateway", dev, env={}) == []
    assert (
        production.nik_digest_key({"PMI_ENV": "development"})
        == production.DEVELOPMENT_NIK_DIGEST_KEY
    )


def test_production_is_the_default_when_pmi_env_is_unset():
    assert production.environment({}) == "production"
    assert not production.is_development({"PMI_ENV": ""})
    assert production.problems("documents", config(AMQP_URI="amqp://guest:guest@h/"), env={})


def test_no_nik_is_digested_with_the_development_key_in_production(monkeypatch):
    monkeypatch.setenv("PMI_ENV", "production")
    monkeypatch.delenv("NIK_DIGEST_KEY", raising=False)
    with pytest.raises(production.Refused, match="NIK_DIGEST_KEY is not set"):
        nik_digest("3505014101900001")
    monkeypatch.setenv("NIK_DIGEST_KEY", KEY)
    assert nik_digest("3505014101900001") == nik_digest("3505014101900001", key=KEY)


@pytest.mark.parametrize("service", ["gateway", "registration"])
def test_a_process_started_without_pmi_env_runs_as_production_and_refuses(service, tmp_path):
    """As an office starting the image with no configuration: every refusal, then how to fix."""
    env = {key: value for key, value in os.environ.items() if key not in production_variables()}
    env["PMI_STATE_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "pmi_common.runner", service],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert f"{service} will not start in production:" in done.stderr
    assert "AMQP_URI connects as RabbitMQ's default user guest" in done.stderr
    assert "openssl rand -hex 32" in done.stderr
    expected = "JWT_SECRET is not set" if service == "gateway" else "NIK_DIGEST_KEY is not set"
    assert expected in done.stderr


def production_variables() -> set[str]:
    from pmi_common.config import ENVIRONMENT

    return set(ENVIRONMENT)


def test_the_gateway_reads_agreements_where_the_agencies_service_keeps_them(monkeypatch, tmp_path):
    from pmi_common.config import service_config

    monkeypatch.setattr("pmi_common.config.STATE_DIR", tmp_path)
    for name in ("DATABASE_URL", "AGENCIES_DATABASE_URL", "AGENCIES_READ_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PMI_ENV", "development")  # `make run`: the agencies' own SQLite file
    assert (
        service_config("gateway")["AGENCIES_READ_DATABASE_URL"]
        == (service_config("agencies")["DATABASE_URL"])
        != service_config("gateway")["DATABASE_URL"]
    )

    monkeypatch.setenv("PMI_ENV", "production")  # never guessed: the role's URL is given
    assert "AGENCIES_READ_DATABASE_URL" not in service_config("gateway")
