"""The agencies service's relay: puts each agency's queued published events into its queue, and
records each one delivered as a disclosure.

Agency by agency, oldest first (so each worker's events keep their order), a batch is claimed
(``FOR UPDATE SKIP LOCKED``: several agencies processes never deliver a row twice), published to
``agency.<name>.events`` through the default exchange with publisher confirms, in the form the
agency chose (its settings' ``queue_format``: the platform's own, or a CloudEvent, see
``cloud_events``), then, in the same transaction, recorded in ``disclosures`` and removed. A
crash between the broker's confirm and the commit delivers the batch again (agencies drop
repeats by ``event_id``) and records it once. An agency whose queue is missing or refuses
messages (full) waits, and is tried again later, without holding back the others. An agency
whose agreement is no longer in force gets nothing more: what was queued for it is dropped,
and logged.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import amqp
import structlog
from kombu import Connection
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from pmi_common.agreement import PLATFORM, Agreement, Disclosure
from pmi_common.relay import ConfirmingPublisher
from services.agencies.agreement_repository import AgreementRepository
from services.agencies.queues import agency_queue
from services.agencies.settings import SettingsRepository

from .cloud_events import DEFAULT_CATALOGUE_URL, queue_message
from .models import agency_deliveries as table
from .repository import AgenciesRepository

log = structlog.get_logger(__name__)

BATCH_SIZE = 200
IDLE_POLL_SECONDS = 0.5
RETRY_AFTER_SECONDS = 5.0  # an agency whose queue refused waits this long
QUEUE_CHECKED_FOR_SECONDS = 30.0  # how long a queue seen to exist is trusted to


class QueueMissing(RuntimeError):
    pass


def still_granted(envelope: dict, agreement: Agreement) -> dict | None:
    """A queued published event as the agreement grants it now (None: no longer at all)."""
    granted = agreement.granted(envelope["event_type"])
    if not granted:
        return None
    return {**envelope, "data": {k: v for k, v in envelope["data"].items() if k in granted}}


def disclosure(agency: str, channel: str, row, envelope: dict) -> Disclosure:
    """What delivering one queued event (``row``) as ``envelope`` disclosed: the fields it
    carried with a value."""
    return Disclosure(
        agency=agency,
        worker_id=row.worker_id,
        channel=channel,
        what=row.event_type,
        reference=row.event_id,
        fields=sorted(name for name, value in envelope["data"].items() if value is not None),
    )


class Rounds:
    """Runs ``one_round()`` until stopped, outliving broker and database outages; when a round
    did nothing, waits ``IDLE_POLL_SECONDS`` or until woken."""

    retrying = "agency_delivery_retrying"  # what the log says when a round failed

    def __init__(self):
        self._wake = threading.Event()
        self._running = False

    def one_round(self) -> int:
        raise NotImplementedError

    def after_error(self) -> None:
        """Drop what a failed round may have left broken (a connection)."""

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._running = False
        self._wake.set()

    def run(self) -> None:
        self._running = True
        while self._running:
            try:
                done = self.one_round()
            except Exception as exc:  # noqa: BLE001 - deliveries outlive broker/db outages
                log.warning(self.retrying, error=str(exc))
                self.after_error()
                done = 0
            if done == 0:
                self._wake.wait(IDLE_POLL_SECONDS)
                self._wake.clear()
        self.after_error()


class DeliveryRelay(Rounds):
    def __init__(
        self,
        engine: Engine,
        amqp_uri: str,
        agreements: AgreementRepository,
        catalogue_url: str = DEFAULT_CATALOGUE_URL,
    ):
        super().__init__()
        self.engine = engine
        self.amqp_uri = amqp_uri
        self.agreements = agreements
        self.settings = SettingsRepository(engine)
        self.catalogue_url = catalogue_url
        self.publisher = ConfirmingPublisher(amqp_uri)
        self.resting: dict[str, float] = {}  # agency -> monotonic time it may be tried again
        self.queue_seen: dict[str, float] = {}  # queue -> monotonic time it was seen
        self.delivered_total = 0

    def one_round(self) -> int:
        return self.deliver_round()

    def after_error(self) -> None:
        self.publisher.close()

    def waiting_agencies(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(table.c.agency).group_by(table.c.agency).order_by(func.min(table.c.id))
                ).scalars()
            )

    def deliver_round(self) -> int:
        """One batch for each agency with events waiting; how many were delivered."""
        delivered = 0
        now = time.monotonic()
        for agency in self.waiting_agencies():
            if self.resting.get(agency, 0) > now:
                continue
            try:
                delivered += self.deliver_batch(agency)
                self.resting.pop(agency, None)
            except (
                QueueMissing,
                amqp.exceptions.AMQPError,
                ConnectionError,
                OSError,
                RuntimeError,
            ) as exc:
                log.warning(
                    "agency_delivery_waiting",
                    agency=agency,
                    error=str(exc),
                    retry_in=RETRY_AFTER_SECONDS,
                )
                self.publisher.close()
                self.queue_seen.pop(agency_queue(agency), None)
                self.resting[agency] = now + RETRY_AFTER_SECONDS
        self.delivered_total += delivered
        return delivered

    def deliver_batch(self, agency: str) -> int:
        moment = dt.datetime.now(dt.UTC)
        agreement = self.agreements.get(agency)
        queue_format = self.settings.get(agency).queue_format
        with Session(self.engine) as session, session.begin():
            rows = session.execute(
                select(table)
                .where(table.c.agency == agency)
                .order_by(table.c.id)
                .limit(BATCH_SIZE)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            ids = [row.id for row in rows]
            if agreement is None or not agreement.in_force(moment):
                session.execute(delete(table).where(table.c.id.in_(ids)))
                log.warning(
                    "agency_delivery_withheld",
                    agency=agency,
                    events=len(rows),
                    reason="the agency's agreement is no longer in force",
                )
                return 0
            queue = agency_queue(agency)
            self._require_queue(queue)
            # an agreement narrowed since the rows were queued: what it no longer grants stays
            sending = [
                (row, envelope)
                for row in rows
                if (envelope := still_granted(row.envelope, agreement)) is not None
            ]
            if sending:
                self.publisher.publish_messages(
                    [("", queue, self.message(envelope, queue_format)) for _, envelope in sending]
                )
            AgenciesRepository(session).record_disclosures(
                [
                    disclosure(agency, "amqp", row, envelope)
                    for row, envelope in sending
                    if row.worker_id
                ],
                moment,
            )
            session.execute(delete(table).where(table.c.id.in_(ids)))
        return len(sending)

    def message(self, envelope: dict, queue_format: str):
        if queue_format == PLATFORM:
            return self.publisher.message_of(envelope)
        form = queue_message(envelope, queue_format, self.catalogue_url)
        return self.publisher.message_of(envelope, form.body, form.content_type, form.headers)

    def _require_queue(self, queue: str) -> None:
        """Publishing to a queue that does not exist would be confirmed and lost."""
        if (
            time.monotonic() - self.queue_seen.get(queue, -QUEUE_CHECKED_FOR_SECONDS)
            < QUEUE_CHECKED_FOR_SECONDS
        ):
            return
        with Connection(self.amqp_uri) as connection:
            try:
                connection.channel().queue_declare(queue, passive=True)
            except amqp.exceptions.NotFound as exc:
                raise QueueMissing(f"no queue {queue}") from exc
        self.queue_seen[queue] = time.monotonic()
