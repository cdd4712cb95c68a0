"""webhook signing secrets sealed at rest (WEBHOOK_SECRET_KEY): each endpoint's stored secrets
encrypted in place

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 07:30:00.000000

A secret stored readable (``{"value": ...}``) becomes ``{"sealed": ...}``; one already sealed is
left as it is, so running it again changes nothing. The key is the agencies service's (only it
opens them): the gateway does not hold it. Where the migration runs with ``WEBHOOK_SECRET_KEY`` in
its environment it seals here; without it, readable secrets are left as they are, and
``pmi agency move-tables`` seals them as it copies them into the agencies database (with the
agencies service's key), before migration 0010 drops the gateway's copy. Going back opens them
and needs the key.
"""

import os

import sqlalchemy as sa
from alembic import op

from pmi_common.sealing import webhook_sealer

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

endpoints = sa.table(
    "webhook_endpoints", sa.column("id", sa.String), sa.column("secrets", sa.JSON)
)


def _rewrite(change, sealer=None) -> None:
    """Each endpoint's secrets through ``change`` (a stored secret -> as it is to be stored), the
    key asked for only when a row needs it and none is given."""
    conn = op.get_bind()
    for row in conn.execute(sa.select(endpoints.c.id, endpoints.c.secrets)).all():
        rewritten = []
        for stored in row.secrets or []:
            if sealer is None and change(None, stored) is not stored:
                try:
                    sealer = webhook_sealer(os.environ)
                except ValueError as exc:
                    raise SystemExit(
                        f"webhook secrets cannot be opened: {exc} (set the agencies service's "
                        "key, then migrate again)"
                    ) from exc
            rewritten.append(change(sealer, stored))
        if rewritten != (row.secrets or []):
            conn.execute(
                sa.update(endpoints).where(endpoints.c.id == row.id).values(secrets=rewritten)
            )


def _seal(sealer, stored: dict) -> dict:
    if "value" not in stored:
        return stored
    if sealer is None:
        return {}  # (only asks whether a key is needed)
    return {"sealed": sealer.seal(stored["value"]), "expires_at": stored.get("expires_at")}


def _open(sealer, stored: dict) -> dict:
    if "sealed" not in stored:
        return stored
    if sealer is None:
        return {}
    return {"value": sealer.open(stored["sealed"]), "expires_at": stored.get("expires_at")}


def upgrade() -> None:
    if not os.environ.get("WEBHOOK_SECRET_KEY"):
        return  # left readable: `pmi agency move-tables` seals them with the agencies' key
    try:
        sealer = webhook_sealer(os.environ)
    except ValueError as exc:
        raise SystemExit(f"webhook secrets cannot be sealed: {exc}") from exc
    _rewrite(_seal, sealer)


def downgrade() -> None:
    _rewrite(_open)
