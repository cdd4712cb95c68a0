"""``pmi token``: tokens for each role, signed as the gateway checks them, for development."""

from __future__ import annotations

import datetime as dt
import uuid

from pmi_common.config import service_config

from . import auth
from .roles import AGENCY, ROLES, VILLAGE, WORKER
from .token_policy import TokenPolicy

DEFAULT_AGENCY = "bp3mi-jatim"
DEFAULT_VILLAGE = "35.05.12.2001"  # a development village office's: Kademangan, Blitar


def mint_for(
    role: str,
    subject: str | None = None,
    agency: str | None = None,
    hours: float = 8,
    config: dict | None = None,
) -> str:
    if role not in ROLES:
        raise SystemExit(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    config = config if config is not None else service_config("gateway")
    try:
        secret = auth.signing_secret(config)
        policy = TokenPolicy.from_config(config)
    except ValueError as exc:
        raise SystemExit(f"cannot sign tokens: {exc}") from exc
    ttl = dt.timedelta(hours=hours)
    if ttl > policy.cap(role):
        raise SystemExit(
            f"a {role} token lives at most {policy.cap(role).total_seconds() / 3600:g}"
            " hours (JWT_MAX_HOURS)"
        )
    if role == WORKER:
        subject = subject or str(uuid.uuid4())
    if role == AGENCY:
        agency = agency or DEFAULT_AGENCY
    village = DEFAULT_VILLAGE if role == VILLAGE else None
    return auth.mint(
        secret,
        role,
        subject or f"dev-{role}",
        agency=agency,
        ttl=ttl,
        policy=policy,
        village=village,
    )


def print_tokens(
    roles: list[str], subject: str | None = None, agency: str | None = None, hours: float = 8
) -> None:
    """One role: just its token (``TOKEN=$(pmi token operator)``); several: ``role token`` lines."""
    if len(roles) == 1:
        print(mint_for(roles[0], subject, agency, hours))
        return
    for role in roles or ROLES:
        print(role, mint_for(role, subject, agency, hours))
