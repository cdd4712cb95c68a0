"""A protection database made before referral letters upgrades: each referral step becomes a
referral of its own (an onboarded agency's by event, any other body's as printed, with no letter),
and the agencies' answers land on the thread of their last referral to that agency."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from pmi_common.migrations import alembic_config, upgrade

T0 = dt.datetime(2026, 11, 2, 3, tzinfo=dt.UTC)


@pytest.fixture
def database(private_servers):
    admin = create_engine(private_servers.database.admin_url, isolation_level="AUTOCOMMIT")
    name = f"pmi_threads_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield private_servers.database.url(name)
    with admin.connect() as conn:
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


CASE = """INSERT INTO cases (id, number, code_digest, reporter_kind, channel, aspect, case_type,
    urgency, summary, status, received_at, acknowledge_by, act_by, updated_at)
    VALUES (:id, 'PGD-2026-AAAAAAAA', 'x', 'worker', 'desk', 'social', 'lost_contact', 'high',
    's', 'referred', :at, :at, :at, :at)"""
STEP = """INSERT INTO case_steps (case_id, action, at, by, role, public, referral, agency, answer)
    VALUES (:case, :action, :at, 'siti', :role, false, CAST(:referral AS JSON), :agency, :answer)"""


def test_referrals_made_before_letters_become_threads(database):
    command.upgrade(alembic_config("protection", database), "0004")
    case_id = str(uuid.uuid4())
    engine = create_engine(database)
    steps = [
        ("moved", None, '{"kind": "agency", "agency": "bp3mi"}', "bp3mi", None),
        ("answered", "agency", None, "bp3mi", "received"),
        ("moved", None, '{"kind": "police", "name": "Polres Blitar"}', None, None),
        ("moved", None, '{"kind": "agency", "agency": "bp3mi"}', "bp3mi", None),
        ("answered", "agency", None, "bp3mi", "resolved"),
    ]
    with engine.begin() as conn:
        conn.execute(text(CASE), {"id": case_id, "at": T0})
        for n, (action, role, referral, agency, answer) in enumerate(steps):
            conn.execute(
                text(STEP),
                {
                    "case": case_id,
                    "action": action,
                    "at": T0 + dt.timedelta(hours=n),
                    "role": role or "caseworker",
                    "referral": referral,
                    "agency": agency,
                    "answer": answer,
                },
            )

    upgrade("protection", database)

    with engine.connect() as conn:
        referrals = conn.execute(
            text(
                "SELECT id, kind, name, agency, delivery, referred_at, letter FROM case_referrals "
                "ORDER BY referred_at"
            )
        ).all()
        threads = conn.execute(
            text("SELECT action, referral_id, answered_by, answered_at FROM case_steps ORDER BY id")
        ).all()
    engine.dispose()
    assert [(r.kind, r.name, r.agency, r.delivery, r.letter) for r in referrals] == [
        ("agency", None, "bp3mi", "event", None),
        ("police", "Polres Blitar", None, "to_print", None),
        ("agency", None, "bp3mi", "event", None),
    ]
    first, police, again = (r.id for r in referrals)
    assert [(s.action, s.referral_id) for s in threads] == [
        ("moved", first),
        ("answered", first),
        ("moved", police),
        ("moved", again),
        ("answered", again),
    ]
    assert [(s.answered_by, s.answered_at) for s in threads if s.action == "answered"] == [
        ("bp3mi", T0 + dt.timedelta(hours=1)),
        ("bp3mi", T0 + dt.timedelta(hours=4)),
    ]
