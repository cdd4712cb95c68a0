"""The notifications service: tells workers by SMS, WhatsApp or e-mail, in Bahasa Indonesia or
English, what the lifecycle's events mean for them; once per event, person and channel, with
their consent, outside quiet hours and within a daily cap."""

from __future__ import annotations

from eventlet.greenpool import GreenPool
from sqlalchemy.exc import IntegrityError

from pmi_common import contract as c
from pmi_common import production
from pmi_common.clock import Clock
from pmi_common.context import LogContext
from pmi_common.errors import NotFound
from pmi_common.inbox import handles
from pmi_common.metrics import MetricsServer
from pmi_common.operations import ServiceOperations
from pmi_common.rpc import TimedRpcProxy, rpc
from pmi_common.schedule import every
from pmi_common.store import Database

from . import domain as d
from . import handlers
from .channels import production_problems
from .models import metadata
from .providers import Providers
from .repository import NotificationsRepository
from .schemas import choices_view, message_view
from .sending import send_backlog, send_now

SEND_SECONDS = 2.0
REMINDER_SECONDS = 600.0


class NotificationsService(ServiceOperations):
    name = c.NOTIFICATIONS

    db = Database(metadata, repository=NotificationsRepository)
    registration = TimedRpcProxy(c.REGISTRATION)
    protection = TimedRpcProxy(c.PROTECTION)
    providers = Providers()
    metrics = MetricsServer()
    clock = Clock()
    log = LogContext()

    @classmethod
    def check_config(cls, config: dict) -> None:
        """Production refuses to start without a configured SMS provider and reply key."""
        found = production_problems(config)
        if found:
            raise production.Refused(production.refusal(c.NOTIFICATIONS, found))

    # events --------------------------------------------------------------------------------

    _contacts: dict[str, dict] | None = None  # the batch's workers' contacts, read at its start

    def apply_event_batch(self, batch):
        """The contacts of the batch's workers asked of registration in one call before it is
        applied, not one call per event (a batch holds up to fifty)."""
        wanted = [d.event.worker_id for d in batch.deliveries if handlers.needs_contact(d.event)]
        self._contacts = self.registration.contacts_of(wanted) if wanted else {}
        return super().apply_event_batch(batch)

    @handles(*handlers.EVENTS)
    def on_event(self, event):
        contact = self._contact(event.worker_id) if handlers.needs_contact(event) else None
        if contact is not None and handlers.needs_family(event):
            contact = {**contact, **self._relatives(event)}
        handler = handlers.EVENTS[event.event_type]
        now = self.clock.now()
        made = self.db.apply_once(
            event, lambda uow: handler(uow, event, contact, now, self.providers.settings)
        )
        self._queued(made)

    def _queued(self, made) -> None:
        for message in made or ():
            self.log.info(
                "notification_queued",
                message_id=message.id,
                kind=message.kind,
                channel=message.channel,
                status=message.status,
                due_at=message.due_at.isoformat(),
            )

    def _contact(self, worker_id: str | None) -> dict | None:
        """Registration's record of the worker: only the phone, the name and the status
        (whether she has died) are read from it."""
        if self._contacts is not None:  # read for the whole batch (None: she is not known)
            return self._contacts.get(worker_id)
        return self.registration.contacts_of([worker_id]).get(worker_id)

    def _relatives(self, event) -> dict:
        """The worker's family list and, for a case's step, protection's record of who
        reported the case (its number, the reporter's kind and family member, nothing more)."""
        found: dict = {"family": self.registration.family_of(event.worker_id), "case": None}
        if handlers.needs_case_reporter(event):
            try:
                found["case"] = self.protection.case_reporter(event.data["case_id"])
            except NotFound:
                pass
        return found

    # sending -------------------------------------------------------------------------------

    @every("NOTIFY_SEND_SECONDS", SEND_SECONDS)
    def send_due(self):
        """A round of every channel, side by side: a slow provider holds up no other."""
        pool = GreenPool(max(len(self.providers.channels), 1))
        for channel in self.providers.channels.values():
            pool.spawn(self._round, channel)
        pool.waitall()

    def _round(self, channel) -> None:
        done = send_backlog(
            self.db.transaction,
            channel,
            self.clock.now,
            self.providers.delays,
            costs=self.providers.settings.costs,
        )
        self.providers.round_done(
            channel.channel, bool(done.down), done.error, self.clock.now().isoformat()
        )

    @every("NOTIFY_REMINDER_SECONDS", REMINDER_SECONDS)
    def remind_sessions(self):
        """The reminders the day before an OPP session, a batch per transaction."""
        self.send_reminders()

    @rpc
    def send_reminders(self) -> int:
        """Queue the reminders due now of tomorrow's OPP sessions; how many were queued."""
        now, queued = self.clock.now(), 0
        while True:
            with self.db.transaction() as uow:
                taken, made = handlers.remind_sessions(uow, now, self.providers.settings)
            self._queued(made)
            if not taken:
                return queued
            queued += len(made)

    # commands ------------------------------------------------------------------------------

    @rpc
    def set_choices(self, worker_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: choices_view(
                handlers.set_choices(uow, worker_id, payload, self.clock.now())
            )
        )

    @rpc
    def send_sign_in_code(self, worker_id: str, code: str, reference: str) -> bool:
        """Send the worker the sign-in code she asked for in her app, now, on her channel (SMS
        when it has no provider); kept in her message log with the code blanked. Whether the
        provider took it; the code is never stored nor logged here (development's local outbox
        writes it to the log instead of sending it: ``channels.OutboxChannel``)."""
        contact = self._contact(worker_id)
        now = self.clock.now()
        try:
            message = self._sign_in_message(worker_id, contact, code, reference, now)
        except IntegrityError:  # her first message, written by an event at the same moment
            message = self._sign_in_message(worker_id, contact, code, reference, now)
        if message is None or message.status != d.PENDING:
            self.log.warning("sign_in_code_not_sent", worker_id=worker_id, reference=reference)
            return False
        channel = self.providers.channels.get(message.channel) or self.providers.channels[d.SMS]
        return send_now(
            self.db.transaction,
            channel,
            message,
            d.without_code(message, code),
            self.clock.now,
            self.providers.settings.costs,
        )

    def _sign_in_message(self, worker_id, contact, code, reference, now):
        with self.db.transaction() as uow:
            return handlers.sign_in_code(
                uow, worker_id, contact, code, reference, now, self.providers.settings
            )

    @rpc
    def receive_reply(self, payload: dict) -> dict:
        return self.db.command(
            lambda uow: handlers.receive_reply(
                uow, payload, self.clock.now(), self.providers.settings
            )
        )

    @rpc
    def receive_delivery_report(self, payload: dict) -> dict:
        return self.db.command(
            lambda uow: handlers.receive_delivery_report(
                uow, payload, self.clock.now(), self.providers.settings
            )
        )

    @rpc
    def receive_twilio(self, payload: dict) -> dict:
        """A call of Twilio's webhook: an incoming SMS or a status callback."""
        return self.db.command(
            lambda uow: handlers.receive_twilio(
                uow, payload, self.clock.now(), self.providers.settings
            )
        )

    # queries -------------------------------------------------------------------------------

    @rpc
    def messages_of(self, worker_id: str, query: dict | None = None) -> dict:
        with self.db.queries() as repository:
            found = handlers.messages_of(repository, worker_id, query or {})
            return {"worker_id": worker_id, "items": [message_view(m) for m in found]}

    @rpc
    def usage(self, query: dict) -> dict:
        """The month's count and cost per channel, for the office's budget."""
        with self.db.queries() as repository:
            return handlers.usage(repository, query, self.providers.settings)

    @rpc
    def overview(self) -> dict:
        """The console's view: providers' health, messages waiting, and per hour of the last
        day those sent, delivered and failed."""
        with self.db.queries() as repository:
            return handlers.overview(
                repository, self.clock.now(), self.providers.settings, self.providers.health
            )

    @rpc
    def choices_of(self, worker_id: str) -> dict:
        with self.db.queries() as repository:
            return choices_view(handlers.choices_of(repository, worker_id))
