"""Who is calling: JWT bearer tokens (HS256, ``JWT_SECRET``; claims ``sub``, ``role``, ``agency``,
``village`` (a village office's code), ``iat``, ``exp``, ``iss``, ``aud``, and ``jti`` when the
issuer gives one, checked against the
``TokenPolicy``), whether a token was revoked, and the signing secret the gateway may start with."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt

from pmi_common import production
from pmi_common.fields import VILLAGE_CODE
from pmi_common.production import is_development

from .roles import AGENCY, ROLES, VILLAGE, WORKER
from .token_policy import DEFAULT_POLICY, TokenPolicy

ALGORITHM = "HS256"
# Used only when PMI_ENV=development and no JWT_SECRET is set; refused everywhere else.
DEVELOPMENT_SECRET = production.DEVELOPMENT_JWT_SECRET
MIN_SECRET_LENGTH = production.MIN_KEY_LENGTH
DEFAULT_TTL = dt.timedelta(hours=8)


class Unauthenticated(Exception):
    """No token, or one that is expired, revoked, unsigned, wrongly signed or malformed."""


@dataclass(frozen=True)
class Caller:
    role: str
    subject: str
    agency: str | None = None
    # the token's iat (seconds since the epoch) and jti: what revocation is decided on
    issued_at: float = field(default=0.0, compare=False)
    token_id: str | None = field(default=None, compare=False)
    village: str | None = None  # a village office's: the Kemendagri code of its village

    @property
    def principal(self) -> str:
        return f"{self.role}:{self.subject}"

    @property
    def actor(self) -> dict:
        """As the services and event envelopes record who caused a change."""
        actor = {"role": self.role, "agency": self.agency, "subject": self.subject}
        if self.village is not None:
            actor["village"] = self.village
        return actor


REQUIRED_CLAIMS = ["sub", "role", "iat", "exp", "iss", "aud"]


def authenticate(
    authorization: str | None, secret: str, policy: TokenPolicy = DEFAULT_POLICY
) -> Caller:
    """The caller an ``Authorization: Bearer <JWT>`` header names, or ``Unauthenticated``."""
    return _verified(authorization, secret, policy)[0]


def _verified(authorization: str | None, secret: str, policy: TokenPolicy) -> tuple[Caller, float]:
    """The caller, and until when (``exp`` and the leeway, seconds since the epoch) the token
    is valid."""
    if not authorization:
        raise Unauthenticated("this endpoint needs a token: send Authorization: Bearer <JWT>")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be: Bearer <JWT>")
    try:
        claims = jwt.decode(
            token.strip(),
            secret,
            algorithms=[ALGORITHM],
            issuer=policy.issuer,
            audience=policy.audience,
            leeway=policy.leeway,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("the token has expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise Unauthenticated(
            "the token was issued in the future (iat or nbf); check the issuer's clock"
        ) from exc
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthenticated(f"the token must carry the {exc.claim} claim") from exc
    except jwt.InvalidIssuerError as exc:
        raise Unauthenticated(f"the token's iss must be {policy.issuer}") from exc
    except jwt.InvalidAudienceError as exc:
        raise Unauthenticated(f"the token's aud must name {policy.audience}") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(f"the token is not valid: {exc}") from exc
    _check_lifetime(claims, policy)
    return _caller(claims), claims["exp"] + policy.leeway


# Why a verified token is refused anyway (it was revoked), or None: ``revocations.Revocations``.
Revoked = Callable[[Caller], str | None]


def never_revoked(caller: Caller) -> str | None:
    return None


class VerifiedTokens:
    """``authenticate`` for one secret and policy, remembering the tokens it has verified.

    A token is the same string each time its holder sends it: its signature and claims checked
    once give the same caller until it expires. Time and revocation can make a verified token
    invalid, and both are checked at every request, after the memory: ``exp`` with the same
    leeway as PyJWT's, and ``revoked`` (the subject's "not before", the token id's deny-list).
    Tokens refused are not remembered; at most ``size`` are, the oldest forgotten first."""

    def __init__(
        self,
        secret: str,
        policy: TokenPolicy = DEFAULT_POLICY,
        size: int = 1024,
        revoked: Revoked = never_revoked,
    ):
        self.secret, self.policy, self.size, self.revoked = secret, policy, size, revoked
        self._seen: dict[str, tuple[Caller, float]] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def caller(self, authorization: str | None) -> Caller:
        caller = self._remembered(authorization)
        why = self.revoked(caller)
        if why:
            raise Unauthenticated(why)
        return caller

    def _remembered(self, authorization: str | None) -> Caller:
        seen = self._seen.get(authorization) if authorization else None
        if seen is not None:
            if time.time() < seen[1]:
                return seen[0]
            del self._seen[authorization]
        caller, valid_until = _verified(authorization, self.secret, self.policy)
        while len(self._seen) >= self.size:
            self._seen.pop(next(iter(self._seen)), None)
        self._seen[authorization] = (caller, valid_until)
        return caller


def _check_lifetime(claims: dict, policy: TokenPolicy) -> None:
    role = claims.get("role")
    lifetime = dt.timedelta(seconds=claims["exp"] - claims["iat"])
    cap = policy.cap(role if isinstance(role, str) else "")
    if lifetime > cap:
        raise Unauthenticated(
            f"the token lives longer than a {role} token may "
            f"({cap.total_seconds() / 3600:g} hours from iat to exp)"
        )


def _caller(claims: dict) -> Caller:
    role, subject, agency = claims.get("role"), claims.get("sub"), claims.get("agency")
    if role not in ROLES:
        raise Unauthenticated(f"the token's role must be one of {', '.join(ROLES)}")
    if not isinstance(subject, str) or not subject.strip():
        raise Unauthenticated("the token's sub must name the caller")
    token_id = claims.get("jti")
    if token_id is not None and (not isinstance(token_id, str) or len(token_id) > 200):
        raise Unauthenticated("the token's jti must be a string of at most 200 characters")
    if agency is not None and not isinstance(agency, str):
        raise Unauthenticated("the token's agency must be a string")
    if role == AGENCY and not agency:
        raise Unauthenticated("an agency token must name its agency")
    village = claims.get("village")
    if role == VILLAGE:
        if not isinstance(village, str):
            raise Unauthenticated("a village token must name its village (claim village)")
        if not VILLAGE_CODE.matches(village):
            raise Unauthenticated(
                "a village token's village must be a village code such as 35.05.01.2001"
            )
    else:
        village = None
    if role == WORKER:
        try:
            subject = str(uuid.UUID(subject))
        except ValueError as exc:
            raise Unauthenticated("a worker token's sub must be the worker's id") from exc
    return Caller(role, subject, agency, float(claims["iat"]), token_id, village)


def mint(
    secret: str,
    role: str,
    subject: str,
    agency: str | None = None,
    ttl: dt.timedelta = DEFAULT_TTL,
    now: dt.datetime | None = None,
    policy: TokenPolicy = DEFAULT_POLICY,
    village: str | None = None,
    token_id: str | None = None,
) -> str:
    """A signed token, as an identity provider (or ``pmi token`` in development) issues it."""
    issued = now or dt.datetime.now(dt.UTC)
    claims = {
        "sub": subject,
        "role": role,
        "agency": agency,
        "iat": issued,
        "exp": issued + ttl,
        "iss": policy.issuer,
        "aud": policy.audience,
        "jti": token_id or str(uuid.uuid4()),
    }
    if village is not None:
        claims["village"] = village
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


# the signing secret ----------------------------------------------------------------------------


def secret_problem(config: dict) -> str | None:
    """Why the configured secret may not be used here (production), or None."""
    if is_development(config):
        return None
    return production.key_problem("JWT_SECRET", config.get("JWT_SECRET"))


def signing_secret(config: dict) -> str:
    """The secret tokens are checked with; the development secret only in development."""
    problem = secret_problem(config)
    if problem:
        raise ValueError(problem)
    return config.get("JWT_SECRET") or DEVELOPMENT_SECRET
