"""Signing in to the worker's app, in plain Python: a six-digit code that lives five minutes and
takes five tries, kept only as a keyed digest; a device's refresh tokens, rotated at each use,
where a rotated token presented again ends the device (someone else holds a copy)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

CODE_DIGITS = 6
CODE_LIFETIME = dt.timedelta(minutes=5)
MAX_TRIES = 5
ACCESS_LIFETIME = dt.timedelta(minutes=15)
REFRESH_LIFETIME = dt.timedelta(days=30)
# housekeeping: a code's row is kept a day after it expired, then deleted; a refresh token's row
# until it expires (a spent one presented again before then must still end its device), or, once
# its device ended, until its access token expired (nothing it names can be used again)
CODES_KEPT = dt.timedelta(days=1)
PRUNE_BATCH = 1000

WRONG_CODE = "kode salah atau sudah tidak berlaku (wrong or expired code)"
SPENT = "kode ini sudah dicoba lima kali: minta kode baru (five tries: ask for a new code)"
REFRESH_REFUSED = "perangkat ini harus masuk lagi (this device must sign in again)"
# why a device ended
BY_WORKER, BY_DESK, REUSED = "signed_out", "ended_by_desk", "refresh_token_reused"


class SignInRefused(Exception):
    """A code or a refresh token that does not sign anyone in; the message says why, in both
    languages, and never whether the NIK is known."""


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def digest(key: bytes, *parts: str) -> str:
    """A keyed SHA-256 digest: a code (with its challenge's id) or a refresh token as kept."""
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


@dataclass
class Challenge:
    """A code sent (or, for a NIK and phone not on record, a code sent to no one: the answer
    is the same) and what became of it."""

    id: str
    worker_id: str | None
    code_digest: str
    created_at: dt.datetime
    expires_at: dt.datetime
    tries: int = 0
    used_at: dt.datetime | None = None

    def try_code(self, presented_digest: str, now: dt.datetime) -> str:
        """The worker's id when the code is right, unused and in time; else ``SignInRefused``
        (each try counted, five at most)."""
        if self.tries >= MAX_TRIES:
            raise SignInRefused(SPENT)
        self.tries += 1
        right = hmac.compare_digest(self.code_digest, presented_digest)
        if not right or self.used_at is not None or now >= self.expires_at:
            raise SignInRefused(SPENT if self.tries >= MAX_TRIES and not right else WRONG_CODE)
        if self.worker_id is None:
            raise SignInRefused(WRONG_CODE)
        self.used_at = now
        return self.worker_id


@dataclass
class RefreshToken:
    """One refresh token of a device, as kept (its digest); ``rotated_at`` once it was traded
    for the next. The access token issued with it is named, so that ending the device can
    refuse it at once."""

    digest: str
    device_id: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    access_jti: str
    access_expires_at: dt.datetime
    rotated_at: dt.datetime | None = None


@dataclass
class Device:
    id: str
    worker_id: str
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime
    ended_at: dt.datetime | None = None
    ended_by: str | None = None
    end_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.ended_at is None

    def end(self, by: str, reason: str, now: dt.datetime) -> None:
        if self.ended_at is None:
            self.ended_at, self.ended_by, self.end_reason = now, by, reason


def check_refresh(token: RefreshToken, device: Device, now: dt.datetime) -> None:
    """Whether ``token`` may be traded now; a rotated one presented again ends the device
    (``REUSED``) before it is refused."""
    if not device.active or now >= token.expires_at:
        raise SignInRefused(REFRESH_REFUSED)
    if token.rotated_at is not None:
        device.end("platform", REUSED, now)
        raise SignInRefused(REFRESH_REFUSED)
