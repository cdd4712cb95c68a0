"""Rate limits at the edge, per client address and per subject, with the ``limits`` library
(sliding window counters: constant memory and time per client, a window that slides rather
than resets on the minute; in memory by default, or a shared store such as Redis given by
``RATE_LIMIT_STORAGE`` so that every gateway replica counts together).

- public routes (the certificate check, readiness, liveness, the API documents): per client
  address, ``RATE_LIMIT_PUBLIC`` (60/minute);
- token-protected writes: per subject, ``RATE_LIMIT_WRITES`` (120/minute), and per client
  address, ``RATE_LIMIT_WRITES_PER_ADDRESS`` (1200/minute: a desk office behind one address);
- sign-in codes asked for in the worker's app: per NIK and per phone, ``RATE_LIMIT_SIGN_IN``
  (5 per 15 minutes each), whether or not the NIK is on record.

The client address is the peer's, or, behind ``FORWARDED_HOPS`` trusted proxies (an ingress, a
load balancer), the one they add to ``X-Forwarded-For``. A request over a limit gets a 429 problem
with ``Retry-After``. NIK attempts at attendance are limited by the orientation service itself,
per trainer and worker, where its incidents are (see docs/orientation.md).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter
from werkzeug.wrappers import Request

from .problems import Problem

DEFAULTS = {
    "RATE_LIMIT_PUBLIC": "60/minute",
    "RATE_LIMIT_WRITES": "120/minute",
    "RATE_LIMIT_WRITES_PER_ADDRESS": "1200/minute",
    "RATE_LIMIT_SIGN_IN": "5/15minutes",
    "RATE_LIMIT_STORAGE": "memory://",
}


def forwarded_hops(value) -> int:
    """``FORWARDED_HOPS``: how many trusted proxies stand in front of the gateway (0: none, the
    peer is the client; 1: an ingress). A whole number, 0 or more; anything else is refused when
    the gateway starts, not answered with a 500 when a request comes."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"[0-9]{1,3}", text):
        raise ValueError(
            f"FORWARDED_HOPS must be a whole number of trusted proxies in front of the gateway, "
            f"0 or more (1 behind an ingress), not {value!r}"
        )
    return int(text)


class RateLimits:
    def __init__(self, config: Mapping):
        def setting(key: str) -> str:
            return str(config.get(key) or DEFAULTS[key])

        try:
            self.public = parse(setting("RATE_LIMIT_PUBLIC"))
            self.writes = parse(setting("RATE_LIMIT_WRITES"))
            self.writes_per_address = parse(setting("RATE_LIMIT_WRITES_PER_ADDRESS"))
            self.sign_in = parse(setting("RATE_LIMIT_SIGN_IN"))
        except ValueError as exc:
            raise ValueError(
                f"a RATE_LIMIT_* setting is not a rate such as 60/minute: {exc}"
            ) from exc
        self.limiter = SlidingWindowCounterRateLimiter(
            storage_from_string(setting("RATE_LIMIT_STORAGE"))
        )
        self.forwarded_hops = forwarded_hops(config.get("FORWARDED_HOPS"))

    def client_address(self, request: Request) -> str:
        """The peer, or the address the trusted proxies in front of the gateway saw."""
        if self.forwarded_hops:
            forwarded = [
                part.strip()
                for part in request.headers.get("X-Forwarded-For", "").split(",")
                if part.strip()
            ]
            if len(forwarded) >= self.forwarded_hops:
                return forwarded[-self.forwarded_hops]
        return request.remote_addr or "unknown"

    def check_public(self, request: Request) -> None:
        self._hit(self.public, "public", self.client_address(request), "this address")

    def check_write(self, request: Request, principal: str) -> None:
        self._hit(self.writes, "writes", principal, "this caller")
        self._hit(
            self.writes_per_address, "writes-address", self.client_address(request), "this address"
        )

    def check_sign_in(self, nik_key: str, phone_key: str) -> None:
        """Codes asked for in the worker's app: per NIK (its keyed digest) and per phone."""
        self._hit(self.sign_in, "sign-in-nik", nik_key, "this NIK")
        self._hit(self.sign_in, "sign-in-phone", phone_key, "this phone")

    def _hit(self, limit: RateLimitItem, scope: str, who: str, whom: str) -> None:
        if self.limiter.hit(limit, scope, who):
            return
        reset = self.limiter.get_window_stats(limit, scope, who).reset_time
        retry_after = max(1, math.ceil(reset - time.time()))
        raise Problem(
            429,
            "too-many-requests",
            "Too many requests",
            f"{whom} may send {limit} here; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
