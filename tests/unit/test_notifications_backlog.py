"""A backlog goes at the provider's pace: a tick sends round after round while each takes a
full batch, and stops at the provider found down or at the last of the due messages."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from pmi_common import contract as c
from pmi_common.events import Event, parse_event
from services.notifications import domain as d
from services.notifications import handlers
from services.notifications.sending import send_backlog
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.fakes.notifications import FakeNotificationsRepository
from tests.unit.test_notifications_messages import NOON, SETTINGS, Flaky, transaction_over

ROUND = 10


@pytest.fixture
def uow():
    return FakeUnitOfWork(FakeNotificationsRepository(), source=c.NOTIFICATIONS)


def registered(uow, workers: int) -> None:
    for _ in range(workers):
        worker_id = str(uuid.uuid4())
        uow.run(
            handlers.on_worker_event,
            Event(
                event_id=str(uuid.uuid4()),
                event_type=c.WORKER_REGISTERED,
                event_version=1,
                occurred_at=NOON,
                source=c.REGISTRATION,
                worker_id=worker_id,
                sequence=1,
                correlation_id="test",
                actor=None,
                data={},
            ),
            {"phone": "081234567890", "full_name": "Siti Aminah"},
            NOON,
            SETTINGS,
        )


def test_a_backlog_of_three_rounds_and_a_half_goes_in_one_tick(uow):
    registered(uow, 35)
    provider = Flaky(failures=0)
    done = send_backlog(transaction_over(uow), provider, lambda: NOON, limit=ROUND)
    assert (done.sent, done.down) == (35, [])
    assert len(set(provider.sent)) == 35
    assert all(m.status == d.SENT for m in uow.repository.messages.values())


def test_a_provider_down_ends_the_tick_and_the_rest_waits(uow):
    registered(uow, 25)
    provider = Flaky(failures=0)
    send_backlog(transaction_over(uow), provider, lambda: NOON, limit=ROUND, most=1)
    assert len(provider.sent) == ROUND  # at most ``most`` rounds a tick
    provider.failures = 1
    done = send_backlog(transaction_over(uow), provider, lambda: NOON, limit=ROUND)
    assert (done.sent, done.down, done.waiting) == (0, ["flaky"], ROUND)
    later = NOON + dt.timedelta(hours=1)
    assert send_backlog(transaction_over(uow), provider, lambda: later, limit=ROUND).sent == 15


def test_each_message_a_provider_took_is_told_with_its_cost_and_nothing_of_the_person(uow):
    registered(uow, 3)
    provider = Flaky(failures=1)
    costs = {d.SMS: 350.0, d.EMAIL: 10.0}
    send_backlog(transaction_over(uow), provider, lambda: NOON, limit=ROUND, costs=costs)
    assert c.NOTIFICATION_SENT not in uow.types()  # the provider was down: nothing was sent
    later = NOON + dt.timedelta(hours=1)
    send_backlog(transaction_over(uow), provider, lambda: later, limit=ROUND, costs=costs)
    told = [e for e in uow.published if e["event_type"] == c.NOTIFICATION_SENT]
    messages = {m.worker_id: m for m in uow.repository.messages.values()}
    assert len(told) == len(messages) == 3
    for event in told:
        message = messages[event["worker_id"]]
        assert event["data"] == {
            "kind": d.REGISTERED,
            "channel": d.SMS,
            "segments": message.segments,
            "cost_rupiah": 350 * message.segments,  # per SMS segment
        }
        assert parse_event(event).event_type == c.NOTIFICATION_SENT  # as the contract says
        text = json.dumps(event)
        assert "081234567890" not in text and "Siti" not in text and message.body not in text
