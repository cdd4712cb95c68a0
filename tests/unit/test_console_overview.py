"""What the operators' console computes from the broker's statistics and the services' health."""

from gateway.console.history import QueueHistory
from gateway.console.overview import (
    funnels,
    letter_view,
    platform_health,
    queue_rows,
    seats,
    selection_of,
)
from pmi_common.contract import SERVICES
from pmi_common.dead_letters import DeadLetter, Selection

UP = {"status": "up", "database": "ok", "outbox_backlog": 0, "oldest_unpublished_age_seconds": None}


def queue(name, ready=0, unacked=0, consumers=1, publish=0.0, deliver=0.0, delivered=0, **more):
    return {
        "name": name,
        "messages_ready": ready,
        "messages_unacknowledged": unacked,
        "messages": ready + unacked,
        "consumers": consumers,
        "message_stats": {
            "publish_details": {"rate": publish},
            "deliver_get_details": {"rate": deliver},
            "deliver_get": delivered,
        },
        **more,
    }


def healthy_queues():
    rows = []
    for service in SERVICES:
        rows += [
            queue(f"{service}.inbox"),
            queue(f"{service}.retry", consumers=0),
            queue(f"{service}.dead-letter", consumers=0),
            queue(f"rpc-{service}"),
        ]
    return rows


def outcomes(**changed):
    base = {name: dict(UP) for name in SERVICES}
    base.update(broker={"status": "up"}, database={"status": "up"})
    base.update(changed)
    return base


def test_everything_up_and_empty_is_healthy():
    health = platform_health(outcomes(), healthy_queues())
    assert health["status"] == "healthy"
    assert [row["name"] for row in health["services"]] == [
        "registration",
        "documents",
        "orientation",
        "reintegration",
        "protection",
        "notifications",
        "reporting",
        "letters",
    ]
    assert all(row["instances"] == 1 for row in health["services"])
    # the protection desk and the letters service consume no events: no inbox to lag
    assert all(
        row.get("inbox_lag_messages", 0) == 0
        and (row["name"] in ("protection", "letters")) != ("consumers" in row)
        for row in health["services"]
    )


def test_a_stopped_service_is_down_with_no_consumers_and_a_growing_backlog():
    stats = [q for q in healthy_queues() if q["name"] not in ("documents.inbox", "rpc-documents")]
    stats += [
        queue("documents.inbox", ready=12, consumers=0, publish=0.4),
        queue("rpc-documents", consumers=0),
    ]
    down = {"status": "down", "reason": "no answer within 2s"}

    health = platform_health(outcomes(documents=down), stats)

    documents = health["services"][1]
    assert health["status"] == "unhealthy" and health["unhealthy"] == ["documents"]
    assert documents["marks"] == ["DOWN", "NO CONSUMERS", "BACKLOG GROWING"]
    assert documents["reason"] == "no answer within 2s"
    assert documents["inbox_lag_messages"] == 12 and documents["inbox_lag_seconds"] is None
    assert documents["instances"] == 0


def test_retries_dead_letters_and_a_stuck_outbox_are_marked_with_the_failure_rate():
    stats = [
        q
        for q in healthy_queues()
        if q["name"] not in ("registration.retry", "registration.dead-letter", "registration.inbox")
    ]
    stats += [
        queue("registration.inbox", ready=4, deliver=2.0),
        queue("registration.retry", consumers=0, publish=0.5),
        queue("registration.dead-letter", ready=3, consumers=0, publish=0.1),
    ]
    stuck = {**UP, "outbox_backlog": 40, "oldest_unpublished_age_seconds": 300.0}

    registration = platform_health(outcomes(registration=stuck), stats)["services"][0]

    assert registration["marks"] == ["OUTBOX STUCK", "DEAD LETTERS", "FAILING"]
    assert registration["failures_per_second"] == 0.6
    assert registration["failure_ratio"] == 0.3
    assert registration["inbox_lag_seconds"] == 2.0
    assert registration["dead_letters"] == 3


def test_the_gateway_counts_its_instances_by_their_reply_queues_and_marks_its_database():
    stats = healthy_queues() + [
        queue("rpc.reply-gateway-1"),
        queue("rpc.reply-gateway-2"),
        queue("rpc.reply-gateway-3", consumers=0),
    ]
    health = platform_health(outcomes(database={"status": "down", "reason": "refused"}), stats)
    assert health["gateway"]["instances"] == 2
    assert health["gateway"]["marks"] == ["DATABASE DOWN"]
    assert health["unhealthy"] == ["gateway"]


def test_the_last_hour_is_kept_per_queue_and_older_samples_fall_out():
    history = QueueHistory(interval=600)  # seven samples an hour
    for minute in range(0, 90, 10):
        history.record(
            [queue("agency.bpjs.events", ready=minute, delivered=minute // 20)], at=minute * 60.0
        )
    series = history.series("agency.bpjs.events", now=89 * 60.0)
    assert series["ready"] == [30, 40, 50, 60, 70, 80]
    assert history.last_consumed("agency.bpjs.events") == 80 * 60.0  # 80 // 20 rose to 4

    history.record([], at=90 * 60.0)
    assert history.series("agency.bpjs.events", now=90 * 60.0)["ready"] == []


def test_agency_queues_say_when_they_were_last_consumed():
    history = QueueHistory(interval=1)
    history.record([queue("agency.bpjs.events", delivered=1)], at=100.0)
    history.record([queue("agency.bpjs.events", delivered=2)], at=101.0)
    rows = queue_rows(
        healthy_queues() + [queue("agency.bpjs.events", delivered=2)], history, now=102.0
    )
    agency = next(row for row in rows if row["name"] == "agency.bpjs.events")
    assert agency["kind"] == "agency"
    assert agency["last_consumed_at"].startswith("1970-01-01T00:01:41")
    assert "last_consumed_at" not in rows[0]


def test_a_dead_letter_is_shown_with_identity_numbers_masked():
    body = b'{"event_id": "e1", "event_type": "x", "data": {"nik": "3505125703940002"}}'
    letter = DeadLetter(
        "registration.dead-letter",
        "e1",
        "x",
        2,
        "NotFound: nik 3505125703940002 unknown",
        None,
        {"x-replays": 1},
        body,
    )
    shown = letter_view(letter)
    assert shown["service"] == "registration" and shown["replays"] == 1
    assert "3505125703940002" not in str(shown)
    assert shown["body"]["data"]["nik"].endswith("0002")


def test_a_choice_names_one_event_all_or_a_text():
    assert selection_of({"event_id": "e1"}) == Selection(event_id="e1")
    assert selection_of({"all": True}) == Selection(everything=True)
    assert selection_of({"match": "timeout"}) == Selection(match="timeout")


def test_seats_count_scheduled_sessions_only_and_funnels_follow_each_round():
    sessions = [
        {"id": "a", "status": "scheduled", "capacity": 30, "enrolled": 12},
        {"id": "b", "status": "cancelled", "capacity": 30, "enrolled": 0},
    ]
    assert seats(sessions)["capacity"] == 30 and seats(sessions)["enrolled"] == 12
    programs = [{"id": "p", "name": "PAK CAMAT PMI"}, {"id": "q", "name": "unanswered"}]
    stats = {
        "p": {
            "enrolled": 100,
            "rounds": [
                {"name": "business model", "advanced": 75},
                {"name": "pitch", "advanced": 50},
            ],
            "completed": 50,
            "businesses_started": 20,
            "awarded": 3,
        },
        "q": RuntimeError("timeout"),
    }
    [funnel] = funnels(programs, stats)
    assert [step["count"] for step in funnel["steps"]] == [100, 75, 50, 50, 20, 3]
