"""The gateway's methods' door to the worker's app's sign-in: codes asked for and tried, devices
signed in, refresh tokens traded, devices ended (by the worker or the desk)."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from pmi_common.clock import SystemClock
from pmi_common.errors import NotFound
from pmi_common.identity import nik_digest
from pmi_common.store import make_engine

from .. import auth
from ..http import GatewayWebServer
from ..revocations import Revocations
from ..roles import WORKER
from . import signin as s
from .store import AppStore


def device_view(device: s.Device) -> dict:
    return {
        "id": device.id,
        "name": device.name,
        "created_at": device.created_at.isoformat(),
        "last_used_at": device.last_used_at.isoformat(),
        "active": device.active,
        "ended_at": device.ended_at.isoformat() if device.ended_at else None,
        "ended_by": device.ended_by,
        "end_reason": device.end_reason,
    }


@dataclass
class SignIns:
    engine: object
    clock: SystemClock
    server: GatewayWebServer
    revocations: Revocations

    @property
    def key(self) -> bytes:
        return self.server.secret.encode()

    def ask_code(
        self, nik: str, phone: str, identify: Callable[[str, str], str | None]
    ) -> tuple[dict, str | None, str]:
        """A challenge for a NIK and phone, whoever they belong to: (the answer, the worker's
        id or None, the code). The answer is the same whether or not the worker exists."""
        digits = "".join(ch for ch in phone if ch.isdigit())[-10:]
        self.server.rate_limits.check_sign_in(nik_digest(nik), digits)
        worker_id = identify(nik, phone)
        now, code = self.clock.now(), s.new_code()
        challenge = s.Challenge(
            id=str(uuid.uuid4()),
            worker_id=worker_id,
            code_digest="",
            created_at=now,
            expires_at=now + s.CODE_LIFETIME,
        )
        challenge.code_digest = s.digest(self.key, challenge.id, code)
        with self.engine.begin() as conn:
            AppStore(conn).add_challenge(challenge)
        answer = {
            "challenge": challenge.id,
            "expires_in": int(s.CODE_LIFETIME.total_seconds()),
            "tries": s.MAX_TRIES,
        }
        return answer, worker_id, code

    def try_code(self, challenge_id: str, code: str, device_name: str) -> dict:
        """A device signed in with a right code: its access and refresh tokens. A wrong one is
        counted (committed) before it is refused."""
        now, refused = self.clock.now(), None
        with self.engine.begin() as conn:
            store = AppStore(conn)
            challenge = store.challenge(challenge_id) if _is_id(challenge_id) else None
            if challenge is None:
                raise auth.Unauthenticated(s.WRONG_CODE)
            try:
                worker_id = challenge.try_code(s.digest(self.key, challenge.id, code), now)
            except s.SignInRefused as exc:
                refused = exc
            store.save_challenge(challenge)
            if refused is None:
                device = s.Device(str(uuid.uuid4()), worker_id, device_name[:100], now, now)
                store.add_device(device)
                return self._issue(store, device, now)
        raise auth.Unauthenticated(str(refused))

    def refresh(self, presented: str) -> dict:
        """The next access and refresh tokens for the refresh token presented, which is spent;
        one already spent, presented again, ends its device (committed before it is refused)."""
        now, refused = self.clock.now(), None
        with self.engine.begin() as conn:
            store = AppStore(conn)
            token = store.refresh_token(s.digest(self.key, "refresh", presented))
            device = store.device(token.device_id, lock=True) if token else None
            if token is None or device is None:
                raise auth.Unauthenticated(s.REFRESH_REFUSED)
            was_active = device.active
            try:
                s.check_refresh(token, device, now)
            except s.SignInRefused as exc:
                refused = exc
            if refused is None:
                store.rotated(token, now)
                device.last_used_at = now
                store.save_device(device)
                return self._issue(store, device, now)
            if was_active and not device.active:
                self._ended(store, device, now)
        raise auth.Unauthenticated(str(refused))

    def prune(self) -> dict[str, int]:
        """The sign-in's part of the platform's retention run: codes a day after they expired,
        refresh tokens that can no longer be used, in batches, each its own transaction."""
        now = self.clock.now()
        return {
            "codes_deleted": self._in_batches(
                lambda store: store.prune_codes(now - s.CODES_KEPT, s.PRUNE_BATCH)
            ),
            "refresh_tokens_deleted": self._in_batches(
                lambda store: store.prune_refresh_tokens(now, s.PRUNE_BATCH)
            ),
        }

    def _in_batches(self, step: Callable[[AppStore], int]) -> int:
        total = 0
        while True:
            with self.engine.begin() as conn:
                deleted = step(AppStore(conn))
            total += deleted
            if deleted < s.PRUNE_BATCH:
                return total

    def devices_of(self, worker_id: str) -> list[dict]:
        with self.engine.connect() as conn:
            return [device_view(d) for d in AppStore(conn).devices_of(worker_id)]

    def end_device(self, worker_id: str, device_id: str, actor: dict) -> dict:
        now = self.clock.now()
        by = f"{actor.get('role')}:{actor.get('subject')}"
        reason = s.BY_WORKER if actor.get("role") == WORKER else s.BY_DESK
        with self.engine.begin() as conn:
            store = AppStore(conn)
            device = store.device(device_id, lock=True)
            if device is None or device.worker_id != worker_id:
                raise NotFound(f"no device {device_id} of worker {worker_id}")
            if device.active:
                device.end(by, reason, now)
                self._ended(store, device, now)
            return device_view(device)

    def _ended(self, store: AppStore, device: s.Device, now: dt.datetime) -> None:
        """The device ended: kept so, and its access tokens still alive refused from now."""
        store.save_device(device)
        book = self.revocations.book
        for jti, expires_at in store.live_access_tokens(device.id, now):
            book.revoke_token(jti, device.ended_by or "platform", expires_at, now)
        self.revocations.answers.forget()

    def _issue(self, store: AppStore, device: s.Device, now: dt.datetime) -> dict:
        refresh = secrets.token_urlsafe(32)
        jti = str(uuid.uuid4())
        access = auth.mint(
            self.server.secret,
            WORKER,
            device.worker_id,
            ttl=s.ACCESS_LIFETIME,
            now=now,
            policy=self.server.policy,
            token_id=jti,
        )
        store.add_refresh_token(
            s.RefreshToken(
                digest=s.digest(self.key, "refresh", refresh),
                device_id=device.id,
                issued_at=now,
                expires_at=now + s.REFRESH_LIFETIME,
                access_jti=jti,
                access_expires_at=now + s.ACCESS_LIFETIME,
            )
        )
        return {
            "worker_id": device.worker_id,
            "device_id": device.id,
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(s.ACCESS_LIFETIME.total_seconds()),
            "refresh_token": refresh,
            "refresh_expires_in": int(s.REFRESH_LIFETIME.total_seconds()),
        }


def _is_id(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


class AppSignIn(DependencyProvider):
    """``SignIns`` on the gateway's database, with the clock tests may move (``clock``)."""

    server = GatewayWebServer()
    revocations = Revocations()

    def __init__(self) -> None:
        self.clock: SystemClock = SystemClock()

    def setup(self):
        self.engine = make_engine(self.container.config["DATABASE_URL"], workers=2)

    def stop(self):
        self.engine.dispose()

    kill = stop

    def get_dependency(self, worker_ctx) -> SignIns:
        return SignIns(self.engine, self.clock, self.server, self.revocations)
