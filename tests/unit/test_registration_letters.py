"""Go-TKI letters on the worker's record: each step on the timeline with the letter's type,
number and status only, never the permission giver, and the worker's status unmoved."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from pmi_common import contract as c
from pmi_common.events import parse_event
from pmi_common.lifecycle import REGISTERED
from services.registration import handlers
from tests.events import envelope
from tests.unit.test_registration_handlers import (  # noqa: F401
    NOW,
    TODAY,
    register,
    repository,
    uow,
)

LETTER_ID, GIVER_ID = str(uuid.uuid4()), str(uuid.uuid4())
NUMBER = "560/1/IK/409.112/2026"


def apply(uow, event_type: str, worker_id: str, data: dict, sequence: int):
    event = parse_event(envelope(event_type, worker_id, data, sequence=sequence))
    return uow.run(handlers.EVENTS[event_type], event, TODAY)


def test_a_letters_steps_go_on_the_timeline_with_type_number_and_status_only(uow, repository):
    worker = register(uow)
    letter = {"letter_id": LETTER_ID, "letter_type": "family_permission"}
    apply(uow, c.LETTER_REQUESTED, worker.id, {**letter, "status": "requested"}, 1)
    apply(
        uow,
        c.LETTER_ACKNOWLEDGED,
        worker.id,
        {**letter, "decision": "acknowledged", "relation": "parent", "given_on": TODAY},
        2,
    )
    apply(uow, c.LETTER_ISSUED, worker.id, {**letter, "number": NUMBER, "issued_on": TODAY}, 3)
    apply(
        uow,
        c.LETTER_REVOKED,
        worker.id,
        {**letter, "number": NUMBER, "revoked_at": NOW + dt.timedelta(days=1)},
        4,
    )
    entries = [e for e in repository.timeline(worker.id) if e.event_type.startswith("letter_")]
    assert [(e.event_type, e.details) for e in entries] == [
        (c.LETTER_REQUESTED, {**letter, "status": "requested"}),
        (c.LETTER_ACKNOWLEDGED, {**letter, "status": "acknowledged"}),
        (c.LETTER_ISSUED, {**letter, "status": "issued", "number": NUMBER}),
        (c.LETTER_REVOKED, {**letter, "status": "revoked", "number": NUMBER}),
    ]
    assert "parent" not in json.dumps([e.details for e in entries])
    assert worker.status == REGISTERED
