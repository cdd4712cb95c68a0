"""What the operators' command concludes from queue statistics and dead-letter headers."""

import datetime as dt
import json
import re

import pytest

from pmi_common import contract as c
from pmi_common.dead_letters import Selection, dead_letter_of, replay_headers
from pmi_common.errors import InvalidInput
from pmi_common.history import event_types_of, parse_since
from pmi_common.management import vhost_of
from pmi_common.queue_health import (
    BACKLOG_GROWING,
    DEAD_LETTERS,
    MISSING,
    NO_CONSUMERS,
    platform_queues,
    queue_kind,
)
from pmi_common.topology import all_queues
from pmi_tools.reports import render_dead_letters, render_queues
from services.agencies.queues import permissions_for


def stats(name, ready=0, unacked=0, consumers=1, publish=0.0, deliver=0.0, trend=0.0):
    return {
        "name": name,
        "messages": ready + unacked,
        "messages_ready": ready,
        "messages_unacknowledged": unacked,
        "consumers": consumers,
        "messages_ready_details": {"rate": trend},
        "message_stats": {
            "publish_details": {"rate": publish},
            "deliver_get_details": {"rate": deliver},
        },
    }


def by_name(rows):
    return {row.name: row for row in rows}


def test_an_inbox_nobody_consumes_is_marked_and_a_quiet_retry_queue_is_not():
    rows = by_name(
        platform_queues(
            [
                stats("registration.inbox", consumers=0),
                stats("registration.retry", ready=3, consumers=0),
            ]
        )
    )
    assert rows["registration.inbox"].marks == (NO_CONSUMERS,)
    assert rows["registration.retry"].marks == ()


def test_a_backlog_is_growing_when_ready_messages_rise_or_publishing_outpaces_delivery():
    rows = by_name(
        platform_queues(
            [
                stats("documents.inbox", ready=40, trend=2.5),
                stats("orientation.inbox", ready=40, publish=9.0, deliver=3.0),
                stats("reintegration.inbox", ready=40, publish=3.0, deliver=9.0, trend=-1.0),
            ]
        )
    )
    assert rows["documents.inbox"].marks == (BACKLOG_GROWING,)
    assert rows["orientation.inbox"].marks == (BACKLOG_GROWING,)
    assert rows["reintegration.inbox"].marks == ()


def test_dead_letters_are_marked_on_the_dead_letter_queue_without_asking_for_consumers():
    rows = by_name(
        platform_queues(
            [
                stats("registration.dead-letter", ready=2, consumers=0),
                stats("documents.dead-letter", consumers=0),
            ]
        )
    )
    assert rows["registration.dead-letter"].marks == (DEAD_LETTERS,)
    assert rows["documents.dead-letter"].marks == ()


def test_the_agencies_queues_are_judged_like_a_services():
    rows = by_name(
        platform_queues(
            [
                stats("agencies.inbox", consumers=0),
                stats("agencies.retry", ready=3, consumers=0),
                stats("agencies.dead-letter", ready=1, consumers=0),
                stats("rpc-agencies", consumers=0),
            ]
        )
    )
    assert rows["agencies.inbox"].marks == (NO_CONSUMERS,)
    assert rows["agencies.retry"].marks == ()
    assert rows["agencies.dead-letter"].marks == (DEAD_LETTERS,)
    assert rows["rpc-agencies"].marks == (NO_CONSUMERS,)


def test_every_process_with_dead_letters_has_them_judged():
    judged = {row.name: row.kind for row in platform_queues([])}
    for process in (*c.SERVICES, c.AGENCIES):
        if c.handled_by(process):
            assert judged[f"{process}.dead-letter"] == "dead-letter"


def test_every_platform_queue_is_listed_and_undeclared_ones_are_missing():
    rows = platform_queues(
        [
            stats("agency.bpjs.events", consumers=0),
            stats("agency.bpjs.parked", ready=1, consumers=0),
            stats("rpc-registration"),
            stats("someone-elses-queue"),
        ]
    )
    names = [row.name for row in rows]
    assert names[:3] == ["registration.inbox", "registration.retry", "registration.dead-letter"]
    assert names[-3:] == ["rpc-registration", "agency.bpjs.events", "agency.bpjs.parked"]
    assert "someone-elses-queue" not in names
    assert by_name(rows)["documents.inbox"].marks == (MISSING,)
    assert by_name(rows)["agency.bpjs.events"].marks == (NO_CONSUMERS,)
    assert by_name(rows)["agency.bpjs.parked"].marks == (DEAD_LETTERS,)
    everything = platform_queues([stats("someone-elses-queue")], everything=True)
    assert "someone-elses-queue" in [row.name for row in everything]


def test_queue_kinds_follow_the_naming_of_the_topology():
    assert [
        queue_kind(n)
        for n in (
            "documents.inbox",
            "documents.retry",
            "documents.dead-letter",
            "rpc-documents",
            "agencies.dead-letter",
            "rpc-agencies",
            "agency.bpjs.events",
            "agency.bpjs.parked",
            "rpc.reply-standalone_rpc_proxy-1",
            "other.inbox",
        )
    ] == [
        "inbox",
        "retry",
        "dead-letter",
        "rpc",
        "dead-letter",
        "rpc",
        "agency",
        "parked",
        "other",
        "other",
    ]


def test_the_queue_table_shows_each_queue_with_its_marks_and_counts_the_unhealthy():
    text = render_queues(
        platform_queues(
            [stats("registration.inbox", ready=5, unacked=2, consumers=0, publish=1.25)]
        )
    )
    line = next(row for row in text.splitlines() if row.startswith("registration.inbox"))
    assert re.search(r"registration\.inbox\s+5\s+2\s+0\s+1\.2\s+0\.0\s+NO CONSUMERS", line)
    assert text.splitlines()[0].split() == [
        "QUEUE",
        "READY",
        "UNACKED",
        "CONSUMERS",
        "PUBLISH/S",
        "DELIVER/S",
        "STATE",
    ]
    assert text.endswith(f"{len(all_queues())} of {len(all_queues())} queues need attention.")


def envelope(event_id="e-1", event_type=c.DOCUMENT_VERIFIED):
    return json.dumps({"event_id": event_id, "event_type": event_type}).encode()


def test_a_dead_letter_shows_its_event_attempts_error_and_when_it_failed():
    letter = dead_letter_of(
        "registration.dead-letter",
        envelope(),
        {
            "x-attempts": 4,
            "x-error": "NotFound: no worker 42",
            "x-failed-at": "2026-03-02T03:15:00+00:00",
        },
    )
    assert (
        letter.event_id,
        letter.event_type,
        letter.attempts,
        letter.error,
        letter.failed_at,
    ) == ("e-1", c.DOCUMENT_VERIFIED, 4, "NotFound: no worker 42", "2026-03-02T03:15:00+00:00")
    table = render_dead_letters([letter])
    assert table.splitlines()[1].split()[:4] == ["registration", "e-1", c.DOCUMENT_VERIFIED, "4"]


def test_a_message_the_broker_dead_lettered_shows_the_broker_s_reason():
    died = dt.datetime(2026, 3, 2, 3, 15)
    letter = dead_letter_of(
        "registration.dead-letter",
        envelope(),
        {"x-death": [{"reason": "delivery_limit", "queue": "registration.inbox", "time": died}]},
    )
    assert letter.error == "dead-lettered by the broker: delivery_limit from registration.inbox"
    assert letter.failed_at == died.isoformat() and letter.attempts is None


def test_an_undecodable_dead_letter_is_listed_with_the_start_of_its_body():
    letter = dead_letter_of(
        "registration.dead-letter",
        b"{not json",
        {"x-error": "undecodable message", "x-attempts": 0},
    )
    assert letter.event_id is None and "{not json" in letter.error
    assert render_dead_letters([letter]).splitlines()[1].split()[1:3] == ["-", "-"]


def test_a_selection_is_one_event_every_letter_or_a_text_found_in_error_type_or_body():
    letter = dead_letter_of(
        "documents.dead-letter",
        envelope("e-7", c.WORKER_REGISTERED),
        {"x-error": "IntegrityError: duplicate key"},
    )
    assert Selection(event_id="e-7")(letter) and not Selection(event_id="e-8")(letter)
    assert Selection(everything=True)(letter)
    assert Selection(match="integrityerror")(letter)
    assert Selection(match=c.WORKER_REGISTERED)(letter)
    assert not Selection(match="timeout")(letter)
    with pytest.raises(ValueError):
        Selection(event_id="e-7", everything=True)
    with pytest.raises(ValueError):
        Selection()


def test_a_replayed_message_starts_its_attempts_again_and_remembers_the_replay():
    now = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    headers = replay_headers(
        {
            "x-attempts": 4,
            "x-error": "boom",
            "x-failed-at": "t",
            "x-service": "registration",
            "x-delivery-count": 2,
            "x-original-routing-key": c.DOCUMENT_VERIFIED,
            "x-replays": 1,
        },
        now,
    )
    assert headers == {
        "x-original-routing-key": c.DOCUMENT_VERIFIED,
        "x-replays": 2,
        "x-replayed-at": now.isoformat(),
    }


def test_the_virtual_host_is_read_from_the_amqp_uri():
    assert vhost_of("amqp://guest:guest@127.0.0.1:5672/") == "/"
    assert vhost_of("amqp://guest:guest@127.0.0.1:5672") == "/"
    assert vhost_of("amqp://u:p@rabbitmq:5672/pmi") == "pmi"
    assert vhost_of("amqp://u:p@rabbitmq:5672/%2Fpmi") == "/pmi"
    assert vhost_of("amqp://u:p@rabbit-1:5672/pmi;amqp://u:p@rabbit-2:5672/pmi") == "pmi"


def test_an_agency_may_read_only_its_own_queues_and_write_or_configure_nothing():
    granted = permissions_for("bpjs")
    read, write = re.compile(granted["read"]), re.compile(granted["write"])
    assert granted["configure"] == "^$"
    for name in ("agency.bpjs.events", "agency.bpjs.parked"):
        assert read.match(name), name
    for name in (
        "agency.bpjs-kesehatan.events",
        "agency.imigrasi.events",
        "registration.inbox",
        "registration.dead-letter",
        "amq.topic",
        "xagency.bpjs.events",
        "registration.events",
        "reintegration.events",
        "agencies.inbox",
    ):
        assert not read.match(name), name
    for name in ("amq.default", "registration.events", "agency.bpjs.events", "agency.bpjs.parked"):
        assert not write.match(name), name


def test_an_agency_subscribes_only_to_event_types_of_the_contract():
    assert event_types_of(f"{c.WORKER_DEPARTED}, {c.WORKER_RETURNED},{c.WORKER_DEPARTED}") == (
        c.WORKER_DEPARTED,
        c.WORKER_RETURNED,
    )
    with pytest.raises(InvalidInput) as refused:
        event_types_of(f"{c.WORKER_DEPARTED},worker_teleported")
    assert "worker_teleported" in refused.value.details["events"][0]
    with pytest.raises(InvalidInput):
        event_types_of(" , ")


def test_history_starts_at_midnight_utc_of_a_date_or_at_a_given_moment():
    assert parse_since("2026-03-01") == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert parse_since("2026-03-01T08:00:00+07:00") == dt.datetime(2026, 3, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(InvalidInput) as refused:
        parse_since("last tuesday")
    assert "since" in refused.value.details
