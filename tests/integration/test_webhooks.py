"""Agencies' webhooks, on the real broker and database: the agencies service delivers what the
agreement grants as signed CloudEvents to real HTTP receivers on 127.0.0.1, which verify them with
the official ``standardwebhooks`` and ``cloudevents`` packages; receivers that fail, hang, answer
slowly, answer 410 or come back after an outage lose nothing, and each worker's events arrive in
order."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cloudevents.core.bindings.amqp import AMQPMessage, from_amqp
from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.formats.json import JSONFormat
from kombu import Connection
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine
from standardwebhooks.webhooks import Webhook

from gateway.testing import TEST_WEBHOOK_SECRET_KEY, start_stack
from pmi_common import contract as c
from pmi_common.agreement import BINARY, STRUCTURED
from pmi_common.errors import InvalidInput
from pmi_common.sealing import Sealer
from pmi_tools.cli import main
from services.agencies import domain
from services.agencies.agreement_repository import AgreementRepository
from services.agencies.notices import NoticeRepository
from services.agencies.repository import AgenciesRepository
from services.agencies.service import AgenciesService, Deliverers
from services.agencies.webhook_delivery import WebhookDispatcher, WebhookSettings
from services.agencies.webhook_handlers import WebhookHandlers
from services.agencies.webhook_repository import WebhookRepository
from tests.events import envelope, publish
from tests.helpers import wait_for
from tests.integration.test_agencies import agencies  # noqa: F401 - the fixture
from tests.integration.test_agency_delivery import KEY, collect, drain_as, register, verified
from tests.integration.test_backfill import registration  # noqa: F401 - the fixture
from tests.mailserver import MailServer
from tests.receivers import HANG, Receiver

LOCAL = {
    "WEBHOOK_ALLOWED_TARGETS": "127.0.0.1",
    "WEBHOOK_ALLOW_HTTP": "true",  # the receivers are plain http on loopback
    "WEBHOOK_RETRY_SCHEDULE": "0.05,0.1,0.2",
    # an attempt's deadline: a receiver here answers at once or never (the hanging endpoint's
    # test sets its own), so a loaded machine never turns an answer into a timeout
    "WEBHOOK_TIMEOUT": "30",
}

SEALER = Sealer(
    TEST_WEBHOOK_SECRET_KEY
)  # as the gateway and the agencies service of the tests seal


@pytest.fixture
def agencies_config(config_for):
    def make(**overrides):
        return config_for("agencies", PSEUDONYM_KEY=KEY, **{**LOCAL, **overrides})

    return make


@pytest.fixture
def agencies_service(container_factory, agencies_config):
    container = container_factory(AgenciesService, agencies_config())
    container.start()
    return container


def wanted_by(container, endpoint_id: str, event_type: str) -> bool:
    """Whether the running agencies service's own reading of the endpoints has ``endpoint_id``
    wanting ``event_type`` (what its fan-out decides on)."""
    deliverers = next(d for d in container.dependencies if isinstance(d, Deliverers))
    return any(
        endpoint.id == endpoint_id and event_type in endpoint.event_types
        for endpoints in deliverers.endpoints.current().values()
        for endpoint in endpoints
    )


@pytest.fixture
def webhook_handlers(database_urls):
    engine = create_engine(database_urls["agencies"])
    yield WebhookHandlers(
        WebhookRepository(engine, SEALER),
        AgreementRepository(engine),
        domain.TargetPolicy.from_config("127.0.0.1", {"127.0.0.1"}),
    )
    engine.dispose()


@pytest.fixture
def receivers():
    started: list[Receiver] = []

    def start(*args, **kwargs) -> Receiver:
        started.append(Receiver(*args, **kwargs))
        return started[-1]

    yield start
    for receiver in started:
        receiver.close()


def departed(worker_id: str, sequence: int) -> dict:
    return envelope(
        c.WORKER_DEPARTED,
        worker_id,
        {
            "departed_on": "2026-12-01",
            "destination_country": "Hong Kong",
            "employer": "Chan",
            "cycle": 1,
        },
        sequence=sequence,
    )


def log_of(webhook_handlers: WebhookHandlers, endpoint) -> list[dict]:
    return webhook_handlers.endpoints.deliveries(endpoint.id, limit=200)["items"]


def delivered(webhook_handlers: WebhookHandlers, endpoint, count: int) -> list[dict]:
    """The log once ``count`` deliveries are all delivered (else nothing)."""
    log = log_of(webhook_handlers, endpoint)
    return log if len(log) == count and {d["state"] for d in log} == {domain.DELIVERED} else []


def test_an_endpoint_receives_signed_cloud_events_with_only_the_granted_fields(
    agencies_service, agencies, webhook_handlers, receivers, rabbit_config, database_urls
):  # noqa: F811
    bpjs = agencies.onboard(
        "bpjs", [c.DOCUMENT_VERIFIED, c.WORKER_DEPARTED], fields=["document_verified:document_type"]
    )
    receiver = receivers()
    endpoint, secret = webhook_handlers.add(
        bpjs.name, receiver.url, [c.DOCUMENT_VERIFIED], "desk-admin"
    )
    event = verified("w-0001", sequence=4)

    publish(rabbit_config["AMQP_URI"], event)
    publish(rabbit_config["AMQP_URI"], departed("w-0001", 5))  # not an event of the endpoint

    [(headers, body, _)] = wait_for(lambda: receiver.requests, message="a webhook")
    assert Webhook(secret).verify(body, headers)["id"] == event["event_id"]
    cloud = from_http(HTTPMessage(headers, body), JSONFormat())
    assert headers["content-type"] == "application/cloudevents+json"
    assert cloud.get_id() == headers["webhook-id"] == event["event_id"]
    assert (cloud.get_type(), cloud.get_subject()) == (c.DOCUMENT_VERIFIED, "w-0001")
    assert cloud.get_source() == "/pmi/documents"
    assert cloud.get_dataschema().endswith("#/components/messages/document_verified.v1")
    extensions = cloud.get_attributes()
    assert extensions["workersequence"] == 4
    assert extensions["correlationid"] == event["event_id"]  # the caller's request id stays in
    assert extensions["actorsubject"].startswith("staff-")  # never the login
    assert cloud.get_data() == {"document_type": "passport"}  # only what the agreement grants
    [delivery] = wait_for(
        lambda: [d for d in log_of(webhook_handlers, endpoint) if d["state"] == domain.DELIVERED],
        message="delivered in the log",
    )
    assert [a["status"] for a in delivery["attempts"]] == [200]
    engine = create_engine(database_urls["agencies"])
    with engine.connect() as conn:
        record = AgenciesRepository(conn).disclosures_of("w-0001")["items"]
    engine.dispose()
    assert ("webhook", c.DOCUMENT_VERIFIED, ["document_type"]) in [
        (d["channel"], d["what"], d["fields"]) for d in record
    ]


def test_an_endpoint_cannot_ask_for_more_than_the_agreement_or_a_private_target(
    agencies, webhook_handlers
):  # noqa: F811
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED])
    with pytest.raises(InvalidInput, match="does not grant"):
        webhook_handlers.add(bpjs.name, "http://127.0.0.1:9/x", [c.WORKER_REGISTERED], "desk-admin")
    for url in (
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest",
        "ftp://x.example/",
        "http://[::1]/hook",
    ):
        with pytest.raises(InvalidInput, match="URL refused"):
            webhook_handlers.add(bpjs.name, url, [c.DOCUMENT_VERIFIED], "desk-admin")
    assert webhook_handlers.endpoints.of_agency(bpjs.name) == []


def test_a_failing_receiver_gets_every_event_in_order_per_worker_once_it_answers(
    agencies_service, agencies, webhook_handlers, receivers, rabbit_config
):  # noqa: F811
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED, c.WORKER_DEPARTED])
    failing = {"until": None}
    receiver = receivers(
        answer=lambda n, body: 503 if failing["until"] is None or n < failing["until"] else 200
    )
    endpoint, _ = webhook_handlers.add(
        bpjs.name, receiver.url, [c.DOCUMENT_VERIFIED, c.WORKER_DEPARTED], "desk-admin"
    )
    for worker in ("w-a", "w-b"):
        for sequence in (1, 2, 3):
            publish(rabbit_config["AMQP_URI"], verified(worker, sequence))
    wait_for(
        lambda: len(log_of(webhook_handlers, endpoint)) == 6 and len(receiver.requests) >= 2,
        message="six events queued, the first refused",
    )
    failing["until"] = len(receiver.requests) + 2  # two more refusals, then it answers

    wait_for(lambda: len(receiver.accepted()) >= 6, message="six events accepted")
    accepted = receiver.accepted()
    for worker in ("w-a", "w-b"):
        assert [e["workersequence"] for e in accepted if e["subject"] == worker] == [1, 2, 3]
    log = wait_for(
        lambda: delivered(webhook_handlers, endpoint, 6), message="all six delivered in the log"
    )
    failures = [a for d in log for a in d["attempts"] if a["status"] == 503]
    assert len(failures) == failing["until"] and all(a["error"] == "HTTP 503" for a in failures)


def test_a_receiver_back_after_an_outage_loses_nothing_and_keeps_the_order(
    agencies_service, agencies, webhook_handlers, receivers, rabbit_config
):  # noqa: F811
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED])
    first = receivers()
    port, url = first.port, first.url
    first.close()  # the agency's system is down: connections are refused
    endpoint, _ = webhook_handlers.add(bpjs.name, url, [c.DOCUMENT_VERIFIED], "desk-admin")
    for sequence in range(1, 6):
        publish(rabbit_config["AMQP_URI"], verified("w-out", sequence))
    wait_for(
        lambda: (
            len(log_of(webhook_handlers, endpoint)) == 5
            and any(d["attempts"] for d in log_of(webhook_handlers, endpoint))
        ),
        message="five events queued, attempts while the receiver is down",
    )

    back = receivers(port=port)

    wait_for(lambda: len(back.accepted()) >= 5, message="every event after the outage")
    assert [e["workersequence"] for e in back.accepted()] == [1, 2, 3, 4, 5]
    refused = [
        a for d in log_of(webhook_handlers, endpoint) for a in d["attempts"] if a["status"] is None
    ]
    assert refused and all("ConnectionError" in a["error"] for a in refused)


def test_a_hanging_endpoint_does_not_hold_back_another(
    container_factory,
    agencies_config,
    agencies,
    webhook_handlers,
    receivers,  # noqa: F811
    rabbit_config,
):
    agencies_service = container_factory(AgenciesService, agencies_config(WEBHOOK_TIMEOUT="1"))
    agencies_service.start()
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED])
    imigrasi = agencies.onboard("imigrasi", [c.DOCUMENT_VERIFIED])
    dead = receivers(answer=lambda n, body: HANG)
    alive = receivers()
    stuck, _ = webhook_handlers.add(bpjs.name, dead.url, [c.DOCUMENT_VERIFIED], "desk-admin")
    webhook_handlers.add(imigrasi.name, alive.url, [c.DOCUMENT_VERIFIED], "desk-admin")
    for n in range(12):
        publish(rabbit_config["AMQP_URI"], verified(f"w-{n}", 1))

    wait_for(lambda: len(alive.accepted()) >= 12, message="all twelve at the live endpoint")
    timed_out = wait_for(
        lambda: [a for d in log_of(webhook_handlers, stuck) for a in d["attempts"]],
        message="the hanging endpoint's attempts",
    )
    assert all(a["error"] == "no answer within 1s" for a in timed_out)
    assert not [d for d in log_of(webhook_handlers, stuck) if d["state"] == domain.DELIVERED]


def test_a_slow_receiver_still_gets_its_events(
    agencies_service, agencies, webhook_handlers, receivers, rabbit_config
):  # noqa: F811
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED])
    slow = receivers(delay=0.5)
    endpoint, _ = webhook_handlers.add(bpjs.name, slow.url, [c.DOCUMENT_VERIFIED], "desk-admin")
    for worker in ("w-slow-1", "w-slow-2"):
        publish(rabbit_config["AMQP_URI"], verified(worker, 1))

    wait_for(lambda: len(slow.accepted()) >= 2, message="both events")
    assert {e["subject"] for e in slow.accepted()} == {"w-slow-1", "w-slow-2"}
    wait_for(lambda: delivered(webhook_handlers, endpoint, 2), message="both delivered")


def test_410_disables_the_endpoint_and_what_waits_is_kept_until_it_is_enabled(
    agencies_service, agencies, webhook_handlers, receivers, rabbit_config
):  # noqa: F811
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED])
    gone = receivers(answer=lambda n, body: 410 if n == 0 else 200)
    endpoint, _ = webhook_handlers.add(bpjs.name, gone.url, [c.DOCUMENT_VERIFIED], "desk-admin")
    publish(rabbit_config["AMQP_URI"], verified("w-410", 1))

    disabled = wait_for(
        lambda: (
            not webhook_handlers.endpoints.get(endpoint.id).enabled
            and webhook_handlers.endpoints.get(endpoint.id)
        ),
        message="disabled by 410",
    )
    assert "410" in disabled.disabled_reason
    assert [d["state"] for d in log_of(webhook_handlers, endpoint)] == [domain.PENDING]

    webhook_handlers.enable(endpoint.id, "desk-admin")
    wait_for(lambda: gone.accepted(), message="delivered once enabled")
    assert [e["workersequence"] for e in gone.accepted()] == [1]


def test_an_endpoint_failing_longer_than_allowed_is_disabled(
    container_factory,
    agencies_config,
    agencies,
    webhook_handlers,
    receivers,  # noqa: F811
    rabbit_config,
):
    agencies_service = container_factory(
        AgenciesService, agencies_config(WEBHOOK_DISABLE_AFTER="0.3")
    )
    agencies_service.start()
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED])
    broken = receivers(answer=lambda n, body: 500)
    endpoint, _ = webhook_handlers.add(bpjs.name, broken.url, [c.DOCUMENT_VERIFIED], "desk-admin")
    publish(rabbit_config["AMQP_URI"], verified("w-500", 1))

    disabled = wait_for(
        lambda: (
            not webhook_handlers.endpoints.get(endpoint.id).enabled
            and webhook_handlers.endpoints.get(endpoint.id)
        ),
        message="disabled for failing",
    )
    assert disabled.disabled_reason.startswith("every attempt failed from")
    assert len(broken.requests) >= 2  # retried before it was given up on


def test_during_a_rotation_both_secrets_sign_and_the_old_one_then_stops(
    agencies_service, agencies, webhook_handlers, receivers, rabbit_config
):  # noqa: F811
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED])
    receiver = receivers()
    endpoint, old = webhook_handlers.add(
        bpjs.name, receiver.url, [c.DOCUMENT_VERIFIED], "desk-admin"
    )
    _, new = webhook_handlers.rotate(endpoint.id, "desk-admin", keep_old_for=dt.timedelta(hours=1))
    publish(rabbit_config["AMQP_URI"], verified("w-rot", 1))
    [(headers, body, _)] = wait_for(lambda: receiver.requests, message="a webhook")
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(body, headers)

    _, newest = webhook_handlers.rotate(endpoint.id, "desk-admin", keep_old_for=dt.timedelta(0))
    publish(rabbit_config["AMQP_URI"], verified("w-rot", 2))
    wait_for(lambda: len(receiver.requests) >= 2, message="a second webhook")
    headers, body, _ = receiver.requests[1]
    Webhook(newest).verify(body, headers)
    for retired in (old, new):
        with pytest.raises(Exception, match="No matching signature"):
            Webhook(retired).verify(body, headers)


def test_a_delivery_and_a_time_range_can_be_replayed_through_the_same_path(
    agencies_service, agencies, webhook_handlers, receivers, rabbit_config
):  # noqa: F811
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED])
    receiver = receivers()
    endpoint, _ = webhook_handlers.add(bpjs.name, receiver.url, [c.DOCUMENT_VERIFIED], "desk-admin")
    for sequence in (1, 2):
        publish(rabbit_config["AMQP_URI"], verified("w-re", sequence))
    first = wait_for(lambda: delivered(webhook_handlers, endpoint, 2), message="two delivered")[-1]

    assert webhook_handlers.replay(endpoint.id, delivery_id=first["id"]) == 1
    wait_for(lambda: len(receiver.accepted()) >= 3, message="the replay")
    assert receiver.accepted()[2]["id"] == first["event_id"]  # the same id: receivers dedupe
    # the receiver has it before the dispatcher records the answer: a range replays only
    # finished deliveries, so wait for the log to say so
    wait_for(
        lambda: delivered(webhook_handlers, endpoint, 3), message="the replay recorded as delivered"
    )

    since = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat()
    assert webhook_handlers.replay(endpoint.id, since=since) == 3  # both, and the replay itself
    log = wait_for(lambda: delivered(webhook_handlers, endpoint, 6), message="the range replayed")
    assert len(receiver.accepted()) == 6
    assert len([d for d in log if d["replay_of"]]) == 4
    assert json.dumps(log_of(webhook_handlers, endpoint)).count('"status": 200') == 6


def test_over_the_api_the_admin_manages_endpoints_and_an_agency_reads_only_its_own_log(
    container_factory,
    config_for,
    agencies_service,
    agencies,
    receivers,  # noqa: F811
    rabbit_config,
):
    api = start_stack(
        container_factory, config_for, services=(), WEBHOOK_ALLOWED_TARGETS="127.0.0.1"
    )
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED])
    other = agencies.onboard("imigrasi", [c.DOCUMENT_VERIFIED])
    receiver = receivers()
    admin = api.as_role("admin")
    own = api.as_role("agency", "bpjs-system", agency=bpjs.name)

    refused = admin.post(
        f"/agencies/{bpjs.name}/webhooks",
        json={"url": receiver.url, "events": [c.WORKER_REGISTERED]},
    )
    assert refused.status_code == 422 and "not granted" in refused.text
    assert (
        own.post(
            f"/agencies/{bpjs.name}/webhooks",
            json={"url": receiver.url, "events": [c.DOCUMENT_VERIFIED]},
        ).status_code
        == 403
    )
    added = admin.post(
        f"/agencies/{bpjs.name}/webhooks",
        json={"url": receiver.url, "events": [c.DOCUMENT_VERIFIED], "description": "SIAP"},
    )
    assert added.status_code == 201, added.text
    endpoint = added.json()
    publish(rabbit_config["AMQP_URI"], verified("w-api", 1))
    [(headers, body, _)] = wait_for(lambda: receiver.requests, message="a webhook")
    Webhook(endpoint["secret"]).verify(body, headers)

    [listed] = own.get(f"/agencies/{bpjs.name}/webhooks").json()
    assert listed["id"] == endpoint["id"] and "secret" not in listed
    assert "whsec_" not in own.get(f"/agencies/{bpjs.name}/webhooks").text
    log = wait_for(
        lambda: (
            own.get(f"/webhooks/{endpoint['id']}/deliveries").json()["items"]
            and own.get(f"/webhooks/{endpoint['id']}/deliveries").json()
        ),
        message="the log over HTTP",
    )
    assert [a["status"] for a in log["items"][0]["attempts"]] == [200]
    stranger = api.as_role("agency", "imigrasi-system", agency=other.name)
    assert stranger.get(f"/webhooks/{endpoint['id']}/deliveries").status_code == 404
    assert stranger.get(f"/agencies/{bpjs.name}/webhooks").status_code == 404

    replayed = admin.post(
        f"/webhooks/{endpoint['id']}/replays", json={"delivery": log["items"][0]["id"]}
    )
    assert replayed.status_code == 202 and replayed.json() == {"queued": 1}
    wait_for(lambda: len(receiver.accepted()) == 2, message="the replay")
    rotated = admin.post(
        f"/webhooks/{endpoint['id']}/secret-rotation", json={"keep_old_for_hours": 0}
    ).json()
    assert rotated["secret"] != endpoint["secret"] and len(rotated["secrets"]) == 1
    disabled = admin.post(f"/webhooks/{endpoint['id']}/disabling", json={"reason": "moved"})
    assert disabled.json()["status"] == domain.DISABLED


def settled(webhook_handlers: WebhookHandlers, endpoint) -> dict[str, str]:
    return {d["event_type"]: d["state"] for d in log_of(webhook_handlers, endpoint)}


def test_what_waits_is_narrowed_to_what_the_agreement_grants_when_it_leaves(
    agencies_service, agencies, webhook_handlers, receivers, rabbit_config
):  # noqa: F811
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED, c.WORKER_DEPARTED])
    answer_from = {"n": float("inf")}  # the receiver refuses every request before the n-th
    receiver = receivers(answer=lambda n, body: 200 if n >= answer_from["n"] else 503)
    endpoint, _ = webhook_handlers.add(
        bpjs.name, receiver.url, [c.DOCUMENT_VERIFIED, c.WORKER_DEPARTED], "desk-admin"
    )
    publish(rabbit_config["AMQP_URI"], verified("w-narrow", 1))
    publish(rabbit_config["AMQP_URI"], departed("w-narrow", 2))
    wait_for(
        lambda: len(log_of(webhook_handlers, endpoint)) == 2 and receiver.requests,
        message="both queued, the first refused",
    )

    agencies.onboard(
        bpjs.name, [c.DOCUMENT_VERIFIED], fields=["document_verified:document_type"]
    )  # narrowed meanwhile
    # an attempt that read the agreement before the narrowing may be on its way: the receiver
    # refuses it too; the attempt after it (a worker's events leave one at a time, in order)
    # began once that one was refused, after the narrowing
    answer_from["n"] = len(receiver.requests) + 1

    [accepted] = wait_for(lambda: receiver.accepted(), message="the narrowed event")
    assert (accepted["type"], accepted["data"]) == (
        c.DOCUMENT_VERIFIED,
        {"document_type": "passport"},
    )
    states = wait_for(
        lambda: (
            domain.PENDING not in settled(webhook_handlers, endpoint).values()
            and settled(webhook_handlers, endpoint)
        ),
        message="both settled",
    )
    assert states == {c.DOCUMENT_VERIFIED: domain.DELIVERED, c.WORKER_DEPARTED: domain.WITHHELD}
    as_the_agency_reads = webhook_handlers.endpoints.deliveries(endpoint.id, withheld=False)[
        "items"
    ]
    assert [d["event_type"] for d in as_the_agency_reads] == [c.DOCUMENT_VERIFIED]


def test_operators_manage_endpoints_and_read_the_log_with_pmi(
    agencies_service,
    agencies,
    receivers,
    rabbit_config,
    database_urls,
    monkeypatch,  # noqa: F811
    capsys,
):
    monkeypatch.setenv("AGENCIES_DATABASE_URL", database_urls["agencies"])
    monkeypatch.setenv("WEBHOOK_ALLOWED_TARGETS", "127.0.0.1")
    monkeypatch.setenv(
        "WEBHOOK_SECRET_KEY", TEST_WEBHOOK_SECRET_KEY
    )  # as the agencies service opens them
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED])
    receiver = receivers(answer=lambda n, body: 503 if n == 0 else 200)

    def pmi(*argv) -> str:
        main(["agency", "webhook", *argv])
        return capsys.readouterr().out

    added = pmi("add", bpjs.name, receiver.url, "--events", c.DOCUMENT_VERIFIED, "--by", "ops")
    endpoint = added.split()[1]
    secret = added.split("signing secret (shown once): ")[1].strip()
    assert secret.startswith("whsec_") and secret not in pmi("list", bpjs.name)
    publish(rabbit_config["AMQP_URI"], verified("w-cli", 1))
    wait_for(lambda: receiver.accepted(), message="delivered after one refusal")
    headers, body, _ = receiver.requests[-1]
    Webhook(secret).verify(body, headers)

    log = wait_for(
        lambda: "delivered" in (out := pmi("deliveries", endpoint)) and out, message="the log"
    )
    with capsys.disabled():
        print(log)  # noqa: T201 - the excerpt the docs show (pytest -s)
    assert "  503  " in log and "HTTP 503" in log and "  200  " in log
    assert "new signing secret" in pmi("rotate-secret", endpoint, "--keep-old-for", "1")
    assert "old until" in pmi("list", bpjs.name)
    assert "disabled: moving" in pmi("disable", endpoint, "--reason", "moving") + pmi("list")
    with pytest.raises(SystemExit, match="does not grant"):
        pmi("add", bpjs.name, receiver.url, "--events", c.WORKER_REGISTERED)


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    agencies_service, agencies, webhook_handlers, receivers, rabbit_config
):  # noqa: F811
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED])
    receiver = receivers(answer=lambda n, body: 302 if n == 0 else 200)
    endpoint, _ = webhook_handlers.add(bpjs.name, receiver.url, [c.DOCUMENT_VERIFIED], "desk-admin")
    publish(rabbit_config["AMQP_URI"], verified("w-302", 1))

    [delivery] = wait_for(lambda: delivered(webhook_handlers, endpoint, 1), message="delivered")
    assert [a["status"] for a in delivery["attempts"]] == [302, 200]
    assert delivery["attempts"][0]["error"].startswith("redirect to")
    assert len(receiver.requests) == 2  # nothing else was called


def test_history_reaches_one_endpoint_through_the_agreement_and_nothing_else(
    registration, agencies_service, agencies, webhook_handlers, receivers
):  # noqa: F811
    bpjs = agencies.onboard(
        "bpjs",
        [c.WORKER_REGISTERED],
        placement_agency="PT Sinar Jaya",
        legal_basis="contract",
        fields=["worker_registered:full_name"],
    )
    own = register(registration, placement_agency="PT Sinar Jaya")
    register(registration, placement_agency="PT Lain Sekali")
    collect(agencies.uri(bpjs), bpjs.queue, 1)  # live: the queue had the own recruit's event
    receiver = receivers()
    endpoint, _ = webhook_handlers.add(bpjs.name, receiver.url, [c.WORKER_REGISTERED], "desk-admin")

    with entrypoint_hook(agencies_service, "backfill") as backfill:
        sent = backfill(
            bpjs.name,
            [c.WORKER_REGISTERED],
            dt.datetime.now(dt.UTC).date().isoformat(),
            endpoint.id,
        )

    assert sent == {c.REGISTRATION: 1}
    [event] = wait_for(lambda: receiver.accepted(), message="the history")
    assert (event["subject"], event["data"]) == (own["id"], {"full_name": own["full_name"]})
    assert drain_as(agencies.uri(bpjs), bpjs.queue) == []  # the queue got nothing again


def test_a_request_goes_to_the_address_that_was_checked_under_the_urls_host_name(receivers):
    receiver = receivers()
    policy = domain.TargetPolicy(
        allowed_hosts=frozenset({"siap.bpjs.test"}), resolver=lambda host, port: ["127.0.0.1"]
    )
    dispatcher = WebhookDispatcher(
        WebhookRepository(None, SEALER), AgreementRepository(None), WebhookSettings(targets=policy)
    )  # no database: send only
    endpoint = domain.Endpoint(
        "e",
        "bpjs",
        f"http://siap.bpjs.test:{receiver.port}/hooks?v=1",
        (c.DOCUMENT_VERIFIED,),
        (domain.Secret(SEALER.seal(domain.new_secret())),),
    )
    event = verified("w-pin", 1)

    answer = dispatcher.send(endpoint, {**event, "actor": None}, dt.datetime.now(dt.UTC))

    assert (answer.status, answer.error) == (200, None)
    [(headers, body, _)] = receiver.requests
    assert headers["host"] == f"siap.bpjs.test:{receiver.port}"
    assert json.loads(body)["id"] == event["event_id"]


def test_a_target_reached_through_nat64_or_6to4_is_refused_before_any_connection(receivers):
    receiver = receivers()
    asked = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return {
            "nat64.agency.test": ["64:ff9b::a9fe:a9fe"],
            "sixtofour.agency.test": ["2002:7f00:1::"],
        }[host]

    dispatcher = WebhookDispatcher(
        WebhookRepository(None, SEALER),
        AgreementRepository(None),
        WebhookSettings(targets=domain.TargetPolicy(resolver=resolver)),
    )  # no database: send only
    for host, inside in (
        ("nat64.agency.test", "169.254.169.254"),
        ("sixtofour.agency.test", "127.0.0.1"),
    ):
        endpoint = domain.Endpoint(
            "e",
            "bpjs",
            f"https://{host}:{receiver.port}/hooks",
            (c.DOCUMENT_VERIFIED,),
            (domain.Secret(SEALER.seal(domain.new_secret())),),
        )

        answer = dispatcher.send(endpoint, verified("w-1", 1), dt.datetime.now(dt.UTC))

        assert answer.status is None and f"carries {inside}" in answer.error
    assert asked == ["nat64.agency.test", "sixtofour.agency.test"]
    assert receiver.requests == [] and not dispatcher.pools.pools  # no pool, no connection


def read_cloud_event(uri: str, queue: str):
    """One message of the agency's queue, as its own consumer reads it: the AMQP 0-9-1 message
    handed to the CloudEvents SDK's AMQP binding (content type, headers as the
    application-properties, body as the application data)."""
    with Connection(uri) as connection:
        message = wait_for(
            lambda: connection.channel().basic_get(queue, no_ack=True),
            message=f"a message in {queue}",
        )
    headers = message.headers or {}
    event = from_amqp(
        AMQPMessage({"content-type": message.content_type}, headers, message.body), JSONFormat()
    )
    return event, message


@pytest.mark.parametrize("queue_format", [BINARY, STRUCTURED])
def test_an_agency_reads_from_its_queue_the_same_cloud_event_as_its_webhook_and_no_more(
    queue_format, agencies_service, agencies, webhook_handlers, receivers, rabbit_config
):  # noqa: F811
    bpjs = agencies.onboard(
        "bpjs", [c.DOCUMENT_VERIFIED], fields=["document_verified:document_type"]
    )
    webhook_handlers.change_settings(bpjs.name, "desk-admin", queue_format=queue_format)
    receiver = receivers()
    webhook_handlers.add(bpjs.name, receiver.url, [c.DOCUMENT_VERIFIED], "desk-admin")
    event = verified("w-ce", sequence=4)

    publish(rabbit_config["AMQP_URI"], event)

    [(headers, body, _)] = wait_for(lambda: receiver.requests, message="the webhook")
    by_webhook = from_http(HTTPMessage(headers, body), JSONFormat())
    by_queue, message = read_cloud_event(agencies.uri(bpjs), bpjs.queue)
    assert by_queue.get_attributes() == by_webhook.get_attributes()
    assert by_queue.get_data() == by_webhook.get_data() == {"document_type": "passport"}
    assert by_queue.get_id() == event["event_id"] and by_queue.get_subject() == "w-ce"
    assert by_queue.get_attributes()["workersequence"] == 4
    assert by_queue.get_time().isoformat() == event["occurred_at"]  # to the microsecond
    assert message.properties["message_id"] == event["event_id"]
    if queue_format == BINARY:
        assert message.content_type == "application/json"
        assert json.loads(message.body) == {"document_type": "passport"}
        # every attribute, and nothing else but what the broker adds (x-delivery-count)
        assert [n for n in message.headers if not n.startswith(("cloudEvents_", "x-"))] == []
        assert message.headers["cloudEvents_type"] == c.DOCUMENT_VERIFIED
    else:
        assert message.content_type == "application/cloudevents+json"
        assert message.body == body  # byte for byte the webhook's body
        assert [n for n in message.headers or {} if not n.startswith("x-")] == []


def test_an_agency_changes_its_queue_format_with_pmi_and_over_the_api(
    container_factory,
    config_for,
    agencies_service,
    agencies,
    rabbit_config,  # noqa: F811
    database_urls,
    monkeypatch,
    capsys,
):
    monkeypatch.setenv("AGENCIES_DATABASE_URL", database_urls["agencies"])
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED])
    other = agencies.onboard("imigrasi", [c.DOCUMENT_VERIFIED])
    main(
        [
            "agency",
            "settings",
            bpjs.name,
            "--queue-format",
            BINARY,
            "--contact-email",
            "integrasi@bpjs.example",
            "--by",
            "ops",
        ]
    )
    assert (
        "queue format cloudevents-binary; contact e-mail integrasi@bpjs.example"
        in capsys.readouterr().out
    )
    with pytest.raises(SystemExit, match="invalid contact e-mail"):
        main(["agency", "settings", bpjs.name, "--contact-email", "not an address"])
    publish(rabbit_config["AMQP_URI"], verified("w-fmt", 1))
    event, message = read_cloud_event(agencies.uri(bpjs), bpjs.queue)
    assert message.headers["cloudEvents_subject"] == "w-fmt"

    api = start_stack(container_factory, config_for, services=())
    admin = api.as_role("admin")
    own = api.as_role("agency", "bpjs-system", agency=bpjs.name)
    assert own.get(f"/agencies/{bpjs.name}/settings").json() == {
        "agency": bpjs.name,
        "queue_format": BINARY,
        "contact_email": "integrasi@bpjs.example",
    }
    assert (
        own.patch(f"/agencies/{bpjs.name}/settings", json={"queue_format": STRUCTURED}).status_code
        == 403
    )
    stranger = api.as_role("agency", "imigrasi-system", agency=other.name)
    assert stranger.get(f"/agencies/{bpjs.name}/settings").status_code == 404
    refused = admin.patch(f"/agencies/{bpjs.name}/settings", json={"queue_format": "xml"})
    assert refused.status_code == 422
    changed = admin.patch(
        f"/agencies/{bpjs.name}/settings", json={"queue_format": STRUCTURED, "contact_email": None}
    )
    assert changed.json() == {
        "agency": bpjs.name,
        "queue_format": STRUCTURED,
        "contact_email": None,
    }
    assert (
        admin.patch("/agencies/nobody/settings", json={"queue_format": STRUCTURED}).status_code
        == 404
    )
    publish(rabbit_config["AMQP_URI"], verified("w-fmt", 2))
    event, message = wait_for(
        lambda: (
            (found := read_cloud_event(agencies.uri(bpjs), bpjs.queue))[1].content_type
            == "application/cloudevents+json"
            and found
        ),
        message="the structured form",
    )
    assert event.get_attributes()["workersequence"] == 2


@pytest.fixture
def mail_servers(tmp_path):
    started: list[MailServer] = []

    def make(port: int | None = None) -> MailServer:
        started.append(MailServer(tmp_path / f"maildir-{len(started)}", port))
        return started[-1]

    yield make
    for server in started:
        server.stop()


def notices_of(database_url: str) -> list[dict]:
    engine = create_engine(database_url)
    try:
        return NoticeRepository(engine).recent()
    finally:
        engine.dispose()


def test_an_endpoint_the_platform_disables_is_told_to_the_agency_and_operators_by_mail(
    container_factory,
    agencies_config,
    agencies,
    webhook_handlers,
    receivers,
    mail_servers,  # noqa: F811
    rabbit_config,
    database_urls,
):
    mail = mail_servers()  # not started yet: the mail server is down when the notice is due
    agencies_service = container_factory(
        AgenciesService,
        agencies_config(
            SMTP_URL=mail.url,
            NOTICE_OPERATORS="ops@ltsa-blitar.example",
            NOTICE_FROM="pmi@ltsa-blitar.example",
            NOTICE_RETRY_SECONDS="0.2",
        ),
    )
    agencies_service.start()
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED])
    webhook_handlers.change_settings(
        bpjs.name, "desk-admin", contact_email="integrasi@bpjs.example"
    )
    gone = receivers(answer=lambda n, body: 410)
    endpoint, _ = webhook_handlers.add(
        bpjs.name, gone.url + "?token=abc", [c.DOCUMENT_VERIFIED], "desk-admin", description="SIAP"
    )
    publish(rabbit_config["AMQP_URI"], verified("w-notice", 1))

    [notice] = wait_for(
        lambda: [n for n in notices_of(database_urls["agencies"]) if n["attempts"] >= 2],
        message="mailing tried, and failed",
    )
    assert notice["state"] == "pending" and "Connection" in notice["last_error"]
    assert (notice["agency"], notice["endpoint_id"]) == (bpjs.name, endpoint.id)
    assert not webhook_handlers.endpoints.get(endpoint.id).enabled

    mail.start()

    [sent] = wait_for(mail.messages, message="the notice mailed once the server answers")
    assert sent["From"] == "pmi@ltsa-blitar.example"
    assert sorted(sent["To"].split(", ")) == ["integrasi@bpjs.example", "ops@ltsa-blitar.example"]
    text = sent.get_payload()
    assert endpoint.id in text and "410" in text and "SIAP" in text
    assert "token=abc" not in text  # a URL's query may hold a receiver's token
    [notice] = wait_for(
        lambda: [n for n in notices_of(database_urls["agencies"]) if n["state"] == "mailed"],
        message="recorded as mailed",
    )
    assert notice["mailed_at"] and notice["attempts"] >= 3
    assert len(mail.messages()) == 1  # mailed once


def test_an_endpoint_is_edited_in_place_and_keeps_its_log_secrets_and_what_waits(
    container_factory,
    config_for,
    agencies_service,
    agencies,
    webhook_handlers,
    receivers,  # noqa: F811
    rabbit_config,
    database_urls,
    monkeypatch,
    capsys,
):
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED, c.WORKER_DEPARTED])
    old = receivers(answer=lambda n, body: 503 if n >= 1 else 200)
    endpoint, secret = webhook_handlers.add(bpjs.name, old.url, [c.DOCUMENT_VERIFIED], "desk-admin")
    publish(rabbit_config["AMQP_URI"], verified("w-edit", 1))
    publish(rabbit_config["AMQP_URI"], verified("w-edit", 2))  # refused by the old receiver
    wait_for(lambda: len(old.requests) >= 2, message="the second refused")
    new = receivers()

    with pytest.raises(InvalidInput, match="does not grant"):
        webhook_handlers.edit(endpoint.id, "desk-admin", events=[c.WORKER_REGISTERED])
    with pytest.raises(InvalidInput, match="URL refused"):
        webhook_handlers.edit(endpoint.id, "desk-admin", url="http://10.0.0.8/hooks")
    assert webhook_handlers.endpoints.get(endpoint.id).url == old.url  # bad input changed nothing
    edited = webhook_handlers.edit(
        endpoint.id,
        "desk-admin",
        url=new.url,
        events=[c.DOCUMENT_VERIFIED, c.WORKER_DEPARTED],
        description="v2",
    )

    assert (edited.id, edited.url, edited.description) == (endpoint.id, new.url, "v2")
    [(headers, body, _)] = wait_for(lambda: new.requests, message="what waited, at the new URL")
    Webhook(secret).verify(body, headers)  # the same secret signs
    assert json.loads(body)["workersequence"] == 2
    # the agencies service reads the endpoints again every second: a type the edit added is
    # wanted from the moment it has read them, and an event published before then is not sent
    wait_for(
        lambda: wanted_by(agencies_service, endpoint.id, c.WORKER_DEPARTED),
        message="the agencies service knows the edit",
    )
    publish(rabbit_config["AMQP_URI"], departed("w-edit", 3))
    wait_for(lambda: len(new.accepted()) == 2, message="a newly wanted type")
    log = wait_for(lambda: delivered(webhook_handlers, endpoint, 3), message="one log, all three")
    assert [d["event_type"] for d in log][::-1] == [
        c.DOCUMENT_VERIFIED,
        c.DOCUMENT_VERIFIED,
        c.WORKER_DEPARTED,
    ]

    monkeypatch.setenv("AGENCIES_DATABASE_URL", database_urls["agencies"])
    monkeypatch.setenv("WEBHOOK_ALLOWED_TARGETS", "127.0.0.1")
    main(["agency", "webhook", "edit", endpoint.id, "--description", "SIAP v3"])
    assert f"endpoint {endpoint.id} of {bpjs.name}: {new.url}" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="nothing to change"):
        main(["agency", "webhook", "edit", endpoint.id])
    api = start_stack(
        container_factory, config_for, services=(), WEBHOOK_ALLOWED_TARGETS="127.0.0.1"
    )
    admin = api.as_role("admin")
    refused = admin.patch(f"/webhooks/{endpoint.id}", json={"url": "ftp://x.example/h"})
    assert refused.status_code == 422 and "url" in refused.json()["errors"]
    changed = admin.patch(f"/webhooks/{endpoint.id}", json={"events": [c.WORKER_DEPARTED]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["event_types"] == [c.WORKER_DEPARTED]
    assert changed.json()["description"] == "SIAP v3"
    own = api.as_role("agency", "bpjs-system", agency=bpjs.name)
    assert own.patch(f"/webhooks/{endpoint.id}", json={"description": "x"}).status_code == 403
