"""The operators' command on the real broker: queue health from the management API, dead letters
listed, replayed and discarded over AMQP without losing one."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

import pytest
from kombu import Connection
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, insert

from pmi_common import contract as c
from pmi_common.dead_letters import DeadLetterQueues, Selection
from pmi_common.management import Management
from pmi_common.operations import Operations, ServiceOperations
from pmi_common.queue_health import DEAD_LETTERS, NO_CONSUMERS, queue_report
from pmi_common.store import messaging_tables
from pmi_common.topology import declare_topology
from pmi_tools.cli import main as pmi
from services.registration.models import metadata
from services.registration.service import RegistrationService
from tests.events import envelope, publish
from tests.helpers import queue_depth, wait_for

DEAD = "registration.dead-letter"
INBOX = "registration.inbox"
QUICK_RETRIES = (0.05, 0.05, 0.05)


class Registration(RegistrationService, ServiceOperations):
    """The registration service with the operations every service inherits."""


@pytest.fixture
def management(private_servers):
    return Management(private_servers.broker.management_url)


@pytest.fixture
def pmi_env(monkeypatch, private_servers, rabbit_config):
    """The command's environment: the test's virtual host and management API."""
    monkeypatch.setenv("AMQP_URI", rabbit_config["AMQP_URI"])
    monkeypatch.setenv("RABBITMQ_MANAGEMENT_URL", private_servers.broker.management_url)


@pytest.fixture
def registration(container_factory, config_for):
    container = container_factory(
        Registration, config_for("registration", EVENT_RETRY_DELAYS=QUICK_RETRIES)
    )
    container.start()
    return container


def verified_for_unknown_worker() -> dict:
    return envelope(
        c.DOCUMENT_VERIFIED,
        str(uuid.uuid4()),
        {
            "document_id": str(uuid.uuid4()),
            "document_type": "passport",
            "expires_on": None,
            "checklist_complete": False,
        },
    )


def letters(amqp_uri: str) -> list:
    return DeadLetterQueues(amqp_uri).peek(DEAD, limit=None)


@pytest.fixture
def two_dead_letters(registration, rabbit_config):
    """An event the service failed on every attempt, and a message that is not JSON."""
    uri = rabbit_config["AMQP_URI"]
    failing = verified_for_unknown_worker()
    publish(uri, failing)
    wait_for(lambda: len(letters(uri)) == 1, message="the failing event dead-lettered")
    publish(uri, None, routing_key=c.DOCUMENTS_COMPLETED, source=c.DOCUMENTS, raw=b"{not json")
    wait_for(lambda: len(letters(uri)) == 2, message="the malformed message dead-lettered")
    return failing


def test_queues_show_depth_consumers_and_what_is_unhealthy(
    two_dead_letters, management, rabbit_config, pmi_env, capsys
):
    def report():
        rows = {q.name: q for q in queue_report(management, rabbit_config["AMQP_URI"])}
        # each queue's figures come in with its own statistics: wait for all that are read,
        # the documents inbox's too (no documents service runs here, but a consumer that left
        # the vhost before this test took it stays in the statistics until their next sample)
        rpc = rows.get("rpc-registration")
        counted = rows[DEAD].ready == 2 and rows[INBOX].consumers >= 1
        idle = rows["documents.inbox"].consumers == 0
        return rows if counted and idle and rpc is not None and rpc.consumers >= 1 else None

    rows = wait_for(
        report,
        timeout=90,  # the management API samples every 5 s
        message="the management API's statistics",
    )
    assert rows[DEAD].marks == (DEAD_LETTERS,)
    assert rows[INBOX].marks == ()
    assert NO_CONSUMERS in rows["documents.inbox"].marks  # no documents service running
    assert rows["rpc-registration"].consumers >= 1

    pmi(["ops", "queues"])
    printed = capsys.readouterr().out
    print(printed)
    line = next(row for row in printed.splitlines() if row.startswith(DEAD))
    assert line.split()[1] == "2" and line.endswith(DEAD_LETTERS)


def test_the_agencies_dead_letters_are_marked_like_a_services(
    management, rabbit_config, pmi_env, capsys
):
    uri = rabbit_config["AMQP_URI"]
    agencies_dead = f"{c.AGENCIES}.dead-letter"
    declare_topology(uri)
    with Connection(uri) as connection:
        connection.Producer().publish(
            b'{"event_id": "e-1"}', exchange="", routing_key=agencies_dead, retry=True
        )

    def report():  # the agencies inbox's statistics too, as above
        rows = {q.name: q for q in queue_report(management, uri)}
        idle = rows[f"{c.AGENCIES}.inbox"].consumers == 0
        return rows if rows[agencies_dead].ready == 1 and idle else None

    rows = wait_for(report, timeout=30, message="the management API's statistics")
    assert rows[agencies_dead].marks == (DEAD_LETTERS,)
    assert NO_CONSUMERS in rows[f"{c.AGENCIES}.inbox"].marks  # no agencies service running

    pmi(["ops", "queues"])
    printed = capsys.readouterr().out
    print(printed)
    line = next(row for row in printed.splitlines() if row.startswith(agencies_dead))
    assert line.split()[1] == "1" and line.endswith(DEAD_LETTERS)


def test_dead_letters_are_listed_with_event_attempts_and_error_and_left_in_place(
    two_dead_letters, rabbit_config, pmi_env, capsys
):
    pmi(["ops", "dead-letters", "registration"])
    printed = capsys.readouterr().out
    print(printed)
    failing = next(row for row in printed.splitlines() if two_dead_letters["event_id"] in row)
    assert failing.split()[:4] == [
        "registration",
        two_dead_letters["event_id"],
        c.DOCUMENT_VERIFIED,
        "4",
    ]
    assert "NotFound: no worker" in failing
    assert any("undecodable" in row and "{not json" in row for row in printed.splitlines())
    assert queue_depth(rabbit_config["AMQP_URI"], DEAD) == 2


def test_a_replayed_dead_letter_is_tried_again_from_its_first_attempt(
    two_dead_letters, rabbit_config, pmi_env, capsys
):
    uri = rabbit_config["AMQP_URI"]
    pmi(["ops", "replay", "registration", "--event-id", two_dead_letters["event_id"]])
    assert "1 dead letters moved back to registration.inbox" in capsys.readouterr().out

    def failed_again():
        again = [
            letter for letter in letters(uri) if letter.event_id == two_dead_letters["event_id"]
        ]
        return again and again[0].headers.get("x-replays") == 1 and again[0]

    retried = wait_for(failed_again, message="the replayed event failing again")
    assert retried.attempts == 4  # counted from the start again, then dead-lettered again
    assert len(letters(uri)) == 2  # nothing lost, nothing doubled


def test_replay_moves_only_what_matches_to_the_inbox_with_its_failure_record_removed(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    declare_topology(uri)
    for error, event in (
        ("NotFound: no worker", verified_for_unknown_worker()),
        ("OperationalError: database down", verified_for_unknown_worker()),
    ):
        with Connection(uri) as connection:
            connection.Producer().publish(
                event,
                exchange="",
                routing_key=DEAD,
                headers={
                    "x-error": error,
                    "x-attempts": 4,
                    "x-service": c.REGISTRATION,
                    "x-original-routing-key": c.DOCUMENT_VERIFIED,
                },
                delivery_mode=2,
            )
    wait_for(lambda: len(letters(uri)) == 2, message="two dead letters")

    moved = DeadLetterQueues(uri).replay(c.REGISTRATION, Selection(match="operationalerror"))

    assert [letter.error for letter in moved] == ["OperationalError: database down"]
    assert [letter.error for letter in letters(uri)] == ["NotFound: no worker"]
    with Connection(uri) as connection:
        replayed = wait_for(
            lambda: connection.channel().basic_get(INBOX, no_ack=True),
            message="the replayed message in the inbox",
        )
    assert replayed.headers["x-original-routing-key"] == c.DOCUMENT_VERIFIED
    assert "x-attempts" not in replayed.headers and "x-error" not in replayed.headers
    assert replayed.headers["x-replays"] == 1


def test_discarding_asks_for_yes_then_deletes_only_what_matches(
    two_dead_letters, rabbit_config, pmi_env, capsys
):
    uri = rabbit_config["AMQP_URI"]
    with pytest.raises(SystemExit, match="add --yes"):
        pmi(["ops", "discard", "registration", "--match", "undecodable"])
    assert len(letters(uri)) == 2

    pmi(["ops", "discard", "registration", "--match", "undecodable", "--yes"])

    assert "1 dead letters discarded" in capsys.readouterr().out
    assert [letter.event_id for letter in letters(uri)] == [two_dead_letters["event_id"]]


@pytest.mark.empty_vhost  # an inbox the platform declares is what is missing
def test_replay_refuses_when_the_inbox_does_not_exist_and_keeps_the_dead_letter(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    with Connection(uri) as connection:
        channel = connection.channel()
        channel.queue_declare(
            DEAD, durable=True, auto_delete=False, arguments={"x-queue-type": "quorum"}
        )
        connection.Producer(channel).publish({"x": 1}, exchange="", routing_key=DEAD)
    wait_for(lambda: queue_depth(uri, DEAD) == 1, message="a dead letter")
    with pytest.raises(LookupError, match=INBOX):
        DeadLetterQueues(uri).replay(c.REGISTRATION, Selection(everything=True))
    assert queue_depth(uri, DEAD) == 1


def test_health_reports_a_database_that_answers_and_an_empty_outbox(registration):
    with entrypoint_hook(registration, "health") as health:
        assert health() == {
            "service": c.REGISTRATION,
            "database": "ok",
            "outbox_backlog": 0,
            "oldest_unpublished_age_seconds": None,
        }


def test_health_reports_the_outbox_backlog_and_the_age_of_its_oldest_row(
    database_urls, rabbit_config
):
    engine = create_engine(database_urls["registration"])
    tables = messaging_tables(metadata)
    with engine.begin() as conn:
        conn.execute(
            insert(tables.outbox).values(
                event_id=str(uuid.uuid4()),
                event_type=c.WORKER_REGISTERED,
                event_version=1,
                worker_id=None,
                stream_id="s-1",
                sequence=1,
                envelope={},
                occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
            )
        )
    stuck = Operations(c.REGISTRATION, rabbit_config["AMQP_URI"]).health(
        SimpleNamespace(engine=engine, tables=tables)
    )  # no relay: the row stays unpublished
    engine.dispose()
    assert stuck["outbox_backlog"] == 1 and stuck["oldest_unpublished_age_seconds"] >= 300


def test_health_names_a_database_that_does_not_answer(rabbit_config, private_servers):
    unreachable = create_engine(private_servers.database.url("pmi_no_such_db"))
    answer = Operations(c.REGISTRATION, rabbit_config["AMQP_URI"]).health(
        SimpleNamespace(engine=unreachable, tables=messaging_tables(metadata))
    )
    unreachable.dispose()
    assert answer["database"].startswith("OperationalError")
    assert answer["outbox_backlog"] is None
