"""A worker's family and emergency contacts: kept, changed and removed by the desk or the worker,
each change announced, the timeline keeping who they are to the worker but never their name or
phone; and what the published contract lets an agency have of them."""

from __future__ import annotations

import datetime as dt

import pytest

from pmi_common import contract as c
from pmi_common.agreement import Agreement
from pmi_common.errors import InvalidInput, NotFound
from pmi_common.published import PUBLISHED
from services.agencies import asyncapi
from services.agencies.published import disclose, parse_fields
from services.registration import handlers
from services.registration.domain import FamilyMember
from tests.unit.test_registration_handlers import (  # noqa: F401
    NOW,
    refused,
    register,
    repository,
    uow,
)

MOTHER = {
    "full_name": "Sumini",
    "relation": "parent",
    "phone": "+6281311112222",
    "village": "Kademangan",
    "district": "Kademangan",
    "heir": True,
    "emergency_contact": True,
    "consent_to_contact": True,
}
FAMILY_TYPES = (c.FAMILY_MEMBER_ADDED, c.FAMILY_MEMBER_CHANGED, c.FAMILY_MEMBER_REMOVED)
PERSONAL = {"full_name", "phone", "village", "district"}


def add(uow, worker, **details):
    return uow.run(handlers.add_family_member, worker.id, {**MOTHER, **details}, NOW)


def test_a_family_member_is_kept_announced_and_noted_without_their_name(uow, repository):
    worker = register(uow)
    member = add(uow, worker)

    assert repository.family_of(worker.id) == [member] and member.contactable
    added = uow.published[-1]
    assert added["event_type"] == c.FAMILY_MEMBER_ADDED
    assert added["data"] == {"member_id": member.id, **MOTHER}
    entry = repository.timeline(worker.id)[-1]
    assert entry.event_type == c.FAMILY_MEMBER_ADDED
    assert entry.details == {
        "member_id": member.id,
        "relation": "parent",
        "heir": True,
        "emergency_contact": True,
    }


def test_a_member_without_a_name_or_relation_or_an_emergency_contact_without_a_phone_is_refused(
    uow, repository
):
    worker = register(uow)
    for details, field in (
        ({"relation": "spouse"}, "full_name"),
        ({"full_name": "Budi"}, "relation"),
        ({"full_name": "Budi", "relation": "cousin"}, "relation"),
        ({"full_name": "Budi", "relation": "spouse", "emergency_contact": True}, "phone"),
    ):
        problem = refused(
            uow, repository, InvalidInput, handlers.add_family_member, worker.id, details, NOW
        )
        assert field in problem.details


def test_a_change_announces_the_fields_that_changed_and_nothing_when_none_did(uow, repository):
    worker = register(uow)
    member = add(uow, worker)
    before = len(uow.published)

    uow.run(
        handlers.change_family_member,
        worker.id,
        member.id,
        {"phone": "+6281399998888", "consent_to_contact": False, "heir": True},
        NOW,
    )
    uow.run(handlers.change_family_member, worker.id, member.id, {"heir": True}, NOW)

    assert len(uow.published) == before + 1
    changed = uow.published[-1]
    assert changed["event_type"] == c.FAMILY_MEMBER_CHANGED
    assert changed["data"]["changed"] == ["phone", "consent_to_contact"]
    assert not repository.family_of(worker.id)[0].contactable  # no consent, no call
    assert "+6281399998888" not in str(repository.timeline(worker.id)[-1].details)


def test_removing_a_member_deletes_them_and_the_timeline_keeps_only_the_relation(uow, repository):
    worker = register(uow)
    member = add(uow, worker)
    uow.run(handlers.remove_family_member, worker.id, member.id, NOW)

    assert repository.family_of(worker.id) == []
    assert uow.published[-1]["data"] == {"member_id": member.id, "relation": "parent"}
    assert "Sumini" not in str([e.details for e in repository.timeline(worker.id)])


def test_another_workers_family_member_is_not_found(uow, repository):
    worker, other = register(uow), register(uow)
    member = add(uow, worker)
    for handler, args in (
        (handlers.change_family_member, (other.id, member.id, {"heir": False}, NOW)),
        (handlers.remove_family_member, (other.id, member.id, NOW)),
    ):
        refused(uow, repository, NotFound, handler, *args)
    with pytest.raises(NotFound):
        handlers.family_of(repository, "3f0e8a52-7c1b-4d2e-9a6f-1b2c3d4e5f60")


def test_an_emergency_contact_keeps_a_phone():
    member = FamilyMember.add("m", "w", {**MOTHER}, NOW)
    with pytest.raises(InvalidInput):
        member.change({"phone": None}, NOW)
    assert member.change({"phone": None, "emergency_contact": False}, NOW) == [
        "phone",
        "emergency_contact",
    ]


# what an agency may have ---------------------------------------------------------------------


def agreement(fields: dict) -> Agreement:
    return Agreement(
        agency="bpjs",
        fields=fields,
        purpose="death benefit",
        legal_basis="legal_obligation",
        approved_by="Kepala Disnaker",
        valid_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )


def published(event_type: str, granted: Agreement) -> dict | None:
    return disclose(
        asyncapi.example_envelope(c.spec_for(event_type)),
        granted,
        now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
        pseudonym_key="a-test-pseudonym-key-of-enough-length",
        placement_agency_of=lambda _: "PT Sinar Jaya",
    )


@pytest.mark.parametrize("event_type", FAMILY_TYPES)
def test_an_agreement_without_the_family_events_receives_none_of_them(event_type):
    everything_else = {t: PUBLISHED[t].fields for t in PUBLISHED if t not in FAMILY_TYPES}
    assert published(event_type, agreement(everything_else)) is None


def test_an_agreement_for_the_family_events_grants_nothing_it_does_not_name():
    with pytest.raises(InvalidInput) as refused:
        parse_fields(FAMILY_TYPES, None)
    assert len(refused.value.details["fields"]) == len(FAMILY_TYPES)
    fields = parse_fields(FAMILY_TYPES, [f"{t}:member_id,relation" for t in FAMILY_TYPES])
    for event_type in FAMILY_TYPES:
        event = published(event_type, agreement(fields))
        assert event is not None and not PERSONAL & set(event["data"])


def test_a_familys_personal_data_is_given_only_to_an_agreement_naming_it_field_by_field():
    fields = parse_fields(
        (c.FAMILY_MEMBER_ADDED,), ["family_member_added:member_id,relation,full_name,heir"]
    )
    event = published(c.FAMILY_MEMBER_ADDED, agreement(fields))
    assert set(event["data"]) == {"member_id", "relation", "full_name", "heir"}
