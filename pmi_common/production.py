"""Production is the default: what a process refuses to start with outside development.

Every process runs as production unless ``PMI_ENV=development``. In production it refuses a
missing, short or known default secret: the gateway's ``JWT_SECRET``, the ``NIK_DIGEST_KEY`` of
the services that digest NIKs, the ``PSEUDONYM_KEY`` of what agencies receive (its own secret,
not the ``JWT_SECRET``), the ``WEBHOOK_SECRET_KEY`` webhook signing secrets are sealed with, the
``IDEMPOTENCY_ANSWER_KEY`` of every process (the gateway and each service seal the answers they
keep for keyed writes under it; a secret of its own), and broker, management API and database
passwords that are the packages' own defaults (RabbitMQ's ``guest``, PostgreSQL's ``postgres``);
and a database that is not PostgreSQL (SQLite, or none given). Each refusal names the variable
and how to make a good value.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

DEVELOPMENT = "development"
PRODUCTION = "production"
MIN_KEY_LENGTH = 32  # JWT_SECRET, NIK_DIGEST_KEY
MIN_PASSWORD_LENGTH = 16  # broker and database passwords

# Development values written in this repository, and the packages' and tutorials' defaults.
DEVELOPMENT_JWT_SECRET = "pmi-development-secret-never-use-outside-a-laptop"
DEVELOPMENT_NIK_DIGEST_KEY = "development-nik-digest-key"
DEVELOPMENT_PSEUDONYM_KEY = "pmi-development-pseudonym-key-never-use-outside-a-laptop"
DEVELOPMENT_WEBHOOK_SECRET_KEY = "pmi-development-webhook-secret-key-never-use-outside-a-laptop"
DEVELOPMENT_ANSWER_KEY = "pmi-development-answer-key-never-use-outside-a-laptop"
KNOWN_DEFAULTS = frozenset(
    {
        DEVELOPMENT_JWT_SECRET,
        DEVELOPMENT_NIK_DIGEST_KEY,
        DEVELOPMENT_PSEUDONYM_KEY,
        DEVELOPMENT_WEBHOOK_SECRET_KEY,
        DEVELOPMENT_ANSWER_KEY,
        "change-me-nik-digest-key",
        "guest",
        "postgres",
        "password",
        "secret",
        "changeme",
        "change-me",
        "jwt-secret",
        "admin",
        "root",
        "rabbitmq",
    }
)
HOW_TO_MAKE = (
    "make one with `openssl rand -hex 32` (`make secrets` writes every secret the "
    "platform needs into .env)"
)
# the processes that digest and compare NIKs
NIK_DIGEST_SERVICES = frozenset({"registration", "orientation"})
# the processes that give agencies staff as pseudonyms
PSEUDONYM_SERVICES = frozenset({"gateway", "agencies"})
# the processes that seal webhook secrets (the gateway) or open them to sign (the agencies service)
WEBHOOK_SECRET_SERVICES = frozenset({"agencies"})  # only it seals and opens them


class Refused(SystemExit):
    """A process that will not start in production, with every reason."""


def environment(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (env.get("PMI_ENV") or PRODUCTION).strip().lower()


def is_development(config: Mapping | None = None) -> bool:
    """``PMI_ENV`` of a nameko config (or of the environment): production unless development."""
    return environment(config) == DEVELOPMENT


def weakness(value: str | None, minimum: int) -> str | None:
    """``missing``, ``default`` or ``short``: what is wrong with a secret; None when nothing."""
    if not value:
        return "missing"
    if value in KNOWN_DEFAULTS:
        return "default"
    return "short" if len(value) < minimum else None


def key_problem(name: str, value: str | None) -> str | None:
    """Why ``value`` may not be the key ``name`` in production, or None."""
    return {
        "missing": f"{name} is not set",
        "default": f"{name} is a known default value",
        "short": f"{name} is shorter than {MIN_KEY_LENGTH} characters",
        None: None,
    }[weakness(value, MIN_KEY_LENGTH)]


def password_problem(name: str, url: str | None, env: Mapping[str, str]) -> str | None:
    """Why the password a connection URL (or ``PGPASSWORD`` for a database) gives may not be
    used in production, or None. SQLite files have no password."""
    if not url or url.startswith("sqlite"):
        return None
    parts = urlsplit(url)
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    if not password and parts.scheme.startswith("postgres"):
        if "sslcert" in parse_qs(parts.query):  # a client certificate instead of a password
            return None
        password = env.get("PGPASSWORD", "")
    if user == "guest":
        return f"{name} connects as RabbitMQ's default user guest"
    return {
        "missing": f"{name} has no password",
        "default": f"the password in {name} is a known default ({password})",
        "short": f"the password in {name} is shorter than {MIN_PASSWORD_LENGTH} characters",
        None: None,
    }[weakness(password, MIN_PASSWORD_LENGTH)]


def problems(service: str, config: Mapping, env: Mapping[str, str] | None = None) -> list[str]:
    """Every reason ``service`` may not start with ``config`` (its nameko config) in production;
    empty in development."""
    env = os.environ if env is None else env
    if is_development(config):
        return []
    found = [
        password_problem("AMQP_URI", config.get("AMQP_URI"), env),
        database_problem(config.get("DATABASE_URL")),
        password_problem("DATABASE_URL", config.get("DATABASE_URL"), env),
    ]
    if "RABBITMQ_MANAGEMENT_URL" in config:
        found.append(management_problem(config.get("RABBITMQ_MANAGEMENT_URL")))
    found.append(answer_key_problem(config))  # every process keeps answers to keyed writes
    if service == "gateway":
        found.append(key_problem("JWT_SECRET", config.get("JWT_SECRET")))
    if service in NIK_DIGEST_SERVICES:
        found.append(key_problem("NIK_DIGEST_KEY", env.get("NIK_DIGEST_KEY")))
    if service in PSEUDONYM_SERVICES:
        found.append(pseudonym_key_problem(config))
    if service in WEBHOOK_SECRET_SERVICES:
        found.append(key_problem("WEBHOOK_SECRET_KEY", config.get("WEBHOOK_SECRET_KEY")))
    found.append(broker_user_problem(service, config))
    return [problem for problem in found if problem]


def database_problem(url: str | None) -> str | None:
    """Production keeps its data in PostgreSQL: not in a SQLite file on a container's disk,
    which is what a process without ``DATABASE_URL`` opens."""
    if not url:
        return "DATABASE_URL is not set: production keeps its data in PostgreSQL"
    if url.startswith("sqlite"):
        return (
            "DATABASE_URL is SQLite (or unset: a file on the container's own disk, lost with "
            "it): production keeps its data in PostgreSQL"
        )
    return None


def management_problem(url: str | None) -> str | None:
    """The management API's credentials, when the URL carries any (a URL naming only the host
    is used to keep webhooks off it, not to call it); unset, it is RabbitMQ's ``guest``."""
    parts = urlsplit(url or "")
    if not (parts.username or parts.password):
        return None
    return password_problem("RABBITMQ_MANAGEMENT_URL", url, {})


def pseudonym_key_problem(config: Mapping) -> str | None:
    """``PSEUDONYM_KEY`` is a secret of its own: whoever holds the key reverses a pseudonym by
    trying logins, and the token secret is held by more (and rotated for other reasons)."""
    key = config.get("PSEUDONYM_KEY") or ""
    if key and key == (config.get("JWT_SECRET") or ""):
        return (
            "PSEUDONYM_KEY is the JWT_SECRET: give staff pseudonyms a secret of their own "
            "(whoever holds the token secret could reverse them)"
        )
    return key_problem("PSEUDONYM_KEY", key)


def answer_key_problem(config: Mapping) -> str | None:
    """``IDEMPOTENCY_ANSWER_KEY`` seals the answers the gateway and the services keep for a retry
    (a worker's record, NIK included): a secret of its own, so neither the token secret nor the
    pseudonym key opens them."""
    key = config.get("IDEMPOTENCY_ANSWER_KEY") or ""
    for other in ("JWT_SECRET", "PSEUDONYM_KEY"):
        if key and key == (config.get(other) or ""):
            return f"IDEMPOTENCY_ANSWER_KEY is the {other}: give kept answers a secret of their own"
    return key_problem("IDEMPOTENCY_ANSWER_KEY", key)


def secret_setting(
    config: Mapping,
    name: str,
    development_key: str,
    problem: Callable[[Mapping], str | None],
) -> str:
    """The secret ``name`` of a process's config: unset in development, the development key;
    anywhere else, a missing, weak or shared one (``problem``) is a ``ValueError`` (a production
    process refuses to start before, in ``problems``)."""
    key = config.get(name) or ""
    if is_development(config):
        return key or development_key
    found = problem(config)
    if found:
        raise ValueError(f"{found}: set a random secret of 32+ characters (`make secrets`)")
    return key


def broker_user_problem(service: str, config: Mapping) -> str | None:
    """In production each process connects as its own broker user, named in ``BROKER_USERS``."""
    users = (config.get("BROKER_USERS") or "").strip()
    if not users:
        return (
            "BROKER_USERS is not set: each process must connect as its own broker user "
            "(`pmi broker setup` creates them)"
        )
    pairs = dict(pair.strip().partition("=")[::2] for pair in users.split(",") if pair.strip())
    connects_as = unquote(urlsplit(config.get("AMQP_URI") or "").username or "")
    if pairs.get(service, "").strip() != connects_as:
        return (
            f"AMQP_URI connects as {connects_as or 'nobody'}, not as {service}'s own broker "
            f"user in BROKER_USERS ({pairs.get(service, '').strip() or 'none named'})"
        )
    return None


def refusal(service: str, found: list[str]) -> str:
    """What a refusing process prints: each reason, then how to fix it."""
    reasons = "".join(f"\n  - {problem}" for problem in found)
    return (
        f"{service} will not start in production:{reasons}\n"
        f"For each secret, {HOW_TO_MAKE}; a password needs {MIN_PASSWORD_LENGTH}+ "
        f"characters, a key {MIN_KEY_LENGTH}+. PMI_ENV=development allows the development "
        "defaults, on a laptop only."
    )


def check(service: str, config: Mapping, env: Mapping[str, str] | None = None) -> None:
    """Raise ``Refused`` (the process exits with the message) when ``problems`` finds any."""
    found = problems(service, config, env)
    if found:
        raise Refused(refusal(service, found))


def nik_digest_key(env: Mapping[str, str] | None = None) -> str:
    """The NIK digest key: ``NIK_DIGEST_KEY``, or the development key in development only."""
    env = os.environ if env is None else env
    key = env.get("NIK_DIGEST_KEY")
    if is_development(env):
        return key or DEVELOPMENT_NIK_DIGEST_KEY
    problem = key_problem("NIK_DIGEST_KEY", key)
    if problem:
        raise Refused(refusal("the NIK digest", [problem]))
    assert key is not None  # a missing key is a problem, refused above
    return key
