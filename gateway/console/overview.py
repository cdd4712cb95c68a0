"""What the console shows, computed from what the platform already reports: each service's
``health()`` answer, the broker's queue statistics (as ``pmi ops queues`` reads them), the dead
letters (as ``pmi ops dead-letters`` reads them) and the services' statistics."""

from __future__ import annotations

import datetime as dt
import json

from pmi_common.contract import GATEWAY, SERVICES
from pmi_common.dead_letters import DeadLetter, Selection
from pmi_common.logs import mask_identity
from pmi_common.queue_health import (
    BACKLOG_GROWING,
    DEAD_LETTERS,
    MISSING,
    NO_CONSUMERS,
)
from pmi_common.queue_health import platform_queues as ops_platform_queues
from pmi_common.topology import consuming_services, dead_letter_queue, inbox_queue, retry_queue

from .history import QueueHistory, sample_of

DOWN = "DOWN"
OUTBOX_STUCK = "OUTBOX STUCK"
FAILING = "FAILING"
OUTBOX_STUCK_SECONDS = 60.0  # an unpublished event older than this: the relay cannot publish
REPLY_QUEUE_PREFIX = f"rpc.reply-{GATEWAY}-"


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()


# platform health ----------------------------------------------------------------------------


def service_health(name: str, outcome: dict, stats: dict[str, dict]) -> dict:
    """One service, from its readiness outcome (``gateway.health``: ``status`` up or down, and
    what its ``health()`` answered) and the queue statistics: up or not, its instances, outbox,
    inbox lag, failures, and what is wrong."""
    up = outcome.get("status") == "up"
    age = outcome.get("oldest_unpublished_age_seconds")
    row = {
        "name": name,
        "up": up,
        "reason": None if up else str(outcome.get("reason") or outcome.get("database"))[:300],
        "instances": int((stats.get(f"rpc-{name}") or {}).get("consumers", 0)),
        "outbox_backlog": outcome.get("outbox_backlog"),
        "oldest_unpublished_age_seconds": age,
        "marks": [] if up else [DOWN],
    }
    if age is not None and age > OUTBOX_STUCK_SECONDS:
        row["marks"].append(OUTBOX_STUCK)
    if name in consuming_services():
        inbox = _inbox_health(name, stats.get(inbox_queue(name)), stats)
        row["marks"].extend(inbox.pop("marks"))
        row.update(inbox)
    return row


def _inbox_health(name: str, inbox: dict | None, stats: dict[str, dict]) -> dict:
    """Inbox lag (messages waiting, and how long they take to drain at the current pace) and
    failure rate (retries and dead letters per second, and their share of deliveries)."""
    if inbox is None:
        return {
            "consumers": 0,
            "inbox_lag_messages": None,
            "inbox_lag_seconds": None,
            "failures_per_second": None,
            "failure_ratio": None,
            "dead_letters": None,
            "marks": [MISSING],
        }
    now = sample_of(inbox, 0)
    retried = sample_of(stats.get(retry_queue(name)) or {}, 0).publish_rate
    dead_stats = stats.get(dead_letter_queue(name)) or {}
    dead = sample_of(dead_stats, 0).publish_rate
    failures = retried + dead
    lag = now.ready + now.unacked
    marks = []
    if now.consumers == 0:
        marks.append(NO_CONSUMERS)
    if int(dead_stats.get("messages", 0)) > 0:
        marks.append(DEAD_LETTERS)
    if failures > 0:
        marks.append(FAILING)
    growing = float((inbox.get("messages_ready_details") or {}).get("rate", 0.0)) > 0
    if now.ready > 0 and (growing or now.publish_rate > now.deliver_rate):
        marks.append(BACKLOG_GROWING)
    return {
        "consumers": now.consumers,
        "inbox_lag_messages": lag,
        "inbox_lag_seconds": round(lag / now.deliver_rate, 1)
        if lag and now.deliver_rate
        else (0.0 if not lag else None),
        "failures_per_second": round(failures, 2),
        "failure_ratio": round(failures / now.deliver_rate, 3) if now.deliver_rate else None,
        "dead_letters": int(dead_stats.get("messages", 0)),
        "marks": marks,
    }


def platform_health(outcomes: dict[str, dict], queue_stats: list[dict]) -> dict:
    """Every service and the gateway (its broker and database checks in ``outcomes``);
    ``healthy`` only when nothing is marked."""
    stats = {queue["name"]: queue for queue in queue_stats}
    services = [service_health(name, outcomes.get(name, {}), stats) for name in SERVICES]
    gateways = sum(
        1
        for queue in queue_stats
        if queue["name"].startswith(REPLY_QUEUE_PREFIX) and int(queue.get("consumers", 0)) > 0
    )
    checks = {name: outcomes.get(name, {}) for name in ("broker", "database")}
    down = [name for name, check in checks.items() if check.get("status") != "up"]
    gateway = {
        "name": GATEWAY,
        "up": True,
        "instances": max(gateways, 1),
        "broker": checks["broker"].get("reason") or checks["broker"].get("status"),
        "database": checks["database"].get("reason") or checks["database"].get("status"),
        "marks": [f"{name.upper()} {DOWN}" for name in down],
    }
    unhealthy = [row["name"] for row in [*services, gateway] if row["marks"]]
    return {
        "status": "unhealthy" if unhealthy else "healthy",
        "unhealthy": unhealthy,
        "services": services,
        "gateway": gateway,
    }


# queues -------------------------------------------------------------------------------------


def queue_rows(queue_stats: list[dict], history: QueueHistory, now: float) -> list[dict]:
    """Every platform and agency queue, in ``pmi ops queues``' order, with its last hour."""
    stats = {queue["name"]: queue for queue in queue_stats}
    rows = []
    for queue in ops_platform_queues(queue_stats):
        row = {
            "name": queue.name,
            "kind": queue.kind,
            "ready": queue.ready,
            "unacked": queue.unacked,
            "consumers": queue.consumers,
            "publish_rate": queue.publish_rate,
            "deliver_rate": queue.deliver_rate,
            "marks": list(queue.marks),
            "history": history.series(queue.name, now),
        }
        if queue.kind in ("agency", "parked"):
            row["last_consumed_at"] = _iso(history.last_consumed(queue.name))
            row["idle_since"] = (stats.get(queue.name) or {}).get("idle_since")
        rows.append(row)
    return rows


# dead letters -------------------------------------------------------------------------------


def letter_view(letter: DeadLetter) -> dict:
    """A dead letter as an operator inspects it: identity numbers masked everywhere."""
    try:
        body = json.loads(letter.body)
    except ValueError:
        body = letter.body.decode("utf-8", "replace")
    shown = {
        "service": letter.queue.rsplit(".", 1)[0],
        "queue": letter.queue,
        "event_id": letter.event_id,
        "event_type": letter.event_type,
        "attempts": letter.attempts,
        "replays": int(letter.headers.get("x-replays", 0)),
        "error": letter.error,
        "failed_at": letter.failed_at,
        "body": body,
    }
    return mask_identity(None, "", shown)


def selection_of(choice: dict) -> Selection:
    """The dead letters an operator chose: one event, all, or those matching a text."""
    return Selection(
        event_id=choice.get("event_id"),
        everything=bool(choice.get("all")),
        match=choice.get("match"),
    )


# lifecycle and desks --------------------------------------------------------------------------


def seats(sessions: list[dict]) -> dict:
    """Orientation seats filled, over the sessions still to come and per session."""
    scheduled = [s for s in sessions if s.get("status") == "scheduled"]
    return {
        "capacity": sum(int(s.get("capacity", 0)) for s in scheduled),
        "enrolled": sum(int(s.get("enrolled", 0)) for s in scheduled),
        "sessions": [
            {
                "id": s.get("id"),
                "starts_at": s.get("starts_at"),
                "location": s.get("location"),
                "capacity": s.get("capacity"),
                "enrolled": s.get("enrolled"),
            }
            for s in scheduled
        ],
    }


def funnels(programs: list[dict], stats: dict[str, dict | Exception]) -> list[dict]:
    """Each programme's funnel: enrolled, each selection round, completed, businesses, awards."""
    rows = []
    for program in programs:
        answer = stats.get(program["id"])
        if not isinstance(answer, dict):
            continue
        steps = [{"step": "enrolled", "count": answer.get("enrolled", 0)}]
        steps += [
            {"step": "round", "name": r.get("name"), "count": r.get("advanced", 0)}
            for r in answer.get("rounds", [])
        ]
        steps += [
            {"step": "completed", "count": answer.get("completed", 0)},
            {"step": "businesses_started", "count": answer.get("businesses_started", 0)},
            {"step": "awarded", "count": answer.get("awarded", 0)},
        ]
        rows.append({"id": program["id"], "name": program.get("name"), "steps": steps})
    return rows
