"""One contract for the protection repository, checked against the in-memory fake the handler
tests use and the real one on PostgreSQL: what each method stores, finds, orders and counts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest

from services.protection.domain import LIMITS, Attachment, Case, Step, code_digest, new_number
from services.protection.repository import ProtectionRepository
from tests.helpers import Kept, kept_on
from tests.unit.fakes.protection import FakeProtectionRepository

NOW = dt.datetime(2026, 5, 13, 3, tzinfo=dt.UTC)  # Wednesday 10:00 WIB
SITI = ("caseworker", "siti")
BUDI = ("caseworker", "budi")
ADMIN = ("admin", "admin-1")


@pytest.fixture(params=["fake", "postgresql"])
def kept(request) -> Iterator[Kept]:
    yield from kept_on(request, FakeProtectionRepository, ProtectionRepository, "protection")


def filed(
    kept: Kept,
    *,
    urgency="normal",
    case_type="unpaid_wages",
    at=NOW,
    assigned_to=None,
    worker_id=None,
) -> Case:
    acknowledge_by, act_by = LIMITS[urgency].deadlines(at)
    number = new_number(at.year)
    made = Case(
        id=str(uuid.uuid4()),
        number=number,
        code_digest=code_digest(number, "ABCDEFGHJK"),
        worker_id=worker_id,
        person_name=None if worker_id else "Sri Wahyuni",
        village_code=None if worker_id else "35.05.01.2001",
        destination_country="HK",
        reporter_kind="family_member" if worker_id else "other",
        channel="desk",
        aspect="economic",
        case_type=case_type,
        urgency=urgency,
        summary="not paid for three months",
        received_at=at,
        acknowledge_by=acknowledge_by,
        act_by=act_by,
        assigned_to=assigned_to,
        updated_at=at,
    )
    made.record(Step("opened", at, "desk-1", "operator", to_status="received"))
    kept.repository.add(made)
    return made


def test_a_case_is_kept_with_its_steps_and_found_by_id_and_number(kept):
    worker_id = str(uuid.uuid4())
    made = filed(kept, worker_id=worker_id)
    made.assign("siti", {"role": "admin", "subject": "admin-1"}, NOW)
    made.move("assessed", {"role": "caseworker", "subject": "siti"}, NOW, note="ok", public=True)
    kept.again()

    for found in (
        kept.repository.get(made.id),
        kept.repository.lock(made.id),
        kept.repository.by_number(made.number),
    ):
        assert (
            found.id,
            found.worker_id,
            found.status,
            found.assigned_to,
            found.received_at,
            found.acknowledge_by,
            found.act_by,
            found.acknowledged_at,
            found.acted_at,
            found.code_digest,
        ) == (
            made.id,
            worker_id,
            "assessed",
            "siti",
            NOW,
            made.acknowledge_by,
            made.act_by,
            NOW,
            None,
            made.code_digest,
        )
        assert [
            (s.action, s.by, s.role, s.from_status, s.to_status, s.assigned_to, s.note, s.public)
            for s in found.steps
        ] == [
            ("opened", "desk-1", "operator", None, "received", None, None, False),
            ("assigned", "admin-1", "admin", None, None, "siti", None, False),
            ("moved", "siti", "caseworker", "received", "assessed", None, "ok", True),
        ]
    for unknown in (str(uuid.uuid4()), "not-an-id"):
        assert kept.repository.get(unknown) is None
        assert kept.repository.lock(unknown) is None
    assert kept.repository.by_number("PGD-2026-00000000") is None


def test_open_cases_come_overdue_first_then_by_urgency_then_oldest(kept):
    later = NOW + dt.timedelta(days=1)
    normal_old = filed(kept, at=NOW - dt.timedelta(hours=1))
    normal_new = filed(kept, at=NOW)
    high = filed(kept, urgency="high", at=later)
    emergency_late = filed(kept, urgency="emergency", at=NOW)  # past its two hours
    emergency_met = filed(kept, urgency="emergency", at=NOW, assigned_to="siti")
    emergency_met.move("assessed", {"role": "admin"}, NOW + dt.timedelta(minutes=30))
    closed = filed(kept, urgency="emergency")
    closed.move("closed", {"role": "admin"}, NOW, note="a duplicate")
    kept.again()

    looked_at = NOW + dt.timedelta(hours=3)
    found = kept.repository.open_cases(now=looked_at, seen_by=ADMIN)
    assert [c.id for c in found] == [
        emergency_late.id,
        emergency_met.id,
        high.id,
        normal_old.id,
        normal_new.id,
    ]
    assert kept.repository.count_open(now=looked_at, seen_by=ADMIN) == (5, 1)
    overdue = kept.repository.open_cases(now=looked_at, seen_by=ADMIN, overdue_only=True)
    assert [c.id for c in overdue] == [emergency_late.id]
    highs = kept.repository.open_cases(now=looked_at, seen_by=ADMIN, urgency="high")
    assert [c.id for c in highs] == [high.id]
    assert len(kept.repository.open_cases(now=looked_at, seen_by=ADMIN, limit=2)) == 2


def test_a_sensitive_case_is_listed_for_its_caseworker_and_the_admin_only(kept):
    open_to_all = filed(kept)
    siti_s = filed(kept, case_type="trafficking", assigned_to="siti")
    unassigned = filed(kept, case_type="violence_abuse")
    kept.again()

    def listed(seen_by):
        return {c.id for c in kept.repository.open_cases(now=NOW, seen_by=seen_by)}

    assert listed(SITI) == {open_to_all.id, siti_s.id}
    assert listed(BUDI) == {open_to_all.id}
    assert listed(ADMIN) == {open_to_all.id, siti_s.id, unassigned.id}
    assert listed((None, None)) == listed(ADMIN)  # a call between services
    assert kept.repository.count_open(now=NOW, seen_by=BUDI) == (1, 0)


def test_a_resolved_case_keeps_its_outcome_and_the_step_that_resolved_it(kept):
    made = filed(kept, assigned_to="siti")
    made.move("assessed", {"role": "admin"}, NOW)
    made.move(
        "resolved",
        {"role": "admin"},
        NOW,
        outcome="wages_recovered",
        details={"amount": "12000.50", "currency": "HKD"},
    )
    kept.again()
    found = kept.repository.get(made.id)
    assert found.outcome == "wages_recovered"
    assert (found.outcome_details["amount"], found.outcome_details["currency"]) == (
        "12000.50",
        "HKD",
    )
    assert [s.outcome for s in found.steps] == [None, None, "wages_recovered"]


def test_the_overview_counts_open_cases_and_when_cases_came_and_went(kept):
    late = filed(kept, urgency="emergency", at=NOW - dt.timedelta(days=8))  # overdue
    filed(kept, urgency="high", at=NOW)
    filed(kept, case_type="trafficking", at=NOW)  # nobody's yet: the admin's only
    done = filed(kept, at=NOW - dt.timedelta(days=30), assigned_to="siti")
    done.move("assessed", {"role": "admin"}, NOW - dt.timedelta(days=29))
    done.move("resolved", {"role": "admin"}, NOW - dt.timedelta(days=1), outcome="reconciled")
    kept.again()

    def tallied(seen_by):
        return sorted(
            (t.case_type, t.urgency, t.destination_country, t.overdue, t.count)
            for t in kept.repository.open_tallies(now=NOW, seen_by=seen_by)
        )

    assert tallied(ADMIN) == [
        ("trafficking", "normal", "HK", False, 1),
        ("unpaid_wages", "emergency", "HK", True, 1),
        ("unpaid_wages", "high", "HK", False, 1),
    ]
    assert [t[0] for t in tallied(BUDI)] == ["unpaid_wages", "unpaid_wages"]
    received, resolved = kept.repository.moments_since(NOW - dt.timedelta(days=10), seen_by=BUDI)
    assert sorted(received) == [late.received_at, NOW]
    assert resolved == [NOW - dt.timedelta(days=1)]


def test_a_cases_attachments_are_kept_and_their_content_read_when_asked(kept):
    made = filed(kept, assigned_to="siti")
    scan = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    made.attach(
        Attachment(
            id=str(uuid.uuid4()),
            sha256="a" * 64,
            media_type="image/png",
            size=len(scan),
            content=scan,
            added_at=NOW,
            added_by=None,
            description="foto memar",
        ),
        {"role": "caseworker", "subject": "siti"},
    )
    kept.again()
    found = kept.repository.get(made.id)
    (attachment,) = found.attachments
    assert (attachment.media_type, attachment.size, attachment.added_by) == (
        "image/png",
        len(scan),
        "siti",
    )
    assert attachment.content == scan
    assert [s.action for s in found.steps] == ["opened", "attached"]
