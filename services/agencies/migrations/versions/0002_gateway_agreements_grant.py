"""gateway_agencies may read agreements: the role the gateway checks an agency's agreement with
at every agency request (AGENCIES_READ_DATABASE_URL), and nothing else of this database

The role itself is made where the database server is set up (infra/postgres/roles.sh in
compose, a managed role in infra/k8s/database.yaml), with its sessions read-only; without it
this grants nothing. On SQLite there are no roles.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 10:35:00
"""
from pmi_common import schema_steps

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

ROLE = "gateway_agencies"
TABLES = "agreements"


def upgrade() -> None:
    schema_steps.if_role(ROLE, f"GRANT SELECT ON {TABLES} TO {ROLE}")


def downgrade() -> None:
    schema_steps.if_role(ROLE, f"REVOKE SELECT ON {TABLES} FROM {ROLE}")
