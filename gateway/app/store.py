"""The worker's app's codes and devices in the gateway's database (``models``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select, update

from ..models import app_devices, refresh_tokens, sign_in_codes
from .signin import Challenge, Device, RefreshToken


def _row(table, thing) -> dict[str, Any]:
    return {c.name: getattr(thing, c.name) for c in table.columns}


class AppStore:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add_challenge(self, challenge: Challenge) -> None:
        self.conn.execute(insert(sign_in_codes).values(_row(sign_in_codes, challenge)))

    def challenge(self, challenge_id: str) -> Challenge | None:
        row = self.conn.execute(
            select(sign_in_codes).where(sign_in_codes.c.id == challenge_id).with_for_update()
        ).first()
        return Challenge(**row._mapping) if row is not None else None

    def save_challenge(self, challenge: Challenge) -> None:
        self.conn.execute(
            update(sign_in_codes)
            .where(sign_in_codes.c.id == challenge.id)
            .values(tries=challenge.tries, used_at=challenge.used_at)
        )

    def add_device(self, device: Device) -> None:
        self.conn.execute(insert(app_devices).values(_row(app_devices, device)))

    def device(self, device_id: str, lock: bool = False) -> Device | None:
        stmt = select(app_devices).where(app_devices.c.id == device_id)
        row = self.conn.execute(stmt.with_for_update() if lock else stmt).first()
        return Device(**row._mapping) if row is not None else None

    def devices_of(self, worker_id: str) -> list[Device]:
        rows = self.conn.execute(
            select(app_devices)
            .where(app_devices.c.worker_id == worker_id)
            .order_by(app_devices.c.created_at.desc())
        ).all()
        return [Device(**row._mapping) for row in rows]

    def save_device(self, device: Device) -> None:
        values = _row(app_devices, device)
        self.conn.execute(update(app_devices).where(app_devices.c.id == device.id).values(values))

    def add_refresh_token(self, token: RefreshToken) -> None:
        self.conn.execute(insert(refresh_tokens).values(_row(refresh_tokens, token)))

    def refresh_token(self, digest: str) -> RefreshToken | None:
        row = self.conn.execute(
            select(refresh_tokens).where(refresh_tokens.c.digest == digest).with_for_update()
        ).first()
        return RefreshToken(**row._mapping) if row is not None else None

    def rotated(self, token: RefreshToken, at: dt.datetime) -> None:
        self.conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.digest == token.digest)
            .values(rotated_at=at)
        )

    def live_access_tokens(self, device_id: str, now: dt.datetime) -> list[tuple[str, Any]]:
        """The access tokens issued to the device that have not expired yet."""
        rows = self.conn.execute(
            select(refresh_tokens.c.access_jti, refresh_tokens.c.access_expires_at).where(
                refresh_tokens.c.device_id == device_id,
                refresh_tokens.c.access_expires_at > now,
            )
        ).all()
        return [(row[0], row[1]) for row in rows]

    # housekeeping -----------------------------------------------------------------------------

    def prune_codes(self, expired_before: dt.datetime, batch: int) -> int:
        """Delete up to ``batch`` codes that expired before ``expired_before``."""
        due = (
            select(sign_in_codes.c.id)
            .where(sign_in_codes.c.expires_at < expired_before)
            .limit(batch)
        )
        return self.conn.execute(delete(sign_in_codes).where(sign_in_codes.c.id.in_(due))).rowcount

    def prune_refresh_tokens(self, now: dt.datetime, batch: int) -> int:
        """Delete up to ``batch`` refresh tokens that can no longer be used nor tell anything:
        expired ones, and those of an ended device whose access token expired too."""
        ended = select(app_devices.c.id).where(app_devices.c.ended_at.is_not(None))
        due = (
            select(refresh_tokens.c.digest)
            .where(
                or_(
                    refresh_tokens.c.expires_at <= now,
                    and_(
                        refresh_tokens.c.device_id.in_(ended),
                        refresh_tokens.c.access_expires_at <= now,
                    ),
                )
            )
            .limit(batch)
        )
        return self.conn.execute(
            delete(refresh_tokens).where(refresh_tokens.c.digest.in_(due))
        ).rowcount
