"""The reintegration service's handlers over the in-memory repository: each command's effect and
refusals (a refusal stores nothing and publishes nothing), registration's events in any order and
more than once, and each query."""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import pytest

from pmi_common import contract as c
from pmi_common.errors import AlreadyDecided, CapacityReached, InvalidInput, NotEligible, NotFound
from pmi_common.events import parse_event
from services.reintegration import handlers
from tests.events import REGISTERED_V2, envelope
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.fakes.reintegration import FakeReintegrationRepository

TODAY = dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
SOON = TODAY + dt.timedelta(days=30)


@pytest.fixture
def uow() -> FakeUnitOfWork[FakeReintegrationRepository]:
    return FakeUnitOfWork(FakeReintegrationRepository(), source=c.REINTEGRATION)


def program(uow, **overrides) -> str:
    payload = {
        "name": " PAK CAMAT PMI 2026 ",
        "audience": "both",
        "capacity": 100,
        "starts_on": SOON.isoformat(),
        "rounds": [
            {"name": "business model canvas", "advance": 75},
            {"name": "business plan", "advance": 50},
            {"name": "pitch", "advance": 3},
        ],
    }
    payload.update(overrides)
    return uow.run(handlers.create_program, payload, NOW).id


def event(
    event_type: str,
    worker_id: str | None,
    sequence: int,
    at: dt.datetime = NOW,
    version: int | None = None,
    **data,
):
    body = envelope(
        event_type,
        worker_id or str(uuid.uuid4()),
        data,
        sequence=sequence,
        version=version,
        occurred_at=at.isoformat(),
    )
    if worker_id is None:
        body["worker_id"] = None
    return parse_event(body)


def registered(worker_id, sequence=1, cycle=1, at=NOW, version=2):
    """``version`` 1: a registration from the history, before the birth year and village."""
    return event(
        c.WORKER_REGISTERED,
        worker_id,
        sequence,
        at,
        version,
        **(REGISTERED_V2 if version == 2 else {}),
        cycle=cycle,
        nik_masked="350512******0001",
        nik_digest="d" * 64,
        full_name="Siti Nur'aini",
        sex="F",
        regency="Blitar",
        destination_country="HK",
        occupation="caregiver",
        placement_agency="PT Sinar Jaya",
    )


def status(worker_id, to_status, sequence, cycle=1, at=NOW):
    return event(
        c.WORKER_STATUS_CHANGED,
        worker_id,
        sequence,
        at,
        cycle=cycle,
        from_status=None,
        to_status=to_status,
        stage="pre_departure",
        reason="test",
    )


def returned(worker_id, sequence=10, cycle=1, at=NOW):
    return event(
        c.WORKER_RETURNED,
        worker_id,
        sequence,
        at,
        cycle=cycle,
        returned_on=TODAY.isoformat(),
        reason="contract_ended",
    )


def hear(uow, *events):
    """Apply registration's events as the inbox does; what the last one returned."""
    answer = None
    for told in events:
        answer = uow.run(handlers.EVENTS[told.event_type], told, TODAY)
    return answer


def worker(uow, *, returnee=False) -> str:
    worker_id = str(uuid.uuid4())
    hear(uow, registered(worker_id))
    if returnee:
        hear(uow, returned(worker_id))
    return worker_id


def enrol(uow, program_id, worker_id, now=NOW):
    return uow.run(handlers.enrol_participant, program_id, {"worker_id": worker_id}, now, TODAY)


def round_result(uow, program_id, worker_id, number, advanced=True, **extra):
    return uow.run(
        handlers.record_round_result,
        program_id,
        {"worker_id": worker_id, "round": number, "advanced": advanced, **extra},
        NOW,
    )


def complete(uow, program_id, worker_id, **payload):
    payload = payload or {
        "business_started": True,
        "business_name": "Keripik Tempe Bu Siti",
        "sector": "food",
        "regency": "Blitar",
    }
    return uow.run(
        handlers.complete_participant, program_id, {"worker_id": worker_id, **payload}, NOW
    )


def refused(uow, error, call, *args, **kwargs):
    """``call`` is refused with ``error``, and nothing is stored or published."""
    before = copy.deepcopy(uow.repository.__dict__)
    published = list(uow.published)
    with pytest.raises(error) as raised:
        call(*args, **kwargs)
    assert _state(uow.repository.__dict__) == _state(before)
    assert uow.published == published
    return raised.value


def _state(repository: dict):
    """A comparable picture of the repository's objects."""
    return repr({name: value for name, value in repository.items() if name != "_ids"})


# creating a programme -----------------------------------------------------------------------


def test_a_programme_is_created_trimmed_and_announced_on_its_own_stream(uow):
    program_id = program(uow)

    programme = uow.repository.programmes[program_id]
    assert (programme.name, programme.enrolled, programme.created_at) == (
        "PAK CAMAT PMI 2026",
        0,
        NOW,
    )
    assert [r.advance for r in programme.rounds] == [75, 50, 3]
    created = uow.published[-1]
    assert (created["event_type"], created["worker_id"]) == (c.PROGRAM_CREATED, None)
    assert created["data"]["rounds"][2] == {"name": "pitch", "advance": 3}


def test_a_funnel_that_does_not_narrow_is_refused_and_nothing_is_stored(uow):
    error = refused(
        uow,
        InvalidInput,
        program,
        uow,
        capacity=50,
        rounds=[{"name": "canvas", "advance": 75}, {"name": "pitch", "advance": 80}],
    )
    assert "rounds" in error.details
    assert uow.repository.programmes == {}


# enrolling -----------------------------------------------------------------------------------


def test_a_known_worker_is_enrolled_as_their_kind_and_takes_a_seat(uow):
    program_id = program(uow)
    prospective, returnee = worker(uow), worker(uow, returnee=True)

    joined = enrol(uow, program_id, prospective)
    assert (joined.participant_kind, joined.status, joined.enrolled_at) == (
        "prospective",
        "enrolled",
        NOW,
    )
    assert enrol(uow, program_id, returnee).participant_kind == "returnee"
    assert uow.repository.programmes[program_id].enrolled == 2
    assert uow.types()[-2:] == [c.REINTEGRATION_ENROLLED] * 2
    assert uow.published[-1]["worker_id"] == returnee
    assert uow.published[-1]["data"] == {"program_id": program_id, "participant_kind": "returnee"}


def test_enrolment_refusals_change_nothing(uow):
    program_id = program(uow, capacity=1, rounds=[{"name": "pitch", "advance": 1}])
    for_returnees = program(uow, audience="returnee")
    prospective, other = worker(uow), worker(uow)

    assert refused(uow, NotFound, enrol, uow, str(uuid.uuid4()), prospective)
    assert refused(uow, NotFound, enrol, uow, "not-an-id", prospective)
    assert refused(uow, NotFound, enrol, uow, program_id, str(uuid.uuid4())).details == {
        "reason": "unknown_worker"
    }
    assert (
        refused(uow, NotEligible, enrol, uow, for_returnees, prospective).details["reason"]
        == "wrong_audience"
    )
    assert "worker_id" in refused(uow, InvalidInput, enrol, uow, program_id, "someone").details
    enrol(uow, program_id, prospective)
    assert refused(uow, NotEligible, enrol, uow, program_id, prospective).details == {
        "reason": "already_enrolled"
    }
    assert refused(uow, CapacityReached, enrol, uow, program_id, other).details == {"capacity": 1}


def test_a_programme_that_has_started_takes_nobody_new(uow):
    started = program(uow, starts_on=(TODAY - dt.timedelta(days=1)).isoformat())
    assert refused(uow, NotEligible, enrol, uow, started, worker(uow)).details == {
        "reason": "programme_started"
    }


# rounds and outcomes ------------------------------------------------------------------------


def test_round_results_follow_the_funnel_and_the_last_round_awards(uow):
    program_id = program(
        uow, rounds=[{"name": "canvas", "advance": 2}, {"name": "pitch", "advance": 1}]
    )
    siti, ani = worker(uow), worker(uow)
    enrol(uow, program_id, siti)
    enrol(uow, program_id, ani)

    round_result(uow, program_id, siti, 1, score=80.5, note="clear canvas")
    recorded = round_result(uow, program_id, siti, 2)
    assert recorded.advanced == {1: True, 2: True} and recorded.awarded
    assert recorded.results[0].score == 80.5 and recorded.results[0].recorded_at == NOW
    assert uow.published[-1]["event_type"] == c.REINTEGRATION_ROUND_RECORDED
    assert uow.published[-1]["data"]["round"] == 2
    round_result(uow, program_id, ani, 1)
    assert refused(uow, CapacityReached, round_result, uow, program_id, ani, 2).details == {
        "round": 2,
        "advance": 1,
    }
    assert not round_result(uow, program_id, ani, 2, advanced=False).awarded


def test_round_result_refusals_change_nothing(uow):
    program_id = program(uow)
    siti, stranger = worker(uow), worker(uow)
    enrol(uow, program_id, siti)

    assert refused(uow, NotEligible, round_result, uow, program_id, stranger, 1).details == {
        "reason": "not_enrolled"
    }
    assert (
        refused(uow, NotEligible, round_result, uow, program_id, siti, 2).details["reason"]
        == "previous_round_not_advanced"
    )
    assert "round" in refused(uow, InvalidInput, round_result, uow, program_id, siti, 4).details
    assert refused(uow, NotFound, round_result, uow, str(uuid.uuid4()), siti, 1)
    round_result(uow, program_id, siti, 1)
    assert refused(uow, AlreadyDecided, round_result, uow, program_id, siti, 1).details == {
        "round": 1,
        "advanced": True,
    }


def test_an_outcome_is_recorded_once_and_announced(uow):
    program_id = program(uow)
    siti = worker(uow, returnee=True)
    enrol(uow, program_id, siti)

    done = complete(uow, program_id, siti)
    assert (done.status, done.completed_at, done.business_name) == (
        "completed",
        NOW,
        "Keripik Tempe Bu Siti",
    )
    assert uow.published[-1]["event_type"] == c.REINTEGRATION_COMPLETED
    assert uow.published[-1]["data"]["participant_kind"] == "returnee"
    assert refused(uow, AlreadyDecided, complete, uow, program_id, siti).details == {
        "reason": "completed"
    }
    assert refused(uow, NotEligible, round_result, uow, program_id, siti, 1).details == {
        "reason": "completed"
    }


def test_an_outcome_needs_the_business_named_when_one_started(uow):
    program_id = program(uow)
    siti = worker(uow)
    enrol(uow, program_id, siti)

    error = refused(uow, InvalidInput, complete, uow, program_id, siti, business_started=True)
    assert set(error.details) == {"business_name", "sector", "regency"}
    assert refused(uow, NotEligible, complete, uow, program_id, worker(uow))


# registration's events -----------------------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2], ids=["from_the_history", "today"])
def test_a_registered_worker_is_known_as_prospective_with_name_and_regency(uow, version):
    worker_id = str(uuid.uuid4())
    assert not handlers.knows_worker(uow.repository, worker_id)

    assert hear(uow, registered(worker_id, version=version)) == []
    kept = uow.repository.workers[worker_id]
    assert (kept.kind, kept.full_name, kept.regency, kept.updated_at) == (
        "prospective",
        "Siti Nur'aini",
        "Blitar",
        NOW,
    )
    assert handlers.knows_worker(uow.repository, worker_id)
    assert uow.published == []


def test_a_return_invites_the_worker_to_the_open_programmes_for_returnees(uow):
    for_returnees, for_all = program(uow, audience="returnee"), program(uow)
    program(uow, audience="prospective")
    program(uow, audience="returnee", starts_on=(TODAY - dt.timedelta(days=1)).isoformat())
    worker_id = worker(uow)

    invited = hear(uow, status(worker_id, "departed", 8), returned(worker_id))
    assert {p.id for p in invited} == {for_returnees, for_all}
    assert uow.repository.workers[worker_id].returned_on == TODAY
    assert hear(uow, status(worker_id, "returned", 11)) == []


def test_events_in_any_order_and_repeated_keep_the_newest_word(uow):
    worker_id = str(uuid.uuid4())
    told = [returned(worker_id), registered(worker_id), status(worker_id, "departed", 8)]

    hear(uow, *told, *told)
    assert uow.repository.workers[worker_id].kind == "returnee"
    hear(uow, registered(worker_id, sequence=20, cycle=2))
    assert uow.repository.workers[worker_id].kind == "prospective"
    assert hear(uow, returned(worker_id, sequence=10, cycle=1)) == []
    kept = uow.repository.workers[worker_id]
    assert (kept.cycle, kept.status, kept.kind) == (2, "registered", "prospective")


def test_an_older_cycle_changes_neither_the_name_nor_the_time(uow):
    worker_id = str(uuid.uuid4())
    later = NOW + dt.timedelta(days=400)
    hear(uow, registered(worker_id, sequence=20, cycle=2, at=later))

    hear(uow, registered(worker_id, sequence=1, cycle=1, at=NOW))
    assert uow.repository.workers[worker_id].updated_at == later


def test_an_enrolment_after_the_return_but_before_its_news_counts_as_a_returnees(uow):
    program_id, other = program(uow), program(uow)
    worker_id = worker(uow)
    earlier = enrol(uow, other, worker_id, now=NOW - dt.timedelta(hours=1))
    after = enrol(uow, program_id, worker_id, now=NOW + dt.timedelta(minutes=5))
    assert after.participant_kind == "prospective"

    hear(uow, returned(worker_id, at=NOW))
    assert (after.participant_kind, earlier.participant_kind) == ("returnee", "prospective")
    assert handlers.get_stats(uow.repository)["returnees_enrolled"] == 1


def test_a_status_change_to_returned_also_counts_enrolments_since_as_a_returnees(uow):
    program_id = program(uow)
    worker_id = worker(uow)
    after = enrol(uow, program_id, worker_id, now=NOW + dt.timedelta(minutes=5))

    hear(uow, status(worker_id, "returned", 11, at=NOW))
    assert after.participant_kind == "returnee"


def test_an_event_naming_no_worker_is_refused(uow):
    assert refused(uow, InvalidInput, hear, uow, registered(None)).details == {
        "worker_id": ["missing"]
    }


def test_the_event_table_lists_registrations_five_events():
    assert set(handlers.EVENTS) == {
        c.WORKER_REGISTERED,
        c.WORKER_STATUS_CHANGED,
        c.WORKER_RETURNED,
        c.FORMER_WORKER_REGISTERED,
        c.CONTRACT_ENDING,
    }


def test_a_former_worker_is_a_returnee_invited_and_enrolled_as_one(uow):
    for_returnees = program(uow, audience="returnee")
    program(uow, audience="prospective")
    worker_id = str(uuid.uuid4())
    former = event(
        c.FORMER_WORKER_REGISTERED,
        worker_id,
        3,
        cycle=1,
        country="MY",
        from_year=2009,
        to_year=2015,
        employer=None,
        occupation="",
        source="family",
    )

    invited = hear(uow, registered(worker_id), status(worker_id, "returned", 2), former)

    assert [p.id for p in invited] == [for_returnees]
    assert uow.repository.workers[worker_id].returned_on is None  # the day is not known
    assert enrol(uow, for_returnees, worker_id).participant_kind == "returnee"


def test_a_deceased_worker_is_invited_to_nothing_and_enrolled_in_nothing(uow):
    open_one = program(uow)
    worker_id = worker(uow, returnee=True)
    hear(uow, status(worker_id, "deceased", 11))
    assert handlers.invitations(uow.repository, worker_id, TODAY)[1:] == (None, [])
    with pytest.raises(NotEligible):
        enrol(uow, open_one, worker_id)


# queries ---------------------------------------------------------------------------------


def test_programmes_are_listed_by_start_date_filtered_and_paged(uow):
    later, past = TODAY + dt.timedelta(days=60), TODAY - dt.timedelta(days=365)
    names = {
        program(uow, name=name, audience=audience, starts_on=starts.isoformat()): name
        for name, audience, starts in (
            ("returnees", "returnee", later),
            ("both", "both", SOON),
            ("prospective", "prospective", SOON),
            ("2022 edition", "both", past),
        )
    }

    def listed(**query):
        programmes, _ = handlers.list_programs(uow.repository, query, TODAY)
        return [names[p.id] for p in programmes]

    assert listed()[0] == "2022 edition" and listed()[-1] == "returnees"
    assert "2022 edition" not in listed(open=True)
    assert sorted(listed(audience="returnee")) == ["2022 edition", "both", "returnees"]
    assert sorted(listed(audience="both")) == ["2022 edition", "both"]
    first, cursor = handlers.list_programs(uow.repository, {"limit": 3}, TODAY)
    rest, end = handlers.list_programs(uow.repository, {"limit": 3, "cursor": cursor}, TODAY)
    assert len(first) == 3 and [names[p.id] for p in rest] == ["returnees"] and end is None
    with pytest.raises(InvalidInput) as bad:
        handlers.list_programs(uow.repository, {"cursor": "page-2"}, TODAY)
    assert "cursor" in bad.value.details


def test_a_programme_is_found_by_its_id_only(uow):
    program_id = program(uow)
    assert handlers.get_program(uow.repository, program_id).id == program_id
    for unknown in (str(uuid.uuid4()), "programme-1"):
        with pytest.raises(NotFound):
            handlers.get_program(uow.repository, unknown)


def test_invitations_name_the_workers_kind_and_the_programmes_not_yet_joined(uow):
    joined, open_one = program(uow, audience="prospective"), program(uow)
    program(uow, audience="returnee")
    worker_id = worker(uow)
    enrol(uow, joined, worker_id)

    found, kind, programmes = handlers.invitations(uow.repository, worker_id, TODAY)
    assert (found.id, kind, [p.id for p in programmes]) == (worker_id, "prospective", [open_one])
    departed = worker(uow)
    hear(uow, status(departed, "departed", 8))
    assert handlers.invitations(uow.repository, departed, TODAY)[1:] == (None, [])
    with pytest.raises(NotFound):
        handlers.invitations(uow.repository, str(uuid.uuid4()), TODAY)


def test_figures_count_the_funnel_and_the_returnees_with_a_business(uow):
    program_id = program(
        uow, rounds=[{"name": "canvas", "advance": 2}, {"name": "pitch", "advance": 1}]
    )
    siti, ani = worker(uow, returnee=True), worker(uow)
    enrol(uow, program_id, siti)
    enrol(uow, program_id, ani)
    round_result(uow, program_id, siti, 1)
    round_result(uow, program_id, siti, 2)
    round_result(uow, program_id, ani, 1, advanced=False)
    complete(uow, program_id, siti)

    assert handlers.program_stats(uow.repository, program_id) == {
        "program_id": program_id,
        "enrolled": 2,
        "rounds": [
            {"name": "canvas", "advance": 2, "recorded": 2, "advanced": 1},
            {"name": "pitch", "advance": 1, "recorded": 1, "advanced": 1},
        ],
        "completed": 1,
        "businesses_started": 1,
        "awarded": 1,
    }
    assert handlers.get_stats(uow.repository) == {
        "programs": 1,
        "participants": 2,
        "returnees_enrolled": 1,
        "returnees_with_business": 1,
    }
    with pytest.raises(NotFound):
        handlers.program_stats(uow.repository, str(uuid.uuid4()))


def test_every_handler_is_in_the_tables():
    listed = {*handlers.COMMANDS.values(), *handlers.QUERIES.values(), *handlers.EVENTS.values()}
    public = {
        value
        for name, value in vars(handlers).items()
        if callable(value)
        and not name.startswith("_")
        and getattr(value, "__module__", None) == handlers.__name__
    }
    assert public <= listed


def contract_ending(worker_id, ends_on: dt.date, sequence=9, cycle=1, at=NOW):
    return event(
        c.CONTRACT_ENDING,
        worker_id,
        sequence,
        at,
        cycle=cycle,
        ends_on=ends_on.isoformat(),
        days_left=(ends_on - TODAY).days,
    )


def test_a_worker_abroad_due_home_is_invited_to_the_returnees_programmes_open_once_home(uow):
    early = program(uow, audience="returnee", starts_on=(TODAY + dt.timedelta(days=10)).isoformat())
    after = program(uow, audience="returnee", starts_on=(TODAY + dt.timedelta(days=50)).isoformat())
    for_all = program(uow, starts_on=(TODAY + dt.timedelta(days=60)).isoformat())
    program(uow, audience="prospective", starts_on=(TODAY + dt.timedelta(days=60)).isoformat())
    worker_id = worker(uow)
    hear(uow, status(worker_id, "departed", 8))
    assert handlers.invitations(uow.repository, worker_id, TODAY)[1:] == (None, [])

    due_on = TODAY + dt.timedelta(days=40)
    invited = hear(uow, contract_ending(worker_id, due_on))

    assert {p.id for p in invited} == {after, for_all}  # ``early`` starts before she is home
    kept, kind, listed = handlers.invitations(uow.repository, worker_id, TODAY)
    assert (kept.due_home_on, kind) == (due_on, None)
    assert [p.id for p in listed] == [after, for_all] and early not in {p.id for p in listed}


def test_an_extension_moves_the_day_due_home_and_a_late_older_word_does_not_move_it_back(uow):
    worker_id = worker(uow)
    first, extended = TODAY + dt.timedelta(days=20), TODAY + dt.timedelta(days=300)
    hear(uow, status(worker_id, "departed", 8), contract_ending(worker_id, first, sequence=9))
    hear(uow, contract_ending(worker_id, extended, sequence=12))
    hear(uow, contract_ending(worker_id, first, sequence=9))  # redelivered late
    assert uow.repository.workers[worker_id].due_home_on == extended


def test_a_worker_due_home_who_returned_died_or_registered_again_is_no_longer_due(uow):
    home, dead, again = worker(uow), worker(uow), worker(uow)
    for worker_id in (home, dead, again):
        hear(uow, status(worker_id, "departed", 8), contract_ending(worker_id, SOON))
    hear(uow, returned(home, sequence=10))
    hear(uow, status(dead, "deceased", 10))
    hear(uow, registered(again, sequence=20, cycle=2))
    workers = uow.repository.workers
    assert [workers[w].due_home_on for w in (home, dead, again)] == [None, None, None]
    assert workers[home].kind == "returnee"


def test_a_contract_ending_heard_first_tells_that_the_worker_is_abroad(uow):
    worker_id = str(uuid.uuid4())
    hear(uow, contract_ending(worker_id, SOON, sequence=9))
    kept = uow.repository.workers[worker_id]
    assert (kept.status, kept.due_home_on) == ("departed", SOON)
    hear(uow, status(worker_id, "departed", 8), registered(worker_id))  # older words, later
    assert uow.repository.workers[worker_id].due_home_on == SOON
