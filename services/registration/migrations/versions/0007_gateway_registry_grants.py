"""gateway_registry may read workers and the timeline: the role the gateway reads registration's
commonest answers with (REGISTRATION_READ_DATABASE_URL), and nothing else of this database

The role itself is made where the database server is set up (infra/postgres/roles.sh in
compose, a managed role in infra/k8s/database.yaml), with its sessions read-only; without it
this grants nothing. On SQLite there are no roles.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 01:30:00
"""
from pmi_common import schema_steps

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

ROLE = "gateway_registry"
TABLES = "workers, timeline"


def upgrade() -> None:
    schema_steps.if_role(ROLE, f"GRANT SELECT ON {TABLES} TO {ROLE}")


def downgrade() -> None:
    schema_steps.if_role(ROLE, f"REVOKE SELECT ON {TABLES} FROM {ROLE}")
