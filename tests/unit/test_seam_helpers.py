"""The runtime's shared pieces of the handler/repository seam: the lifecycle vocabulary,
registration's word as others keep it, id checks, keyset cursors and the fake unit of work."""

import datetime as dt

import pytest

from pmi_common.errors import InvalidInput
from pmi_common.lifecycle import (
    DEPARTED,
    ENDED,
    PRE_DEPARTURE,
    REGISTERED,
    RETURNED,
    STAGE,
    STATUSES,
    RegistrationWord,
)
from pmi_common.paging import decode_cursor, encode_cursor, page
from pmi_common.store import is_id
from tests.unit.fakes import FakeUnitOfWork


def test_every_status_has_a_stage_and_ended_excludes_the_journey_still_under_way():
    assert set(STAGE) == set(STATUSES)
    assert not set(ENDED) & set(PRE_DEPARTURE)
    assert DEPARTED not in ENDED


def test_a_word_older_than_the_one_kept_changes_nothing():
    word = RegistrationWord()
    assert word.learn(cycle=1, sequence=3, status=DEPARTED) is True
    assert word.learn(cycle=1, sequence=2, status=REGISTERED) is False
    assert (word.cycle, word.status, word.sequence) == (1, DEPARTED, 3)


def test_a_new_cycle_forgets_the_previous_return():
    word = RegistrationWord()
    word.learn(cycle=1, sequence=5, status=RETURNED, returned=True)
    assert word.returned
    assert word.learn(cycle=2, sequence=6, status=REGISTERED) is True
    assert not word.returned and word.before_departure


def test_a_word_from_an_older_cycle_arriving_late_is_ignored():
    word = RegistrationWord()
    word.learn(cycle=2, sequence=9, status=REGISTERED)
    assert word.learn(cycle=1, sequence=4, status=RETURNED, returned=True) is False
    assert (word.cycle, word.status, word.returned_cycle) == (2, REGISTERED, None)


def test_a_return_heard_before_an_older_status_still_counts():
    word = RegistrationWord()
    word.learn(cycle=1, sequence=7, status=RETURNED, returned=True)
    word.learn(cycle=1, sequence=6, status=DEPARTED)
    assert word.status == RETURNED and word.returned


@pytest.mark.parametrize("value", ["", "42", "not-an-id", None, "0" * 37])
def test_what_is_not_an_id(value):
    assert not is_id(value)


def test_an_id_is_a_uuid():
    assert is_id("8c5e7c4e-2f0a-4c63-9a55-5b1f1f0b6f11")


def test_a_cursor_carries_its_values_back():
    moment = dt.datetime(2026, 5, 1, 8, 30, tzinfo=dt.UTC)
    cursor = encode_cursor((moment, "abc"))
    assert decode_cursor(cursor, (dt.datetime, str)) == (moment, "abc")
    assert decode_cursor(encode_cursor((dt.date(2026, 1, 2), 7)), (dt.date, int)) == (
        dt.date(2026, 1, 2),
        7,
    )


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "%%%",
        encode_cursor(("x",)),
        encode_cursor(("2026-05-01T08:30:00", "a")),
        encode_cursor((1, 2)),
    ],
)
def test_a_cursor_not_made_for_this_list_is_refused(cursor):
    with pytest.raises(InvalidInput) as refused:
        decode_cursor(cursor, (dt.datetime, str))
    assert "cursor" in refused.value.details


def test_a_page_says_whether_more_follow():
    rows = [(1, "a"), (2, "b"), (3, "c")]
    items, cursor = page(rows, 2, key=lambda row: row)
    assert items == rows[:2] and decode_cursor(cursor, (int, str)) == (2, "b")
    assert page(rows[:2], 2, key=lambda row: row) == (rows[:2], None)


class _Counter:
    def __init__(self):
        self.value = 0


def test_the_fake_unit_of_work_keeps_nothing_of_work_that_fails():
    uow = FakeUnitOfWork(_Counter(), source="orientation")
    session_id = "8c5e7c4e-2f0a-4c63-9a55-5b1f1f0b6f11"
    cancelled = {"session_id": session_id, "reason": "flooded hall"}

    def succeed(uow):
        uow.repository.value += 1
        return uow.publish("session_cancelled", cancelled, stream_id=session_id)

    def fail(uow):
        uow.repository.value += 1
        uow.publish("session_cancelled", cancelled, stream_id=session_id)
        raise RuntimeError("refused")

    first = uow.run(succeed)
    with pytest.raises(RuntimeError):
        uow.run(fail)
    assert uow.repository.value == 1
    assert uow.types() == ["session_cancelled"]
    assert uow.run(succeed)["sequence"] == first["sequence"] + 1


def test_the_fake_unit_of_work_holds_events_to_the_contract():
    uow = FakeUnitOfWork(_Counter(), source="orientation")
    with pytest.raises(ValueError, match="breaks the contract"):
        uow.publish("session_cancelled", {"reason": 3}, stream_id="s")
