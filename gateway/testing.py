"""Calling a running gateway from tests and scripts: a small HTTP client with a token per role.

nameko's own ``web_session`` fixture does not work with Werkzeug 3; this client is plain
``requests`` against the port the gateway listens on.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import random
import socket
import tempfile
import uuid
from pathlib import Path
from typing import Any

import requests

from pmi_common.config import WEBHOOK_SETTINGS
from pmi_common.contract import AGENCIES, REGISTRATION, SERVICES

from . import auth
from .roles import AGENCY, VILLAGE
from .routes import PREFIX

TEST_SECRET = "a-test-secret-of-more-than-thirty-two-characters"
# Ports for servers a test starts are taken below the range the kernel hands out to outgoing
# connections: a port found free there (bound to port 0 and let go) can be taken by any
# connection the machine opens before the server binds it.
_EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 10000


# A port found free is reserved until this process ends, so that the suite's processes, choosing
# at once, never give the same port to two servers (a RabbitMQ node takes seconds to bind the port
# it was given; another process finding it free meanwhile made the second server fail to start):
# a lock on a file named after the port, which the kernel lets go when the process ends.
_RESERVED = Path(tempfile.gettempdir()) / f"pmi-test-ports-{os.getuid()}"
_HELD: list = []


def free_port() -> int:
    """A loopback port nothing listens on and no other process of the suite has taken, outside
    the ephemeral range."""
    try:
        below = int(_EPHEMERAL.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        below = 32768
    for _ in range(1000):
        port = random.randrange(_LOWEST, below)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        if _reserve(port):
            return port
    raise RuntimeError(f"no free port between {_LOWEST} and {below}")


def _reserve(port: int) -> bool:
    _RESERVED.mkdir(exist_ok=True)
    handle = open(_RESERVED / str(port), "a")  # noqa: SIM115 - held open until the process ends
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # another process of the suite (or this one) has it
        handle.close()
        return False
    _HELD.append(handle)
    return True


TEST_PSEUDONYM_KEY = "a-test-pseudonym-key-of-more-than-thirty-two-characters"
# the agencies service seals and opens webhook secrets with it (the gateway does not hold it)
TEST_WEBHOOK_SECRET_KEY = "a-test-webhook-secret-key-of-more-than-thirty-two-characters"
TEST_ANSWER_KEY = "a-test-key-for-kept-idempotency-answers-of-32-characters"


def gateway_config(base: dict, **overrides) -> dict:
    """A gateway config on a free local port, checking tokens with ``TEST_SECRET``."""
    config = dict(base)
    config.update(
        {
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
            "JWT_SECRET": TEST_SECRET,
            "PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
            "IDEMPOTENCY_ANSWER_KEY": TEST_ANSWER_KEY,
            "PMI_ENV": "test",
            "WEBHOOK_ALLOW_HTTP": "true",  # the tests' receivers are plain http on loopback
            # tests send bursts from one address and subject; the limits' own tests
            # set small ones
            "RATE_LIMIT_PUBLIC": "100000/minute",
            "RATE_LIMIT_WRITES": "100000/minute",
            "RATE_LIMIT_WRITES_PER_ADDRESS": "100000/minute",
            "RATE_LIMIT_SIGN_IN": "100000/minute",
        }
    )
    config.update(overrides)
    return config


def loopback_session() -> requests.Session:
    """A ``requests`` session for the platform on this machine: it reads no proxy settings from
    the environment (requests otherwise walks every environment variable on each request to
    find them, a fifth of a test driver's CPU, and a machine's proxy must never see the tests'
    loopback traffic)."""
    session = requests.Session()
    session.trust_env = False
    return session


class ApiClient:
    """``client.as_role("operator").post("/workers", json=...)``; paths are under ``/api/v1``."""

    def __init__(
        self,
        address: str,
        secret: str = TEST_SECRET,
        token: str | None = None,
        session: requests.Session | None = None,
    ):
        self.address = address
        self.base_url = f"http://{address}{PREFIX}"
        self.secret = secret
        self.token = token
        self.session = session or loopback_session()

    @classmethod
    def for_config(cls, config: dict) -> ApiClient:
        return cls(config["WEB_SERVER_ADDRESS"], config.get("JWT_SECRET") or TEST_SECRET)

    def mint(
        self,
        role: str,
        subject: str | None = None,
        agency: str | None = None,
        ttl: dt.timedelta = auth.DEFAULT_TTL,
        village: str | None = None,
    ) -> str:
        if agency is None and role == AGENCY:
            agency = "bp3mi-jatim"
        if village is None and role == VILLAGE:
            village = "35.05.12.2001"  # Kademangan, Blitar
        return auth.mint(
            self.secret,
            role,
            subject or f"{role}-{uuid.uuid4().hex[:6]}",
            agency=agency,
            ttl=ttl,
            village=village,
        )

    def as_role(self, role: str, subject: str | None = None, **claims) -> ApiClient:
        return self.with_token(self.mint(role, subject, **claims))

    def with_token(self, token: str | None) -> ApiClient:
        return ApiClient(self.address, self.secret, token, self.session)

    def anonymous(self) -> ApiClient:
        return self.with_token(None)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.base_url + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def agencies_config(base: dict, **overrides) -> dict:
    """An agencies service config with the keys the test gateway has (the pseudonyms it shows,
    the webhook secrets it seals and opens), calling the tests' plain http receivers."""
    config = dict(base)
    config.update(
        {
            "PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
            "WEBHOOK_SECRET_KEY": TEST_WEBHOOK_SECRET_KEY,
            "WEBHOOK_ALLOW_HTTP": "true",
        }
    )
    config.update(overrides)
    return config


def start_stack(
    container_factory, config_for, services=(*SERVICES, AGENCIES), **overrides
) -> ApiClient:
    """The services named (the agencies service among them by default) and a gateway in front
    of them, on the test broker and databases; the gateway reads agreements from the agencies
    database, and the webhook settings given go to the agencies service too."""
    from pmi_common.runner import service_class

    for service in services:
        config = config_for(service)
        if service == AGENCIES:
            shared = (*WEBHOOK_SETTINGS, "PSEUDONYM_KEY")
            given = {k: v for k, v in overrides.items() if k in shared}
            config = agencies_config(config, **given)
        container_factory(service_class(service), config).start()
    overrides.setdefault("AGENCIES_READ_DATABASE_URL", config_for(AGENCIES)["DATABASE_URL"])
    if REGISTRATION in services:  # registration's reads from its database, as deployed
        overrides.setdefault(
            "REGISTRATION_READ_DATABASE_URL", config_for(REGISTRATION)["DATABASE_URL"]
        )
    config = gateway_config(config_for("gateway"), **overrides)
    container_factory(service_class("gateway"), config).start()
    return ApiClient.for_config(config)
