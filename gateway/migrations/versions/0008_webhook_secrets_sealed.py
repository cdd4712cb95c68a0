"""webhook signing secrets sealed at rest (WEBHOOK_SECRET_KEY): each endpoint's stored secrets
encrypted in place

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 07:30:00.000000

A secret stored readable (``{"value": ...}``) becomes ``{"sealed": ...}``; one already sealed is
left as it is, so running it again changes nothing. The key comes from the environment, as the
gateway and the egress read it (``pmi_common.sealing.webhook_sealer``): a deployment with
endpoints to seal and no usable key stops here, saying so, before anything changed.
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


def _rewrite(change) -> None:
    """Each endpoint's secrets through ``change`` (a stored secret -> as it is to be stored), the
    key asked for only when a row needs it."""
    conn = op.get_bind()
    sealer = None
    for row in conn.execute(sa.select(endpoints.c.id, endpoints.c.secrets)).all():
        rewritten = []
        for stored in row.secrets or []:
            if sealer is None and change(None, stored) is not stored:
                try:
                    sealer = webhook_sealer(os.environ)
                except ValueError as exc:
                    raise SystemExit(
                        f"webhook secrets cannot be sealed: {exc} (set the key the gateway and "
                        "the agencies service will use, then migrate again)"
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
    _rewrite(_seal)


def downgrade() -> None:
    _rewrite(_open)
