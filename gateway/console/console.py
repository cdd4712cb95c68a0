"""The console's door to the broker and to its record of operators' actions.

It reads queue statistics from RabbitMQ's management API (``RABBITMQ_MANAGEMENT_URL``, as
``pmi ops`` does), samples them every ``QUEUE_SAMPLE_SECONDS`` into the last hour's history,
reads, replays and discards dead letters over AMQP with
``pmi_common.dead_letters.DeadLetterQueues``, and writes who replayed or discarded what into the
gateway's ``operator_actions`` table.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import eventlet
import structlog
from nameko.extensions import DependencyProvider
from sqlalchemy import insert, select

from pmi_common.config import DEFAULT_MANAGEMENT_URL
from pmi_common.context import actor_of, correlation_of
from pmi_common.dead_letters import DeadLetter, DeadLetterQueues, Selection, dead_letter_sources
from pmi_common.errors import NotFound
from pmi_common.management import Management, ManagementError, vhost_of
from pmi_common.rpc import ServiceUnavailable
from pmi_common.store import make_engine
from pmi_common.topology import consuming_services, dead_letter_queue

from ..models import operator_actions
from .files import DEFAULT_REFRESH_SECONDS
from .history import QueueHistory
from .overview import selection_of

log = structlog.get_logger("gateway.console")

DEFAULT_SAMPLE_SECONDS = 15.0
LETTERS_SHOWN = 200  # per service: the console lists at most this many dead letters
ACTIONS_SHOWN = 50


class ConsoleState:
    """What the console's endpoints read and do, for one gateway process."""

    def __init__(
        self,
        amqp_uri: str,
        management: Management,
        history: QueueHistory,
        engine,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
    ):
        self.amqp_uri = amqp_uri
        self.refresh_seconds = refresh_seconds  # how often the page reads the gateway again
        self.vhost = vhost_of(amqp_uri)
        self.management = management
        self.history = history
        self.engine = engine
        self.dead_letters = DeadLetterQueues(amqp_uri)

    def queue_stats(self) -> list[dict]:
        try:
            return self.management.queues(self.vhost)
        except ManagementError as exc:
            raise ServiceUnavailable("RabbitMQ's management API", str(exc)[:300]) from exc

    def sample(self) -> None:
        self.history.record(self.management.queues(self.vhost), time.time())

    def letters(self, service: str | None, selection: Selection | None) -> list[DeadLetter]:
        letters = []
        for queue in dead_letter_sources(service):
            try:
                found = self.dead_letters.peek(queue, limit=LETTERS_SHOWN)
            except LookupError:
                continue  # not declared yet: no service has started
            letters.extend(found if selection is None else filter(selection, found))
        return letters

    def act(
        self,
        action: str,
        service: str,
        selection: Selection,
        choice: dict,
        actor: dict,
        correlation_id: str | None,
    ) -> list[DeadLetter]:
        """Replay or discard the chosen dead letters of ``service``, and record who did it."""
        if service not in consuming_services():
            raise NotFound(f"{service} has no dead letters: it consumes no events")
        move = self.dead_letters.replay if action == "replay" else self.dead_letters.discard
        try:
            letters = move(service, selection)
        except LookupError as exc:
            raise NotFound(str(exc)) from exc
        with self.engine.begin() as conn:
            conn.execute(
                insert(operator_actions).values(
                    at=dt.datetime.now(dt.UTC),
                    actor_role=actor.get("role") or "-",
                    actor_subject=actor.get("subject") or "-",
                    action=action,
                    service=service,
                    selection=choice,
                    count=len(letters),
                    event_ids=[letter.event_id for letter in letters],
                    correlation_id=correlation_id,
                )
            )
        log.warning(
            "dead_letters_" + ("replayed" if action == "replay" else "discarded"),
            service=service,
            queue=dead_letter_queue(service),
            count=len(letters),
            selection=choice,
            actor_role=actor.get("role"),
            actor_subject=actor.get("subject"),
            correlation_id=correlation_id,
        )
        return letters

    def actions(self, limit: int = ACTIONS_SHOWN) -> list[dict]:
        table = operator_actions
        with self.engine.connect() as conn:
            rows = conn.execute(select(table).order_by(table.c.id.desc()).limit(limit)).all()
        return [
            {
                "at": row.at.isoformat(),
                "actor": {"role": row.actor_role, "subject": row.actor_subject},
                "action": row.action,
                "service": row.service,
                "selection": row.selection,
                "count": row.count,
                "event_ids": row.event_ids,
            }
            for row in rows
        ]


class Console(DependencyProvider):
    """Gives the gateway's methods a ``ConsoleState``; samples the queues while it runs."""

    def setup(self):
        config = self.container.config
        interval = float(config.get("QUEUE_SAMPLE_SECONDS") or DEFAULT_SAMPLE_SECONDS)
        management = Management(
            config.get("RABBITMQ_MANAGEMENT_URL") or DEFAULT_MANAGEMENT_URL, timeout=5
        )
        self.state = ConsoleState(
            config["AMQP_URI"],
            management,
            QueueHistory(interval),
            make_engine(config["DATABASE_URL"], workers=2),
            float(config.get("CONSOLE_REFRESH_SECONDS") or DEFAULT_REFRESH_SECONDS),
        )
        self._sampler = None

    def start(self):
        self._sampler = self.container.spawn_managed_thread(
            self._sample_forever, identifier="console-queue-sampler"
        )

    def stop(self):
        if self._sampler is not None:
            self._sampler.kill()
        self.state.engine.dispose()

    kill = stop

    def _sample_forever(self) -> None:
        warned = False
        while True:
            try:
                self.state.sample()
                warned = False
            except ManagementError as exc:
                if not warned:  # once per outage, not once per sample
                    log.warning("queue_sampling_failed", error=str(exc)[:300])
                warned = True
            eventlet.sleep(self.state.history.interval)

    def get_dependency(self, worker_ctx) -> ConsoleWorker:
        return ConsoleWorker(self.state, actor_of(worker_ctx) or {}, correlation_of(worker_ctx))


@dataclass(frozen=True)
class ConsoleWorker:
    """The console as one request sees it: acting for its caller."""

    state: ConsoleState
    actor: dict
    correlation_id: str

    def __getattr__(self, name: str):
        return getattr(self.state, name)

    def act(self, action: str, service: str, choice: dict) -> list[DeadLetter]:
        return self.state.act(
            action, service, selection_of(choice), choice, self.actor, self.correlation_id
        )
