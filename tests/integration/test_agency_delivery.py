"""Agencies receive only what their agreement grants, through the agencies service, on the real
broker.

The agency's side is a plain kombu client with the agency's own credentials, as its own system
would be: it receives only granted event types, only granted fields, for a placement company
only its own recruits; history comes through the same filter; each delivery is recorded.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
from kombu import Connection
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, insert

from pmi_common import contract as c
from pmi_common.published import PUBLISHED, pseudonym
from services.agencies.repository import AgenciesRepository
from services.agencies.service import AgenciesService
from services.registration.models import metadata as registration_metadata
from services.registration.service import RegistrationService
from tests.events import envelope, publish
from tests.helpers import wait_for, worker_payload
from tests.integration.test_agencies import agencies  # noqa: F401 - the fixture
from tests.integration.test_backfill import registration  # noqa: F401 - the fixture

KEY = "agencies-test-pseudonym-key-0123456789abcdef"
COMPANY = "PT Sinar Jaya"
VILLAGE = "35.05.12.2001"  # on the record: the planning office's, never an agency's


@pytest.fixture
def agencies_service(container_factory, config_for):
    container = container_factory(AgenciesService, config_for("agencies", PSEUDONYM_KEY=KEY))
    container.start()
    return container


def register(container, **overrides) -> dict:
    with entrypoint_hook(container, "register_worker") as hook:
        return hook(worker_payload(**overrides))


def drain_as(uri: str, queue: str) -> list[dict]:
    with Connection(uri) as connection:
        channel = connection.channel()
        bodies = []
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
        return bodies


def collect(uri: str, queue: str, count: int) -> list[dict]:
    """What the agency's queue holds once ``count`` events arrived (and a moment for more)."""
    received: list[dict] = []
    wait_for(
        lambda: received.extend(drain_as(uri, queue)) or len(received) >= count,
        message=f"{count} events in {queue}",
    )
    return received


def verified(worker_id: str, sequence: int = 5) -> dict:
    return envelope(
        c.DOCUMENT_VERIFIED,
        worker_id,
        {
            "document_id": "d-1",
            "document_type": "passport",
            "checklist_complete": False,
            "expires_on": "2031-01-09",
        },
        sequence=sequence,
        actor={"role": "verifier", "agency": "ltsa-blitar", "subject": "verifier-siti"},
    )


def test_each_agency_receives_only_granted_types_and_fields_and_a_company_only_its_recruits(
    registration, agencies_service, agencies, rabbit_config, database_urls
):  # noqa: F811
    bpjs = agencies.onboard(
        "bpjs", [c.WORKER_REGISTERED, c.WORKER_DEPARTED], fields=["worker_registered:full_name,sex"]
    )
    company = agencies.onboard(
        "sinar-jaya",
        [c.WORKER_REGISTERED, c.DOCUMENT_VERIFIED],
        placement_agency=COMPANY,
        legal_basis="contract",
    )
    home = {"village": "Kademangan", "village_code": VILLAGE, "regency": "Blitar"}
    own = register(registration, placement_agency=COMPANY, address=home)
    other = register(registration, placement_agency="PT Lain Sekali")
    for worker in (own, other):
        publish(rabbit_config["AMQP_URI"], verified(worker["id"]))

    to_company = collect(agencies.uri(company), company.queue, 2)
    to_bpjs = collect(agencies.uri(bpjs), bpjs.queue, 2)

    assert sorted((e["event_type"], e["worker_id"]) for e in to_company) == sorted(
        [(c.WORKER_REGISTERED, own["id"]), (c.DOCUMENT_VERIFIED, own["id"])]
    )
    assert sorted((e["event_type"], e["worker_id"]) for e in to_bpjs) == sorted(
        [(c.WORKER_REGISTERED, own["id"]), (c.WORKER_REGISTERED, other["id"])]
    )
    assert all(set(e["data"]) == {"full_name", "sex"} for e in to_bpjs)
    for event in to_company + to_bpjs:
        text = json.dumps(event)
        assert "nik" not in text and not re.search(r"\d{16}", text)
    # registration announces version 2 (birth year, village): the agency receives version 1
    [registered] = [e for e in to_company if e["event_type"] == c.WORKER_REGISTERED]
    assert registered["event_version"] == 1
    assert set(registered["data"]) == set(PUBLISHED[c.WORKER_REGISTERED].fields)
    assert {"birth_year", "village_code"}.isdisjoint(registered["data"])
    assert VILLAGE not in json.dumps(registered)
    [document] = [e for e in to_company if e["event_type"] == c.DOCUMENT_VERIFIED]
    assert document["actor"]["subject"] == pseudonym("verifier-siti", KEY)

    engine = create_engine(database_urls["agencies"])
    with engine.connect() as conn:
        record = wait_for(
            lambda: (
                len(AgenciesRepository(conn).disclosures_of(own["id"])["items"]) >= 3
                and AgenciesRepository(conn).disclosures_of(own["id"])
            ),
            message="disclosures",
        )
        others = AgenciesRepository(conn).disclosures_of(other["id"])["items"]
    engine.dispose()
    assert sorted((d["agency"], d["what"]) for d in record["items"]) == sorted(
        [
            (bpjs.name, c.WORKER_REGISTERED),
            (company.name, c.WORKER_REGISTERED),
            (company.name, c.DOCUMENT_VERIFIED),
        ]
    )
    assert {tuple(d["fields"]) for d in record["items"] if d["agency"] == bpjs.name} == {
        ("full_name", "sex")
    }
    assert [d["agency"] for d in others] == [bpjs.name]


def test_nothing_reaches_an_agency_whose_agreement_ended(
    registration, agencies_service, agencies, rabbit_config
):  # noqa: F811
    ended = agencies.onboard(
        "ended",
        [c.WORKER_REGISTERED, c.DOCUMENT_VERIFIED],
        valid_from="2025-01-01",
        valid_until="2025-12-31",
    )
    live = agencies.onboard("live", [c.DOCUMENT_VERIFIED])
    worker = register(registration)
    publish(rabbit_config["AMQP_URI"], verified(worker["id"]))

    collect(agencies.uri(live), live.queue, 1)  # the agencies service has handled the event
    assert drain_as(agencies.uri(ended), ended.queue) == []


def test_history_reaches_a_late_agency_through_its_agreement_only(
    registration, agencies_service, agencies, rabbit_config
):  # noqa: F811
    early = agencies.onboard("early", [c.WORKER_REGISTERED])
    home = {"village": "Kademangan", "village_code": VILLAGE, "regency": "Blitar"}
    own = register(registration, placement_agency=COMPANY, address=home)
    other = register(registration, placement_agency="PT Lain Sekali")
    collect(
        agencies.uri(early), early.queue, 2
    )  # both registrations went through the agencies service
    late = agencies.onboard(
        "late",
        [c.WORKER_REGISTERED, c.WORKER_STATUS_CHANGED],
        placement_agency=COMPANY,
        legal_basis="contract",
        fields=["worker_registered:full_name"],
    )

    today = dt.datetime.now(dt.UTC).date().isoformat()
    sent = agencies.registry.backfill(
        late.name, [c.WORKER_REGISTERED, c.WORKER_STATUS_CHANGED], today
    )

    assert sent == {c.REGISTRATION: 2}  # own recruit's registration and status change
    history = collect(agencies.uri(late), late.queue, 2)
    assert [(e["worker_id"], e["event_type"]) for e in history] == [
        (own["id"], c.WORKER_REGISTERED),
        (own["id"], c.WORKER_STATUS_CHANGED),
    ]
    assert history[0]["data"] == {"full_name": own["full_name"]}
    assert history[0]["event_version"] == 1  # registration's version 2, as published
    assert drain_as(agencies.uri(early), early.queue) == []  # nobody else got it again
    assert other["id"] not in json.dumps(history)


def test_a_registration_of_version_1_in_the_history_is_backfilled_as_today_s_are(
    registration, agencies_service, agencies, database_urls
):  # noqa: F811
    today_s = register(registration)
    worker_id = str(uuid.uuid4())  # registered before version 2: in the outbox as it was then
    before = {
        "nik_masked": "350512******0042",
        "nik_digest": "d" * 64,
        "full_name": "Sri Wahyuni",
        "sex": "F",
        "regency": "Blitar",
        "destination_country": "TW",
        "occupation": "caregiver",
        "placement_agency": COMPANY,
        "cycle": 1,
    }
    old = envelope(c.WORKER_REGISTERED, worker_id, before, version=1)
    engine = create_engine(database_urls["registration"])
    with engine.begin() as conn:
        conn.execute(
            insert(registration_metadata.tables["outbox"]),
            {
                **{key: old[key] for key in ("event_id", "event_type", "event_version")},
                **{"worker_id": worker_id, "stream_id": worker_id, "sequence": 1},
                "occurred_at": dt.datetime.fromisoformat(old["occurred_at"]),
                "envelope": old,
                "published_at": dt.datetime.now(dt.UTC),
            },
        )
    engine.dispose()
    late = agencies.onboard("late", [c.WORKER_REGISTERED], fields=["worker_registered:sex,cycle"])

    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert agencies.registry.backfill(late.name, [c.WORKER_REGISTERED], today) == {
        c.REGISTRATION: 2
    }
    history = collect(agencies.uri(late), late.queue, 2)
    assert sorted((e["worker_id"], e["event_version"], e["data"]["cycle"]) for e in history) == (
        sorted([(worker_id, 1, 1), (today_s["id"], 1, 1)])
    )
    assert all(set(e["data"]) == {"sex", "cycle"} for e in history)


def published(event_id: str, event_type: str, data: dict) -> dict:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "event_version": 1,
        "correlation_id": "c-1",
        "worker_id": "w-1",
        "data": data,
    }


def test_an_agreement_narrowed_while_events_wait_applies_to_them(
    registration, agencies, rabbit_config, database_urls
):  # noqa: F811
    from services.agencies.agreement_repository import AgreementRepository
    from services.agencies.delivery import DeliveryRelay
    from services.agencies.models import agency_deliveries

    bpjs = agencies.onboard("bpjs", [c.WORKER_REGISTERED, c.WORKER_DEPARTED])
    engine = create_engine(database_urls["agencies"])
    queued = {"agency": bpjs.name, "worker_id": "w-1", "created_at": dt.datetime.now(dt.UTC)}
    with engine.begin() as conn:  # as the agencies service queued them under the first agreement
        conn.execute(
            agency_deliveries.insert(),
            [
                {
                    **queued,
                    "event_id": "e-1",
                    "event_type": c.WORKER_REGISTERED,
                    "envelope": published(
                        "e-1", c.WORKER_REGISTERED, {"full_name": "Siti", "sex": "F"}
                    ),
                },
                {
                    **queued,
                    "event_id": "e-2",
                    "event_type": c.WORKER_DEPARTED,
                    "envelope": published("e-2", c.WORKER_DEPARTED, {"employer": "Chan Tai Man"}),
                },
            ],
        )
    agencies.onboard(bpjs.name, [c.WORKER_REGISTERED], fields=["worker_registered:sex"])

    relay = DeliveryRelay(engine, rabbit_config["AMQP_URI"], AgreementRepository(engine))
    assert relay.deliver_round() == 1
    relay.publisher.close()

    assert [(e["event_id"], e["data"]) for e in drain_as(agencies.uri(bpjs), bpjs.queue)] == [
        ("e-1", {"sex": "F"})
    ]
    with engine.connect() as conn:
        assert [
            (d["what"], d["fields"])
            for d in AgenciesRepository(conn).disclosures_of("w-1")["items"]
        ] == [(c.WORKER_REGISTERED, ["sex"])]
        assert conn.execute(agency_deliveries.select()).all() == []
    engine.dispose()


@pytest.fixture
def own_users(private_servers, rabbit_config):
    """Registration and the agencies service each as its own broker user, as in production."""
    from pmi_common.management import Management
    from pmi_tools.broker_setup import provision
    from tests.integration.test_broker_users import BrokerUsers

    management = Management(private_servers.broker.management_url)
    suffix = uuid.uuid4().hex[:6]
    users = {
        process: (f"pmi-{process}-{suffix}", uuid.uuid4().hex)
        for process in (c.REGISTRATION, c.AGENCIES)
    }
    provision(management, rabbit_config["vhost"], users)
    yield BrokerUsers(rabbit_config["AMQP_URI"], users)
    for user, _ in users.values():
        management.delete_user(user)


def test_the_agencies_delivers_with_its_own_broker_user(
    container_factory, config_for, own_users, agencies
):  # noqa: F811
    bpjs = agencies.onboard("bpjs", [c.WORKER_REGISTERED], fields=["worker_registered:full_name"])
    started = []
    for service, config in (
        (RegistrationService, config_for("registration")),
        (AgenciesService, config_for("agencies", PSEUDONYM_KEY=KEY)),
    ):
        started.append(
            container_factory(
                service,
                {
                    **config,
                    "AMQP_URI": own_users.uri(service.name),
                    "BROKER_USERS": own_users.mapping,
                },
            )
        )
        started[-1].start()

    worker = register(started[0])

    [event] = collect(agencies.uri(bpjs), bpjs.queue, 1)
    assert (event["worker_id"], event["data"]) == (worker["id"], {"full_name": worker["full_name"]})


def test_an_agency_receives_a_workers_events_in_the_order_they_were_published(
    registration, agencies_service, agencies, rabbit_config
):  # noqa: F811
    """Many events about one worker at once: the agencies service applies one batch at a time, so
    batches cannot commit out of order and the agency's queue holds them by sequence."""
    company = agencies.onboard(
        "sinar-jaya",
        [c.WORKER_REGISTERED, c.DOCUMENT_VERIFIED],
        placement_agency=COMPANY,
        legal_basis="contract",
    )
    worker = register(registration, placement_agency=COMPANY)
    for sequence in range(5, 125):
        publish(rabbit_config["AMQP_URI"], verified(worker["id"], sequence=sequence))

    received = [
        event
        for event in collect(agencies.uri(company), company.queue, 121)
        if event["event_type"] == c.DOCUMENT_VERIFIED
    ]

    assert [event["sequence"] for event in received] == list(range(5, 125))
