"""Onboarding partner agencies on the real broker: each has a data-sharing agreement (every change
recorded), reads only its own queue, and can bind, declare or publish nothing."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import amqp
import pytest
from kombu import Connection
from sqlalchemy import create_engine

from pmi_common import contract as c
from pmi_common.errors import InvalidInput, NotFound
from pmi_common.history import event_types_of
from pmi_common.management import Management
from pmi_common.published import PUBLISHED
from pmi_common.topology import declare_topology, inbox_queue
from pmi_tools.onboarding import Agencies, Terms, agency_amqp_uri, render_agency
from services.agencies.agreement_repository import AgreementRepository
from services.agencies.queues import agency_queue, agency_user, parked_queue
from tests.helpers import queue_depth

OPERATOR = "desk-admin-1"


def published_fields(events) -> list[str]:
    """``--fields`` naming every published field of each type but a family's personal and
    health data (onboarding grants nothing it is not told)."""
    return [
        f"{t}:{','.join(f for f in PUBLISHED[t].fields if f not in PUBLISHED[t].named_only)}"
        for t in events
        if t in PUBLISHED
    ]


def terms(events, **overrides) -> Terms:
    values = {
        "fields": published_fields(events),
        "purpose": "social security membership of departing workers",
        "legal_basis": "legal_obligation",
        "approved_by": "Kepala Disnaker Blitar",
    }
    values.update(overrides)
    return Terms(events=events, **values)


class OnboardedAgencies:
    """Onboards agencies with names unique to this run (users are broker-wide) on the test's
    virtual host, agreements in the test's gateway database; removes their users afterwards."""

    def __init__(self, management: Management, amqp_uri: str, database_url: str):
        self.management = management
        self.amqp_uri = amqp_uri
        self.engine = create_engine(database_url)
        self.registry = Agencies(management, amqp_uri, AgreementRepository(self.engine))
        self.names: list[str] = []

    def onboard(self, name: str, events, password: str | None = None, **overrides):
        """A new agency granted the fields named, and of a type not named what
        ``published_fields`` names; one onboarded again keeps its grants unless told."""
        unique = name if name in self.names else f"{name}-{uuid.uuid4().hex[:6]}"
        if unique in self.names:
            overrides.setdefault("fields", None)
        else:
            self.names.append(unique)
            given = overrides.get("fields") or []
            named = {grant.partition(":")[0] for grant in given}
            rest = [t for t in event_types_of(events) if t not in named]
            overrides["fields"] = [*given, *published_fields(rest)]
        return self.registry.onboard(unique, terms(events, **overrides), OPERATOR, password)

    def uri(self, subscription) -> str:
        return agency_amqp_uri(self.amqp_uri, subscription.name, subscription.password)

    def remove_all(self) -> None:
        for name in self.names:
            self.management.delete_user(agency_user(name))
        self.engine.dispose()


@pytest.fixture
def agencies(private_servers, rabbit_config, database_urls):
    declare_topology(rabbit_config["AMQP_URI"])  # the services' exchanges and inboxes exist
    management = Management(private_servers.broker.management_url)
    desk = OnboardedAgencies(management, rabbit_config["AMQP_URI"], database_urls["agencies"])
    yield desk
    desk.remove_all()


def take(uri: str, queue: str):
    with Connection(uri) as connection:
        return connection.channel().basic_get(queue, no_ack=True)


def refused(action) -> bool:
    """True when the broker refuses the action for lack of permission (403)."""
    try:
        action()
    except amqp.exceptions.AccessRefused:
        return True
    return False


def publish_as(uri: str, exchange: str, routing_key: str) -> None:
    with Connection(uri) as connection:
        channel = connection.channel()
        channel.basic_publish_confirm(
            amqp.Message(json.dumps({"forged": True})),
            exchange=exchange,
            routing_key=routing_key,
            confirm_timeout=10,
        )


def bind_as(uri: str, queue: str, exchange: str, routing_key: str = "#"):
    def action():
        with Connection(uri) as connection:
            connection.channel().queue_bind(queue, exchange, routing_key)

    return action


def declare_as(uri: str, queue: str):
    def action():
        with Connection(uri) as connection:
            connection.channel().queue_declare(queue, durable=True)

    return action


def test_an_agency_user_binds_declares_and_publishes_nothing_and_reads_only_its_queues(agencies):
    bpjs = agencies.onboard("bpjs", [c.WORKER_DEPARTED])
    imigrasi = agencies.onboard("imigrasi", [c.WORKER_DEPARTED, c.WORKER_RETURNED])
    as_bpjs = agencies.uri(bpjs)

    assert not refused(lambda: take(as_bpjs, bpjs.queue))
    assert not refused(lambda: take(as_bpjs, bpjs.parked_queue))
    for service in c.SERVICES:
        assert refused(bind_as(as_bpjs, bpjs.queue, c.exchange_name(service)))
        assert refused(bind_as(as_bpjs, bpjs.queue, c.exchange_name(service), c.WORKER_DEPARTED))
    assert refused(bind_as(as_bpjs, bpjs.queue, "amq.topic"))
    assert refused(bind_as(as_bpjs, imigrasi.queue, c.exchange_name(c.REGISTRATION)))
    assert refused(declare_as(as_bpjs, "bpjs-private"))
    assert refused(declare_as(as_bpjs, f"agency.{bpjs.name}.mine"))
    for queue in (imigrasi.queue, inbox_queue(c.REGISTRATION), inbox_queue(c.AGENCIES)):
        assert refused(lambda queue=queue: take(as_bpjs, queue))
    for exchange, key in (
        (c.exchange_name(c.REGISTRATION), c.WORKER_DEPARTED),
        ("", imigrasi.queue),
        ("", bpjs.queue),
    ):
        assert refused(lambda e=exchange, k=key: publish_as(as_bpjs, e, k))


def test_onboarding_records_the_agreement_and_every_change_with_who_and_when(agencies):
    first = agencies.onboard(
        "disnaker",
        [c.WORKER_REGISTERED, c.WORKER_RETURNED],
        fields=["worker_registered:full_name,regency", "worker_returned:returned_on"],
    )
    again = agencies.registry.onboard(
        first.name,
        terms(
            [c.WORKER_REGISTERED, c.DOCUMENT_VERIFIED],
            fields=["document_verified:document_type"],  # worker_registered's: kept
            valid_until="2027-12-31",
            approved_by="Sekda Kabupaten Blitar",
        ),
        "desk-admin-2",
    )

    agreement = again.agreement
    assert agreement.version == 2
    assert agreement.fields[c.WORKER_REGISTERED] == ("full_name", "regency")  # kept
    assert agreement.fields[c.DOCUMENT_VERIFIED] == ("document_type",)
    assert set(agreement.fields) == {c.WORKER_REGISTERED, c.DOCUMENT_VERIFIED}
    assert agreement.valid_until == dt.datetime(2027, 12, 31, tzinfo=dt.UTC)
    history = agencies.registry.agreements.history(first.name)
    assert [(h["version"], h["action"], h["changed_by"]) for h in history] == [
        (1, "created", OPERATOR),
        (2, "changed", "desk-admin-2"),
    ]
    assert set(history[1]["changes"]) == {"fields", "approved_by", "valid_until"}
    assert history[1]["changes"]["approved_by"] == [
        "Kepala Disnaker Blitar",
        "Sekda Kabupaten Blitar",
    ]
    shown = render_agency(agreement, history, agencies.registry.queue(first.name))
    assert "legal_obligation" in shown and "worker_registered: full_name, regency" in shown
    assert "v2" in shown and "desk-admin-2" in shown


def test_a_placement_company_is_onboarded_with_its_name_as_workers_spell_it(agencies):
    company = agencies.onboard(
        "sinar-jaya",
        [c.WORKER_DEPARTED],
        placement_agency="  PT   Sinar Jaya ",
        legal_basis="contract",
        purpose="following its recruits' placement",
    )
    assert company.agreement.placement_agency == "PT Sinar Jaya"
    assert "recruits of PT Sinar Jaya only" in render_agency(company.agreement, [], None)


def test_an_earlier_subscription_bound_to_a_service_exchange_is_unbound_when_onboarded_again(
    agencies,
):
    bpjs = agencies.onboard("bpjs", [c.WORKER_DEPARTED])
    with Connection(agencies.amqp_uri) as connection:  # as an earlier release left it
        connection.channel().queue_bind(
            bpjs.queue, c.exchange_name(c.REGISTRATION), c.WORKER_DEPARTED
        )
    again = agencies.onboard(bpjs.name, [c.WORKER_DEPARTED])
    assert again.unbound == [f"{c.exchange_name(c.REGISTRATION)} {c.WORKER_DEPARTED}"]
    assert agencies.registry.bindings(bpjs.name) == set()


def test_offboarding_ends_the_agreement_and_removes_the_user_and_its_queues(
    agencies, rabbit_config
):
    bp2mi = agencies.onboard("bp2mi", [c.WORKER_DEPARTED])
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        connection.channel().basic_publish(amqp.Message("{}"), "", bp2mi.queue)

    dropped = agencies.registry.offboard(bp2mi.name, OPERATOR)

    assert dropped == {agency_queue(bp2mi.name): 1, parked_queue(bp2mi.name): 0}
    assert agencies.management.user(bp2mi.user) is None
    assert agencies.registry.queue(bp2mi.name) is None
    assert refused(lambda: take(agencies.uri(bp2mi), bp2mi.queue))
    ended = agencies.registry.agreement_of(bp2mi.name)
    assert not ended.in_force(dt.datetime.now(dt.UTC))
    assert agencies.registry.agreements.history(bp2mi.name)[-1]["action"] == "ended"
    with pytest.raises(NotFound):
        agencies.registry.offboard(f"never-{bp2mi.name}", OPERATOR)


def test_an_incomplete_agreement_or_one_beyond_the_published_contract_creates_nothing(
    agencies, rabbit_config
):
    cases = {
        "name": ("BPJS Kesehatan", {}),
        "events": ("bpjs-x", {"events": ["worker_teleported"]}),
        "fields": ("bpjs-x", {"fields": ["worker_registered:nik_digest"]}),
        "purpose": ("bpjs-x", {"purpose": " "}),
        "legal_basis": ("bpjs-x", {"legal_basis": "because"}),
        "approved_by": ("bpjs-x", {"approved_by": None}),
        "valid_until": ("bpjs-x", {"valid_from": "2026-06-01", "valid_until": "2026-01-01"}),
    }
    for field, (name, overrides) in cases.items():
        events = overrides.pop("events", [c.WORKER_REGISTERED])
        with pytest.raises(InvalidInput) as bad:
            agencies.registry.onboard(name, terms(events, **overrides), OPERATOR)
        assert field in bad.value.details, field
    assert agencies.management.user(agency_user("bpjs-x")) is None
    assert agencies.registry.agreements.get("bpjs-x") is None
    with pytest.raises(Exception):  # noqa: B017 - the broker says the queue does not exist
        queue_depth(rabbit_config["AMQP_URI"], agency_queue("bpjs-x"))


def test_the_operators_command_onboards_shows_and_offboards_an_agency(
    agencies, monkeypatch, private_servers, rabbit_config, database_urls, capsys
):
    from pmi_tools.cli import main

    monkeypatch.setenv("AMQP_URI", rabbit_config["AMQP_URI"])
    monkeypatch.setenv("RABBITMQ_MANAGEMENT_URL", private_servers.broker.management_url)
    monkeypatch.setenv("AGENCIES_DATABASE_URL", database_urls["agencies"])
    name = f"sinar-jaya-{uuid.uuid4().hex[:6]}"
    agencies.names.append(name)  # its user is removed after the test

    main(
        [
            "agency",
            "onboard",
            name,
            "--events",
            "worker_registered,worker_departed",
            "--fields",
            "worker_registered:full_name,placement_agency",
            "--fields",
            "worker_departed:departed_on,destination_country",
            "--placement-agency",
            "PT Sinar Jaya",
            "--purpose",
            "its recruits' placement",
            "--legal-basis",
            "contract",
            "--approved-by",
            "Kepala Disnaker",
            "--by",
            "desk-7",
        ]
    )
    onboarded = capsys.readouterr().out
    main(["agency", "show", name])
    shown = capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        main(
            [
                "agency",
                "onboard",
                "other-x",
                "--events",
                "worker_registered",
                "--fields",
                "worker_registered:sex",
                "--purpose",
                "p",
                "--legal-basis",
                "contract",
            ]
        )
    with pytest.raises(SystemExit) as unnamed:
        main(["agency", "onboard", "other-x", "--events", "worker_registered,worker_died"])

    assert "connect with (shown once): amqp://" in onboarded
    assert "recruits of PT Sinar Jaya only" in shown
    assert "worker_registered: full_name, placement_agency" in shown
    assert "created by desk-7" in shown
    assert "approved_by" in str(refused.value)
    said = str(unnamed.value)
    assert "worker_registered: name the fields to grant as --fields worker_registered:f1,f2" in said
    assert "from full_name, sex, regency" in said and "worker_died:" in said
    main(["agency", "offboard", name, "--by", "desk-7"])
    assert "its agreement ended" in capsys.readouterr().out


def test_onboarding_grants_only_the_fields_named_and_says_which_could_be(agencies):
    name = f"bpjs-{uuid.uuid4().hex[:6]}"
    unnamed = terms([c.WORKER_REGISTERED, c.WORKER_DIED], fields=None)

    with pytest.raises(InvalidInput) as refused:
        agencies.registry.onboard(name, unnamed, OPERATOR)

    problems = refused.value.details["fields"]
    assert problems[0].startswith("worker_registered: name the fields to grant")
    assert "full_name, sex, regency" in problems[0]
    assert "(heir_names, cause: a family's personal or health data)" in problems[1]
    assert agencies.registry.agreements.get(name) is None
    assert agencies.management.user(agency_user(name)) is None

    first = agencies.onboard("bpjs", [c.WORKER_REGISTERED], fields=["worker_registered:sex"])
    kept = agencies.onboard(first.name, [c.WORKER_REGISTERED])
    with pytest.raises(InvalidInput) as more:
        agencies.onboard(first.name, [c.WORKER_REGISTERED, c.WORKER_DEPARTED])
    assert kept.agreement.fields == {c.WORKER_REGISTERED: ("sex",)}
    assert [p.split(":")[0] for p in more.value.details["fields"]] == [c.WORKER_DEPARTED]
