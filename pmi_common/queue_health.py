"""Every platform queue's health, from RabbitMQ's management API statistics: what each queue is
(an inbox, a retry or dead-letter queue, an RPC queue, an agency's queue) and what is wrong with it
(``NO_CONSUMERS``, ``BACKLOG_GROWING``, ``DEAD_LETTERS``, ``MISSING``). The operators' console and
``pmi ops queues`` show it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .contract import AGENCIES, SERVICES
from .management import Management, vhost_of
from .topology import all_queues, consuming_services

NO_CONSUMERS = "NO CONSUMERS"
BACKLOG_GROWING = "BACKLOG GROWING"
DEAD_LETTERS = "DEAD LETTERS"
MISSING = "MISSING"


# queues -------------------------------------------------------------------------------------


def queue_kind(name: str) -> str:
    """inbox, retry, dead-letter, rpc, agency, parked or other: the queues of every process that
    consumes events (the services and the agencies service) and of every process that answers
    RPC."""
    if name.startswith("rpc-") and name[4:] in (*SERVICES, AGENCIES):
        return "rpc"
    if name.startswith("agency."):
        return "parked" if name.endswith(".parked") else "agency"
    for suffix in ("inbox", "retry", "dead-letter"):
        if name.endswith(f".{suffix}") and name.rsplit(".", 1)[0] in consuming_services():
            return suffix
    return "other"


@dataclass(frozen=True)
class QueueHealth:
    name: str
    kind: str
    ready: int
    unacked: int
    consumers: int
    publish_rate: float
    deliver_rate: float
    marks: tuple[str, ...]


def _rate(stats: dict, key: str) -> float:
    return float(((stats.get("message_stats") or {}).get(key) or {}).get("rate", 0.0))


def marks_for(kind: str, stats: dict) -> tuple[str, ...]:
    """What is unhealthy about one queue, from its management statistics."""
    ready = int(stats.get("messages_ready", 0))
    marks = []
    if kind in ("dead-letter", "parked"):
        if int(stats.get("messages", 0)) > 0:
            marks.append(DEAD_LETTERS)
        return tuple(marks)
    if kind in ("inbox", "agency", "rpc") and int(stats.get("consumers", 0)) == 0:
        marks.append(NO_CONSUMERS)
    if kind != "retry" and ready > 0:
        growing = float((stats.get("messages_ready_details") or {}).get("rate", 0.0)) > 0
        outpaced = _rate(stats, "publish_details") > _rate(stats, "deliver_get_details")
        if growing or outpaced:
            marks.append(BACKLOG_GROWING)
    return tuple(marks)


def queue_health(stats: dict) -> QueueHealth:
    kind = queue_kind(stats["name"])
    return QueueHealth(
        name=stats["name"],
        kind=kind,
        ready=int(stats.get("messages_ready", 0)),
        unacked=int(stats.get("messages_unacknowledged", 0)),
        consumers=int(stats.get("consumers", 0)),
        publish_rate=_rate(stats, "publish_details"),
        deliver_rate=_rate(stats, "deliver_get_details"),
        marks=marks_for(kind, stats),
    )


def platform_queues(stats: Iterable[dict], everything: bool = False) -> list[QueueHealth]:
    """The platform's queues in a stable order: each consuming process's inbox, retry and
    dead-letter queues (``MISSING`` when not declared), the services' RPC queues, then the
    agencies' queues; with ``everything``, the broker's other queues too."""
    by_name = {s["name"]: s for s in stats}
    rows = []
    for spec in all_queues():
        if spec.name in by_name:
            rows.append(queue_health(by_name.pop(spec.name)))
        else:
            rows.append(
                QueueHealth(spec.name, queue_kind(spec.name), 0, 0, 0, 0.0, 0.0, (MISSING,))
            )
    order = {"rpc": 0, "agency": 1, "parked": 1, "other": 2}
    rest = sorted(
        (queue_health(s) for s in by_name.values()), key=lambda q: (order.get(q.kind, 2), q.name)
    )
    rows.extend(q for q in rest if everything or q.kind != "other")
    return rows


def queue_report(
    management: Management, amqp_uri: str, everything: bool = False
) -> list[QueueHealth]:
    return platform_queues(management.queues(vhost_of(amqp_uri)), everything)
