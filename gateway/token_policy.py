"""What the gateway asks of a token beyond its signature: who issued it (``iss``), for whom
(``aud``), when (``iat``), and how long it may live, by role; with some leeway for clocks.

Configured by ``JWT_ISSUER``, ``JWT_AUDIENCE``, ``JWT_MAX_HOURS`` (``role=hours`` pairs, ``*``
for every other role: ``worker=720,*=12`` by default, 30 days for a worker's app and 12 hours
for staff) and ``JWT_LEEWAY_SECONDS`` (30).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_ISSUER = "pmi-lifecycle"
DEFAULT_AUDIENCE = "pmi-gateway"
DEFAULT_MAX_HOURS = "worker=720,*=12"
DEFAULT_LEEWAY_SECONDS = 30.0
EVERY_OTHER_ROLE = "*"


def parse_max_hours(text: str) -> dict[str, dt.timedelta]:
    """``"worker=720,*=12"`` -> {role: lifetime}; a clear ``ValueError`` for anything else."""
    caps: dict[str, dt.timedelta] = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        role, _, hours = pair.partition("=")
        try:
            value = float(hours)
        except ValueError:
            value = 0.0
        if not role.strip() or value <= 0:
            raise ValueError(
                f"JWT_MAX_HOURS takes role=hours pairs (e.g. {DEFAULT_MAX_HOURS}), not {pair!r}"
            )
        caps[role.strip()] = dt.timedelta(hours=value)
    if EVERY_OTHER_ROLE not in caps:
        raise ValueError(
            f"JWT_MAX_HOURS needs a cap for every other role (*=hours), e.g. {DEFAULT_MAX_HOURS}"
        )
    return caps


@dataclass(frozen=True)
class TokenPolicy:
    issuer: str = DEFAULT_ISSUER
    audience: str = DEFAULT_AUDIENCE
    leeway: float = DEFAULT_LEEWAY_SECONDS
    max_lifetime: Mapping[str, dt.timedelta] = field(
        default_factory=lambda: parse_max_hours(DEFAULT_MAX_HOURS)
    )

    @classmethod
    def from_config(cls, config: Mapping) -> TokenPolicy:
        return cls(
            issuer=config.get("JWT_ISSUER") or DEFAULT_ISSUER,
            audience=config.get("JWT_AUDIENCE") or DEFAULT_AUDIENCE,
            leeway=float(config.get("JWT_LEEWAY_SECONDS", DEFAULT_LEEWAY_SECONDS)),
            max_lifetime=parse_max_hours(config.get("JWT_MAX_HOURS") or DEFAULT_MAX_HOURS),
        )

    def cap(self, role: str) -> dt.timedelta:
        """The longest a token of ``role`` may live, from ``iat`` to ``exp``."""
        return self.max_lifetime.get(role, self.max_lifetime[EVERY_OTHER_ROLE])


DEFAULT_POLICY = TokenPolicy()
