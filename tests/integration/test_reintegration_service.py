"""The reintegration service on the real broker and database: programmes, who may join, the
selection funnel, outcomes and statistics."""

import datetime as dt
import uuid

import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, text

from pmi_common import contract as c
from pmi_common.clock import Clock, FixedClock
from pmi_common.errors import (
    AlreadyDecided,
    CapacityReached,
    InvalidInput,
    NotEligible,
    NotFound,
)
from services.reintegration.service import ReintegrationService
from tests.events import REGISTERED_V2, envelope, publish
from tests.helpers import Subscriber, wait_for

TODAY = dt.datetime.now(dt.UTC).date()
SOON = (TODAY + dt.timedelta(days=30)).isoformat()


@pytest.fixture
def reintegration(container_factory, config_for):
    container = container_factory(ReintegrationService, config_for("reintegration"))
    container.start()
    return container


@pytest.fixture
def clock():
    return FixedClock(dt.datetime.now(dt.UTC))


@pytest.fixture
def reintegration_on_clock(container_factory, config_for, clock):
    """The service on a clock the test moves on: a follow-up is due months after a completion."""
    container = container_factory(ReintegrationService, config_for("reintegration"))
    next(d for d in container.dependencies if isinstance(d, Clock)).clock = clock
    container.start()
    return container


@pytest.fixture
def agency(rabbit_config):
    subscriber = Subscriber(rabbit_config["AMQP_URI"], c.exchange_name(c.REINTEGRATION))
    yield subscriber
    subscriber.close()


@pytest.fixture
def sql(database_urls):
    engine = create_engine(database_urls["reintegration"])

    def run(statement: str, **params):
        with engine.connect() as conn:
            return conn.execute(text(statement), params).all()

    yield run
    engine.dispose()


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def program_payload(**overrides) -> dict:
    payload = {
        "name": "PAK CAMAT PMI 2026",
        "audience": "both",
        "capacity": 100,
        "starts_on": SOON,
        "rounds": [
            {"name": "business model canvas", "advance": 75},
            {"name": "business plan", "advance": 50},
            {"name": "pitch", "advance": 3},
        ],
    }
    payload.update(overrides)
    return payload


class Registration:
    """Registration's events about workers, told by hand, in the order a test chooses."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri

    def tell(self, event_type: str, worker_id: str, sequence: int, **data) -> str:
        body = envelope(event_type, worker_id, data, sequence=sequence)
        publish(self.amqp_uri, body)
        return body["event_id"]

    def registered(self, worker_id: str, sequence: int = 1, cycle: int = 1) -> str:
        return self.tell(
            c.WORKER_REGISTERED,
            worker_id,
            sequence,
            cycle=cycle,
            nik_masked="350512******0001",
            nik_digest="d" * 64,
            full_name="Siti Nur'aini",
            sex="F",
            regency="Blitar",
            destination_country="HK",
            occupation="caregiver",
            placement_agency="PT Sinar Jaya",
            **REGISTERED_V2,
        )

    def returned(self, worker_id: str, sequence: int = 10, cycle: int = 1) -> str:
        return self.tell(
            c.WORKER_RETURNED,
            worker_id,
            sequence,
            cycle=cycle,
            returned_on=TODAY.isoformat(),
            reason="contract_ended",
        )

    def status(self, worker_id: str, to_status: str, sequence: int, cycle: int = 1) -> str:
        return self.tell(
            c.WORKER_STATUS_CHANGED,
            worker_id,
            sequence,
            cycle=cycle,
            from_status=None,
            to_status=to_status,
            stage="pre_departure",
            reason="test",
        )


@pytest.fixture
def registration_events(rabbit_config):
    return Registration(rabbit_config["AMQP_URI"])


def kind_of(container, worker_id):
    try:
        return call(container, "invitations", worker_id)["kind"]
    except NotFound:
        return None


def known_workers(container, registration_events, count: int, kind: str = "prospective"):
    """``count`` workers this service has heard of, as ``kind``."""
    workers = [str(uuid.uuid4()) for _ in range(count)]
    for worker_id in workers:
        registration_events.registered(worker_id)
        if kind == "returnee":
            registration_events.returned(worker_id)
    for worker_id in workers:
        wait_for(lambda w=worker_id: kind_of(container, w) == kind, message=f"{kind} known")
    return workers


def applied(sql, event_id: str) -> bool:
    return bool(sql("SELECT 1 FROM inbox WHERE event_id = :e", e=event_id))


# programmes ---------------------------------------------------------------------------------


def test_a_programme_is_created_and_announced_on_its_own_stream(reintegration, agency):
    program = call(reintegration, "create_program", program_payload())

    assert program["audience"] == "both" and program["capacity"] == 100
    assert [r["advance"] for r in program["rounds"]] == [75, 50, 3]
    assert (program["enrolled"], program["seats_left"], program["status"]) == (0, 100, "open")
    assert call(reintegration, "get_program", program["id"]) == program
    created = agency.wait_for(lambda msgs: msgs)[0]
    assert created["event_type"] == c.PROGRAM_CREATED
    assert created["worker_id"] is None and created["sequence"] == 1
    assert created["data"]["program_id"] == program["id"]
    assert created["data"]["rounds"][2] == {"name": "pitch", "advance": 3}


def test_a_funnel_that_does_not_narrow_is_refused_and_nothing_is_stored(reintegration, sql):
    with pytest.raises(InvalidInput) as refused:
        call(
            reintegration,
            "create_program",
            program_payload(
                capacity=50,
                rounds=[{"name": "canvas", "advance": 75}, {"name": "pitch", "advance": 80}],
            ),
        )
    assert "rounds" in refused.value.details
    with pytest.raises(InvalidInput) as refused:
        call(reintegration, "create_program", program_payload(audience="everyone", capacity=0))
    assert set(refused.value.details) == {"audience", "capacity"}
    assert sql("SELECT count(*) FROM programs")[0][0] == 0
    assert sql("SELECT count(*) FROM outbox")[0][0] == 0


def test_programmes_are_listed_by_start_date_filtered_and_paged(reintegration):
    later = (TODAY + dt.timedelta(days=60)).isoformat()
    past = (TODAY - dt.timedelta(days=365)).isoformat()
    created = [
        call(reintegration, "create_program", program_payload(**fields))
        for fields in (
            {"name": "returnees", "audience": "returnee", "starts_on": later},
            {"name": "both", "audience": "both"},
            {"name": "prospective", "audience": "prospective"},
            {"name": "2022 edition", "audience": "both", "starts_on": past},
        )
    ]
    names = {p["id"]: p["name"] for p in created}

    def listed(**query):
        return [names[p["id"]] for p in call(reintegration, "list_programs", query)["items"]]

    assert listed()[0] == "2022 edition" and listed()[-1] == "returnees"
    assert "2022 edition" not in listed(open=True)
    assert sorted(listed(audience="returnee")) == ["2022 edition", "both", "returnees"]
    first = call(reintegration, "list_programs", {"limit": 3})
    rest = call(reintegration, "list_programs", {"limit": 3, "cursor": first["next_cursor"]})
    assert len(first["items"]) == 3 and [p["name"] for p in rest["items"]] == ["returnees"]
    assert rest["next_cursor"] is None
    with pytest.raises(InvalidInput) as refused:
        call(reintegration, "list_programs", {"cursor": "page-2"})
    assert "cursor" in refused.value.details


# who is invited and who may enrol -----------------------------------------------------------


def test_a_returned_worker_is_invited_to_the_open_programmes_for_returnees(
    reintegration, registration_events
):
    past = (TODAY - dt.timedelta(days=1)).isoformat()
    for_returnees = call(reintegration, "create_program", program_payload(audience="returnee"))
    for_all = call(reintegration, "create_program", program_payload(audience="both"))
    call(reintegration, "create_program", program_payload(audience="prospective"))
    call(reintegration, "create_program", program_payload(audience="returnee", starts_on=past))
    worker_id = str(uuid.uuid4())

    registration_events.registered(worker_id)
    registration_events.returned(worker_id)
    wait_for(lambda: kind_of(reintegration, worker_id) == "returnee", message="returnee known")

    invited = call(reintegration, "invitations", worker_id)
    assert invited["worker_id"] == worker_id
    assert {p["id"] for p in invited["programs"]} == {for_returnees["id"], for_all["id"]}
    call(reintegration, "enrol_participant", for_all["id"], {"worker_id": worker_id})
    assert [p["id"] for p in call(reintegration, "invitations", worker_id)["programs"]] == [
        for_returnees["id"]
    ]


def test_events_about_a_worker_in_any_order_keep_the_newest_fact(
    reintegration, registration_events, sql
):
    worker_id = str(uuid.uuid4())
    registration_events.returned(worker_id, sequence=10)
    wait_for(lambda: kind_of(reintegration, worker_id) == "returnee", message="returnee known")
    late = registration_events.registered(worker_id, sequence=1)  # older, arrives later
    wait_for(lambda: applied(sql, late), message="late registration applied")
    assert kind_of(reintegration, worker_id) == "returnee"

    registration_events.registered(worker_id, sequence=20, cycle=2)  # registered again
    wait_for(lambda: kind_of(reintegration, worker_id) == "prospective", message="new cycle")
    stale = registration_events.status(worker_id, "in_reintegration", sequence=12, cycle=1)
    wait_for(lambda: applied(sql, stale), message="stale status applied")
    assert kind_of(reintegration, worker_id) == "prospective"
    assert sql("SELECT cycle, full_name FROM workers WHERE id = :w", w=worker_id) == [
        (2, "Siti Nur'aini")
    ]


def test_a_withdrawn_candidate_is_invited_and_joins_as_a_prospective_participant(
    reintegration, registration_events, sql
):
    program = call(reintegration, "create_program", program_payload(audience="prospective"))
    worker_id = str(uuid.uuid4())
    registration_events.registered(worker_id, sequence=1)
    withdrawn = registration_events.status(worker_id, "withdrawn", sequence=3)
    wait_for(lambda: applied(sql, withdrawn), message="withdrawal applied")

    invited = call(reintegration, "invitations", worker_id)
    assert (invited["kind"], [p["id"] for p in invited["programs"]]) == (
        "prospective",
        [program["id"]],
    )
    enrolled = call(reintegration, "enrol_participant", program["id"], {"worker_id": worker_id})
    assert enrolled["participant_kind"] == "prospective"


def test_enrolment_keeps_to_the_audience_and_announces_the_participant_kind(
    reintegration, registration_events, agency
):
    for_returnees = call(reintegration, "create_program", program_payload(audience="returnee"))
    [prospective] = known_workers(reintegration, registration_events, 1)
    [returnee] = known_workers(reintegration, registration_events, 1, kind="returnee")

    with pytest.raises(NotEligible) as refused:
        call(reintegration, "enrol_participant", for_returnees["id"], {"worker_id": prospective})
    assert refused.value.details["reason"] == "wrong_audience"
    enrolled = call(
        reintegration, "enrol_participant", for_returnees["id"], {"worker_id": returnee}
    )
    assert (enrolled["participant_kind"], enrolled["status"]) == ("returnee", "enrolled")
    assert enrolled["worker_id"] == returnee and enrolled["enrolled_at"]
    with pytest.raises(NotEligible) as refused:
        call(reintegration, "enrol_participant", for_returnees["id"], {"worker_id": returnee})
    assert refused.value.details["reason"] == "already_enrolled"

    events = agency.wait_for(
        lambda msgs: any(m["event_type"] == c.REINTEGRATION_ENROLLED for m in msgs)
    )
    [announced] = [m for m in events if m["event_type"] == c.REINTEGRATION_ENROLLED]
    assert announced["worker_id"] == returnee
    assert announced["data"] == {"program_id": for_returnees["id"], "participant_kind": "returnee"}


def test_enrolment_refuses_unknown_workers_programmes_and_a_full_programme(
    reintegration, registration_events
):
    small = call(
        reintegration,
        "create_program",
        program_payload(capacity=1, rounds=[{"name": "pitch", "advance": 1}]),
    )
    first, second = known_workers(reintegration, registration_events, 2)

    with pytest.raises(NotFound):
        call(reintegration, "enrol_participant", small["id"], {"worker_id": str(uuid.uuid4())})
    with pytest.raises(NotFound):
        call(reintegration, "enrol_participant", str(uuid.uuid4()), {"worker_id": first})
    with pytest.raises(InvalidInput) as refused:
        call(reintegration, "enrol_participant", small["id"], {"worker_id": "someone"})
    assert "worker_id" in refused.value.details
    call(reintegration, "enrol_participant", small["id"], {"worker_id": first})
    with pytest.raises(CapacityReached):
        call(reintegration, "enrol_participant", small["id"], {"worker_id": second})
    program = call(reintegration, "get_program", small["id"])
    assert (program["enrolled"], program["seats_left"], program["status"]) == (1, 0, "full")


# rounds, completion, statistics -------------------------------------------------------------


def record(container, program_id, worker_id, number, advanced, **extra):
    return call(
        container,
        "record_round_result",
        program_id,
        {"worker_id": worker_id, "round": number, "advanced": advanced, **extra},
    )


def test_a_selection_funnel_like_pak_camat_narrows_round_by_round_to_the_awardees(
    reintegration, registration_events, agency
):
    program = call(
        reintegration,
        "create_program",
        program_payload(
            capacity=4,
            rounds=[
                {"name": "business model canvas", "advance": 3},
                {"name": "business plan", "advance": 2},
                {"name": "pitch", "advance": 1},
            ],
        ),
    )
    a, b, d, e = known_workers(reintegration, registration_events, 4)
    for worker_id in (a, b, d, e):
        call(reintegration, "enrol_participant", program["id"], {"worker_id": worker_id})

    with pytest.raises(NotEligible):  # round 2 needs having advanced in round 1
        record(reintegration, program["id"], a, 2, True)
    for worker_id in (a, b, d):
        record(reintegration, program["id"], worker_id, 1, True, score=80)
    with pytest.raises(CapacityReached):  # round 1 lets only 3 advance
        record(reintegration, program["id"], e, 1, True)
    out = record(reintegration, program["id"], e, 1, False, note="canvas incomplete")
    assert out["results"] == [
        {
            "round": 1,
            "name": "business model canvas",
            "advanced": False,
            "score": None,
            "note": "canvas incomplete",
            "recorded_at": out["results"][0]["recorded_at"],
        }
    ]
    with pytest.raises(NotEligible):
        record(reintegration, program["id"], e, 2, True)
    with pytest.raises(AlreadyDecided):
        record(reintegration, program["id"], a, 1, False)
    with pytest.raises(InvalidInput) as refused:
        record(reintegration, program["id"], a, 4, True)
    assert "round" in refused.value.details

    record(reintegration, program["id"], a, 2, True)
    record(reintegration, program["id"], b, 2, True)
    record(reintegration, program["id"], d, 2, False)
    winner = record(reintegration, program["id"], a, 3, True, score=92.5)
    runner_up = record(reintegration, program["id"], b, 3, False)
    assert winner["awarded"] and not runner_up["awarded"]

    assert call(reintegration, "program_stats", program["id"]) == {
        "program_id": program["id"],
        "enrolled": 4,
        "rounds": [
            {"name": "business model canvas", "advance": 3, "recorded": 4, "advanced": 3},
            {"name": "business plan", "advance": 2, "recorded": 3, "advanced": 2},
            {"name": "pitch", "advance": 1, "recorded": 2, "advanced": 1},
        ],
        "completed": 0,
        "businesses_started": 0,
        "awarded": 1,
    }
    events = agency.wait_for(
        lambda msgs: sum(m["event_type"] == c.REINTEGRATION_ROUND_RECORDED for m in msgs) == 9
    )
    last = [m for m in events if m["worker_id"] == a][-1]
    assert last["data"] == {
        "program_id": program["id"],
        "round": 3,
        "advanced": True,
        "score": 92.5,
        "participant_kind": "prospective",
    }


def test_completion_records_the_outcome_once_and_announces_it(
    reintegration, registration_events, agency
):
    program = call(
        reintegration,
        "create_program",
        program_payload(capacity=3, rounds=[{"name": "pitch", "advance": 1}]),
    )
    awardee, dropout, outsider = known_workers(reintegration, registration_events, 3)
    for worker_id in (awardee, dropout):
        call(reintegration, "enrol_participant", program["id"], {"worker_id": worker_id})
    record(reintegration, program["id"], awardee, 1, True)
    record(reintegration, program["id"], dropout, 1, False)

    with pytest.raises(InvalidInput) as refused:
        call(
            reintegration,
            "complete_participant",
            program["id"],
            {"worker_id": awardee, "business_started": True},
        )
    assert set(refused.value.details) == {"business_name", "sector", "regency"}
    done = call(
        reintegration,
        "complete_participant",
        program["id"],
        {
            "worker_id": awardee,
            "business_started": True,
            "business_name": "Keripik Tempe Bu Siti",
            "sector": "food processing",
            "regency": "Blitar",
        },
    )
    assert done["status"] == "completed" and done["awarded"]
    assert done["outcome"]["business_name"] == "Keripik Tempe Bu Siti"
    with pytest.raises(AlreadyDecided):
        call(
            reintegration,
            "complete_participant",
            program["id"],
            {"worker_id": awardee, "business_started": False},
        )
    left = call(
        reintegration,
        "complete_participant",
        program["id"],
        {"worker_id": dropout, "business_started": False},
    )
    assert left["outcome"]["business_started"] is False and not left["awarded"]
    with pytest.raises(NotEligible) as refused:
        call(
            reintegration,
            "complete_participant",
            program["id"],
            {"worker_id": outsider, "business_started": False},
        )
    assert refused.value.details["reason"] == "not_enrolled"

    events = agency.wait_for(
        lambda msgs: sum(m["event_type"] == c.REINTEGRATION_COMPLETED for m in msgs) == 2
    )
    [completed] = [
        m
        for m in events
        if m["event_type"] == c.REINTEGRATION_COMPLETED and m["worker_id"] == awardee
    ]
    assert completed["data"] == {
        "program_id": program["id"],
        "participant_kind": "prospective",
        "business_started": True,
        "business_name": "Keripik Tempe Bu Siti",
        "sector": "food processing",
        "regency": "Blitar",
        "awarded": True,
    }


def test_overall_statistics_count_returnees_who_started_a_business(
    reintegration, registration_events
):
    program = call(reintegration, "create_program", program_payload())
    other = call(reintegration, "create_program", program_payload(name="PAK CAMAT PMI 2027"))
    returnees = known_workers(reintegration, registration_events, 2, kind="returnee")
    [prospective] = known_workers(reintegration, registration_events, 1)
    for worker_id in (*returnees, prospective):
        call(reintegration, "enrol_participant", program["id"], {"worker_id": worker_id})
    call(reintegration, "enrol_participant", other["id"], {"worker_id": returnees[0]})
    business = {
        "business_started": True,
        "business_name": "Warung",
        "sector": "retail",
        "regency": "Blitar",
    }
    for worker_id in (returnees[0], prospective):
        call(
            reintegration,
            "complete_participant",
            program["id"],
            {"worker_id": worker_id, **business},
        )
    call(
        reintegration, "complete_participant", other["id"], {"worker_id": returnees[0], **business}
    )

    assert call(reintegration, "get_stats") == {
        "programs": 2,
        "participants": 4,
        "returnees_enrolled": 2,
        "returnees_with_business": 1,
    }
    funnel = call(reintegration, "program_stats", program["id"])
    assert (funnel["enrolled"], funnel["completed"], funnel["businesses_started"]) == (3, 2, 2)


def test_a_participation_enrolled_before_this_service_heard_of_the_return_becomes_a_returnees(
    reintegration, registration_events
):
    """The desk records a return and enrols the worker at once; the return's event arrives
    after the enrolment, which was taken for a prospective worker's."""
    program = call(reintegration, "create_program", program_payload())
    late, early = known_workers(reintegration, registration_events, 2)
    call(reintegration, "enrol_participant", program["id"], {"worker_id": early})
    returns = {
        worker_id: envelope(
            c.WORKER_RETURNED,
            worker_id,
            {"cycle": 1, "returned_on": TODAY.isoformat(), "reason": "contract_ended"},
            sequence=10,
        )
        for worker_id in (late, early)
    }  # recorded now, told later
    enrolled = call(reintegration, "enrol_participant", program["id"], {"worker_id": late})
    assert enrolled["participant_kind"] == "prospective"
    for body in returns.values():
        publish(registration_events.amqp_uri, body)

    wait_for(
        lambda: call(reintegration, "get_stats")["returnees_enrolled"] == 1,
        message="the late participation counted as a returnee's",
    )
    wait_for(lambda: kind_of(reintegration, early) == "returnee", message="both returns applied")
    assert call(reintegration, "get_stats")["returnees_enrolled"] == 1  # not the earlier one


def test_a_business_started_is_followed_up_at_six_and_twelve_months_and_announced(
    reintegration_on_clock, registration_events, agency, clock, sql
):
    service = reintegration_on_clock
    program = call(
        service,
        "create_program",
        program_payload(audience="returnee", rounds=[{"name": "pitch", "advance": 2}]),
    )
    owner, without_business = known_workers(service, registration_events, 2, kind="returnee")
    for worker_id in (owner, without_business):
        call(service, "enrol_participant", program["id"], {"worker_id": worker_id})
    call(
        service,
        "complete_participant",
        program["id"],
        {
            "worker_id": owner,
            "business_started": True,
            "business_name": "Ternak Lele Mandiri",
            "sector": "aquaculture",
            "regency": "Blitar",
        },
    )
    call(
        service,
        "complete_participant",
        program["id"],
        {"worker_id": without_business, "business_started": False},
    )
    found = {"business_running": True, "income_band": "1m_to_3m", "migrated_again": False}

    with pytest.raises(NotEligible) as early:
        call(service, "record_follow_up", program["id"], {"worker_id": owner, "months": 6, **found})
    assert early.value.details["reason"] == "follow_up_not_due"
    clock.advance(days=190)
    with pytest.raises(NotEligible) as refused:
        call(
            service,
            "record_follow_up",
            program["id"],
            {"worker_id": without_business, "months": 6, **found},
        )
    assert refused.value.details["reason"] == "no_business"
    with pytest.raises(InvalidInput):
        call(service, "record_follow_up", program["id"], {"worker_id": owner, "months": 9, **found})
    six = call(
        service, "record_follow_up", program["id"], {"worker_id": owner, "months": 6, **found}
    )
    assert [f["months"] for f in six["follow_ups"]] == [6]
    with pytest.raises(AlreadyDecided):
        call(service, "record_follow_up", program["id"], {"worker_id": owner, "months": 6, **found})
    clock.advance(days=190)
    gone_abroad = {"business_running": False, "income_band": "none", "migrated_again": True}
    twelve = call(
        service,
        "record_follow_up",
        program["id"],
        {"worker_id": owner, "months": 12, **gone_abroad},
    )
    assert [(f["months"], f["migrated_again"]) for f in twelve["follow_ups"]] == [
        (6, False),
        (12, True),
    ]
    assert sql("SELECT months FROM follow_ups ORDER BY months") == [(6,), (12,)]

    events = agency.wait_for(
        lambda msgs: sum(m["event_type"] == c.REINTEGRATION_FOLLOWED_UP for m in msgs) == 2
    )
    announced = [m for m in events if m["event_type"] == c.REINTEGRATION_FOLLOWED_UP]
    assert {m["worker_id"] for m in announced} == {owner}
    assert sorted((m["data"]["months"], m["data"]["migrated_again"]) for m in announced) == [
        (6, False),
        (12, True),
    ]
    assert "business_name" not in announced[0]["data"]
