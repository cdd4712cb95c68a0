"""A write sent again with its ``Idempotency-Key`` after the service committed it and then died
before answering, or answered after the gateway's RPC timeout: the retry gets the first answer,
and the write is applied once. For every write route.

Both are provoked directly, at the point where the service's transaction has committed (the
``Database``'s test-only ``after_commit`` hook): a crash is the service container killed there,
and a late reply is the service's worker held there until the test releases it, after the
gateway has given up. The first attempt goes through a gateway that waits half a second for a
reply; since the service cannot answer before the test lets it, that wait decides only how
long the test waits, never the outcome. Everything else (the preparation, the retries) goes
through a gateway as patient as the suite's. The services and both gateways run once for the
module, in this test process (each test leaves them as it found them), and every test's request
is prepared before the first runs."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import eventlet
import pytest
import requests
from eventlet.event import Event
from nameko.containers import get_container_cls
from sqlalchemy import create_engine, text

from gateway.testing import ApiClient, gateway_config
from pmi_common.contract import SERVICES
from pmi_common.kept_answers import kept_answers
from pmi_common.runner import service_class
from pmi_common.store import Database
from tests.e2e.journey import Journey, district_today
from tests.helpers import wait_for, worker_payload

# the first test's setup starts the stack and prepares every test's request
pytestmark = pytest.mark.timeout(900)

FIRST_ATTEMPT_PATIENCE = 0.5  # seconds; the service is held past it, however long it is
GENEROUS = 60  # seconds: the ceiling of every wait on the service


class Hold:
    """An ``after_commit`` hook: a worker that reaches it has committed its command, and waits
    there until the test releases it (its reply leaves when the test says)."""

    def __init__(self):
        self.reached = Event()
        self.released = Event()

    def __call__(self) -> None:
        if not self.reached.ready():
            self.reached.send()
        self.released.wait()

    def wait_reached(self) -> None:
        with eventlet.Timeout(GENEROUS, AssertionError("the command never committed")):
            self.reached.wait()

    def release(self) -> None:
        if not self.released.ready():
            self.released.send()


class InProcessStack:
    """What ``Journey`` drives, over the services and a gateway running in this test process;
    and a second gateway that gives up on a service after ``FIRST_ATTEMPT_PATIENCE``."""

    def __init__(self, config_for):
        self.config_for = config_for
        self.running = []
        self.holds: list[Hold] = []
        self.containers = {
            name: self.start(service_class(name), config_for(name)) for name in SERVICES
        }
        self.api = self.start_gateway()
        self.impatient = self.start_gateway(RPC_TIMEOUT=FIRST_ATTEMPT_PATIENCE)

    def start(self, cls, config):
        container = get_container_cls(config)(cls, config)
        self.running.append(container)
        container.start()
        return container

    def start_gateway(self, **overrides) -> ApiClient:
        config = gateway_config(self.config_for("gateway"), **overrides)
        self.start(service_class("gateway"), config)
        return ApiClient.for_config(config)

    def close(self) -> None:
        for container in self.running:
            container.kill()

    def client(self, role: str, sub: str | None = None) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.api.mint(role, sub)}"
        return session

    def url(self, path: str, api: ApiClient | None = None) -> str:
        return (api or self.api).base_url + path

    def database(self, name: str) -> Database:
        return next(d for d in self.containers[name].dependencies if isinstance(d, Database))

    def hold_after_commit(self, name: str) -> Hold:
        hold = Hold()
        self.database(name).after_commit = hold
        self.holds.append(hold)
        return hold

    def crash_after_commit(self, name: str) -> Event:
        """The service's container is killed once a keyed command commits, before it answers;
        the event is sent once it is dead."""
        container, dead = self.containers[name], Event()

        def crash():
            def kill():
                container.kill()
                dead.send()

            eventlet.spawn(kill)
            eventlet.sleep(3600)  # killed with the container: no answer leaves

        self.database(name).after_commit = crash
        return dead

    def restart(self, name: str) -> None:
        self.containers[name] = self.start(service_class(name), self.config_for(name))

    def clear_hooks(self) -> None:
        """Every service running, none with a hook, no worker held: as the module found them."""
        while self.holds:
            self.holds.pop().release()
        for name, container in self.containers.items():
            self.database(name).after_commit = None
            if not container.started:
                self.restart(name)


@pytest.fixture(autouse=True)
def fast_teardown():
    """In place of nameko's, which stops every consumer made during a test as the test ends:
    here a service restarted in one test serves the next."""
    yield


@pytest.fixture(scope="module")
def running(module_config_for):
    stack = InProcessStack(module_config_for)
    yield stack
    stack.close()


@pytest.fixture
def stack(running):
    yield running
    running.clear_hooks()


@pytest.fixture(scope="module")
def prepared(request, running) -> dict:
    """The request of each test the run selected, by (test, route): prepared before the first
    test, side by side, since a preparation mostly waits for events to reach a service. (Once
    the tests begin, they crash and hold services; nothing is being prepared then.)"""
    cases = [
        (item.originalname, item.callspec.params["route"])
        for item in request.session.items
        if item.module.__name__ == __name__ and hasattr(item, "callspec")
    ]
    pool = eventlet.GreenPool(8)
    threads = {case: pool.spawn(_prepare, running, case[1]) for case in cases}
    pool.waitall()
    return threads  # each test's .wait() gives its request, or raises what preparing it did


def _prepare(stack: InProcessStack, route: str) -> tuple[str, str, str, dict]:
    _service, prepare = WRITES[route]
    return prepare(Journey(stack), stack)


def _values(value) -> list[str]:
    """Every string of 8+ characters in a JSON value (ids, NIKs, names, dates)."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in _values(item)]
    if isinstance(value, list):
        return [text for item in value for text in _values(item)]
    return [value] if isinstance(value, str) and len(value) >= 8 else []


def rows(url: str, sql: str, **params) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        number = conn.execute(text(sql), params).scalar()
    engine.dispose()
    return number


# each write route: which service answers it, and a journey that prepares its request --------


def _submitted(journey: Journey) -> dict:
    journey.register()
    journey.wait_known_to_documents()
    return journey.call(
        journey.intake,
        "POST",
        f"/workers/{journey.worker_id}/documents",
        201,
        json={
            "type": "passport",
            "number": "X1234567",
            "issued_on": "2025-01-05",
            "expires_on": "2035-01-04",
            "file": {"content_base64": journey.scan()},
        },
    )


def _session(journey: Journey) -> dict:
    return journey.call(journey.trainer, "POST", "/orientation/sessions", 201, json=SESSION)


def _program(journey: Journey) -> dict:
    return journey.call(journey.trainer, "POST", "/reintegration/programs", 201, json=PROGRAM)


def _known_to_reintegration(journey: Journey, stack) -> None:
    url = stack.config_for("reintegration")["DATABASE_URL"]
    wait_for(
        lambda: rows(url, "SELECT count(*) FROM workers WHERE id = :id", id=journey.worker_id),
        message="reintegration learns of the worker",
    )


def _enrolled(journey: Journey, stack) -> dict:
    journey.register()
    program = _program(journey)
    _known_to_reintegration(journey, stack)
    journey.call(
        journey.trainer,
        "POST",
        f"/reintegration/programs/{program['id']}/enrollments",
        201,
        json={"worker_id": journey.worker_id},
    )
    return program


def _cleared(journey: Journey) -> None:
    journey.register()
    journey.submit_and_verify_documents()
    journey.wait_status("documents_verified")
    journey.attend_orientation()
    journey.add_bpjs()
    journey.wait_status("cleared_for_departure")


TODAY = district_today().isoformat()
SESSION = {
    "starts_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
    .replace(microsecond=0)
    .isoformat(),
    "location": "LTSA PMI Blitar",
    "capacity": 30,
    "topics": ["safe migration"],
}
PROGRAM = {
    "name": "PAK CAMAT PMI",
    "audience": "both",
    "capacity": 100,
    "starts_on": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
    "rounds": [{"name": "business model canvas", "advance": 75}],
}


def _departure(journey, stack):
    _cleared(journey)
    return (
        "operator",
        "POST",
        f"/workers/{journey.worker_id}/departure",
        {"departed_on": TODAY, "destination_country": "HK", "employer": "Chan Tai Man"},
    )


def _return(journey, stack):
    _cleared(journey)
    journey.depart()
    return (
        "operator",
        "POST",
        f"/workers/{journey.worker_id}/return",
        {"returned_on": TODAY, "reason": "contract_ended"},
    )


def _verify(journey, stack):
    return "verifier", "POST", f"/documents/{_submitted(journey)['id']}/verify", {}


def _reject(journey, stack):
    return (
        "verifier",
        "POST",
        f"/documents/{_submitted(journey)['id']}/reject",
        {"reason": "the photo page is blurred"},
    )


def _enrol_participant(journey, stack):
    journey.register()
    program = _program(journey)
    _known_to_reintegration(journey, stack)
    return (
        "trainer",
        "POST",
        f"/reintegration/programs/{program['id']}/enrollments",
        {"worker_id": journey.worker_id},
    )


def _round(journey, stack):
    program = _enrolled(journey, stack)
    return (
        "trainer",
        "POST",
        f"/reintegration/programs/{program['id']}/rounds",
        {"worker_id": journey.worker_id, "round": 1, "advanced": True, "score": 80},
    )


def _complete(journey, stack):
    program = _enrolled(journey, stack)
    return (
        "trainer",
        "POST",
        f"/reintegration/programs/{program['id']}/completions",
        {
            "worker_id": journey.worker_id,
            "business_started": True,
            "business_name": "Warung Bu Siti",
            "sector": "food",
            "regency": "Blitar",
        },
    )


def _submit(journey, stack):
    journey.register()
    journey.wait_known_to_documents()
    return (
        "verifier",
        "POST",
        f"/workers/{journey.worker_id}/documents",
        {
            "type": "passport",
            "number": "X7654321",
            "issued_on": "2025-01-05",
            "expires_on": "2035-01-04",
        },
    )


def _eligible_for_orientation(journey, stack) -> None:
    journey.register()
    journey.submit_and_verify_documents()
    journey.wait_status("documents_verified")
    url = stack.config_for("orientation")["DATABASE_URL"]
    wait_for(
        lambda: rows(
            url,
            "SELECT count(*) FROM workers WHERE id = :id AND documents_complete",
            id=journey.worker_id,
        ),
        message="orientation learns the documents are complete",
    )


def _enrol_in_session(journey, stack):
    _eligible_for_orientation(journey, stack)
    return (
        "trainer",
        "POST",
        f"/orientation/sessions/{_session(journey)['id']}/enrollments",
        {"worker_id": journey.worker_id},
    )


def _attendance(journey, stack):
    _eligible_for_orientation(journey, stack)
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).replace(microsecond=0)
    session = journey.call(
        journey.trainer,
        "POST",
        "/orientation/sessions",
        201,
        json={**SESSION, "starts_at": soon.isoformat()},
    )  # check-in is open
    journey.call(
        journey.trainer,
        "POST",
        f"/orientation/sessions/{session['id']}/enrollments",
        201,
        json={"worker_id": journey.worker_id},
    )
    return (
        "trainer",
        "POST",
        f"/orientation/sessions/{session['id']}/attendance",
        {"worker_id": journey.worker_id, "nik": journey.payload["nik"]},
    )


WRITES = {
    "register_worker": (
        "registration",
        lambda j, s: ("operator", "POST", "/workers", worker_payload()),
    ),
    "update_worker": (
        "registration",
        lambda j, s: (
            "operator",
            "PATCH",
            f"/workers/{j.register()['id']}",
            {"bpjs_number": "12345678901"},
        ),
    ),
    "withdraw_worker": (
        "registration",
        lambda j, s: (
            "operator",
            "POST",
            f"/workers/{j.register()['id']}/withdrawal",
            {"reason": "found work at home"},
        ),
    ),
    "record_departure": ("registration", _departure),
    "record_return": ("registration", _return),
    "submit_document": ("documents", _submit),
    "verify_document": ("documents", _verify),
    "reject_document": ("documents", _reject),
    "schedule_session": (
        "orientation",
        lambda j, s: ("trainer", "POST", "/orientation/sessions", SESSION),
    ),
    "cancel_session": (
        "orientation",
        lambda j, s: (
            "trainer",
            "POST",
            f"/orientation/sessions/{_session(j)['id']}/cancellation",
            {"reason": "the hall is flooded"},
        ),
    ),
    "enrol_worker": ("orientation", _enrol_in_session),
    "record_attendance": ("orientation", _attendance),
    "create_program": (
        "reintegration",
        lambda j, s: ("trainer", "POST", "/reintegration/programs", PROGRAM),
    ),
    "enrol_participant": ("reintegration", _enrol_participant),
    "record_round_result": ("reintegration", _round),
    "complete_participant": ("reintegration", _complete),
}


class Attempt:
    """One write route's request, prepared, sent with one key under several request ids."""

    def __init__(self, stack: InProcessStack, route: str, prepared):
        self.stack, self.route = stack, route
        self.service = WRITES[route][0]
        self.role, self.method, self.path, self.body = prepared.wait()
        self.url = stack.config_for(self.service)["DATABASE_URL"]
        self.answers_before = rows(self.url, "SELECT count(*) FROM command_answers")
        self.key = f"{route}-{uuid.uuid4()}"

    def send(self, request_id: str, api: ApiClient | None = None) -> requests.Response:
        client = self.stack.client(self.role, sub=f"{self.role}-desk-7")
        return client.request(
            self.method,
            self.stack.url(self.path, api),
            json=self.body,
            timeout=GENEROUS,
            headers={"Idempotency-Key": self.key, "X-Request-ID": request_id},
        )

    def send_first(self, request_id: str) -> requests.Response:
        """Through the gateway that gives up after ``FIRST_ATTEMPT_PATIENCE``."""
        return self.send(request_id, self.stack.impatient)

    def events_of(self, request_id: str) -> int:
        return rows(
            self.url,
            "SELECT count(*) FROM outbox WHERE envelope::jsonb->>'correlation_id' = :c",
            c=request_id,
        )

    def check_applied_once(
        self, first: tuple[str, int], retry: requests.Response, retry_id: str
    ) -> None:
        """The retry got the answer the first attempt recorded with its effect, and applied
        nothing itself."""
        assert retry.status_code < 300, retry.text
        assert rows(self.url, "SELECT count(*) FROM command_answers") == self.answers_before + 1
        engine = create_engine(self.url)
        with engine.connect() as conn:
            kept = conn.execute(
                text("SELECT key, answer::text FROM command_answers ORDER BY created_at DESC")
            ).first()
        engine.dispose()
        assert kept is not None
        # kept sealed: nothing of the answer in clear in the row, opened by its service's key
        assert set(json.loads(kept.answer)) == {"sealed", "about"}
        assert [value for value in _values(retry.json()) if value in kept.answer] == []
        seal = kept_answers(self.stack.config_for(self.service), self.service)
        assert retry.json() == seal.open(kept.key, json.loads(kept.answer))  # the first answer
        first_events, retry_events = self.events_of(first[0]), self.events_of(retry_id)
        assert retry_events == 0
        print(
            f"{self.route}: first attempt {first[1]} ({first_events} events committed), "
            f"retry {retry.status_code} ({retry_events} events), 1 answer recorded"
        )


@pytest.mark.parametrize("route", sorted(WRITES))
def test_a_retry_after_a_crash_between_commit_and_reply_gets_the_first_answer(
    stack, prepared, route
):
    attempt = Attempt(
        stack,
        route,
        prepared[
            test_a_retry_after_a_crash_between_commit_and_reply_gets_the_first_answer.__name__,
            route,
        ],
    )
    first_id, retry_id = str(uuid.uuid4()), str(uuid.uuid4())
    dead = stack.crash_after_commit(attempt.service)

    lost = attempt.send_first(first_id)

    assert lost.status_code in (503, 504), lost.text  # the reply never came
    with eventlet.Timeout(GENEROUS, AssertionError("the service never reached its commit")):
        dead.wait()  # it committed, and died before answering
    stack.restart(attempt.service)  # the broker gives the unanswered request to the new one too
    retry = attempt.send(retry_id)
    attempt.check_applied_once((first_id, lost.status_code), retry, retry_id)
    again = attempt.send(str(uuid.uuid4()))
    assert again.json() == retry.json() and again.headers.get("Idempotent-Replayed") == "true"


@pytest.mark.parametrize("route", sorted(WRITES))
def test_a_retry_after_a_reply_later_than_the_rpc_timeout_gets_the_first_answer(
    stack, prepared, route
):
    attempt = Attempt(
        stack,
        route,
        prepared[
            test_a_retry_after_a_reply_later_than_the_rpc_timeout_gets_the_first_answer.__name__,
            route,
        ],
    )
    first_id, retry_id = str(uuid.uuid4()), str(uuid.uuid4())
    held = stack.hold_after_commit(attempt.service)

    late = attempt.send_first(first_id)

    assert late.status_code == 504, late.text  # the gateway gave up: the service is held
    held.wait_reached()  # the first attempt committed; its reply has not left
    retry = attempt.send(retry_id)
    attempt.check_applied_once((first_id, late.status_code), retry, retry_id)
    held.release()  # the first reply leaves now, long after the gateway gave up on it
    again = attempt.send(str(uuid.uuid4()))
    assert again.json() == retry.json() and again.headers.get("Idempotent-Replayed") == "true"
    attempt.check_applied_once((first_id, late.status_code), retry, retry_id)
