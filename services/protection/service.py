"""The protection service: the complaints desk's cases (*pengaduan*) from the worker, the family
or an agency, their owner, their workflow and time limits, and the family's view of them."""

from __future__ import annotations

import base64

from pmi_common import contract as c
from pmi_common.clock import Clock
from pmi_common.context import LogContext
from pmi_common.errors import NotFound
from pmi_common.metrics import MetricsServer
from pmi_common.operations import ServiceOperations
from pmi_common.rpc import TimedRpcProxy, rpc
from pmi_common.schedule import every
from pmi_common.store import Database

from . import handlers, letters
from .domain import ONBOARDED
from .mailing import Post
from .models import metadata
from .repository import ProtectionRepository
from .schemas import AttachmentView, CaseView, OverviewCaseView, answer_view, public_view


class ProtectionService(ServiceOperations):
    name = c.PROTECTION

    db = Database(metadata, repository=ProtectionRepository)
    registration = TimedRpcProxy(c.REGISTRATION)
    agencies = TimedRpcProxy(c.AGENCIES)
    post = Post()
    metrics = MetricsServer()
    clock = Clock()
    log = LogContext()

    # commands ------------------------------------------------------------------------------

    @rpc
    def open_case(self, payload: dict) -> dict:
        worker = self._worker(payload.get("worker_id") if isinstance(payload, dict) else None)
        now = self.clock.now()

        def receive(uow):
            case, code = handlers.open_case(uow, payload, now, worker, self.clock.zone)
            self.log.info("case_opened", case_id=case.id, urgency=case.urgency)
            return {**self._view().dump(case), "code": code}

        return self.db.command(receive)

    @rpc
    def assign_case(self, case_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: self._view().dump(
                handlers.assign_case(uow, case_id, payload, self.clock.now())
            )
        )

    @rpc
    def link_case(self, case_id: str, payload: dict) -> dict:
        worker = self._worker(payload.get("worker_id") if isinstance(payload, dict) else None)
        return self.db.command(
            lambda uow: self._view().dump(
                handlers.link_case(uow, case_id, payload, self.clock.now(), worker)
            )
        )

    @rpc
    def attach_file(self, case_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: self._view().dump(
                handlers.attach_file(uow, case_id, payload, self.clock.now())
            )
        )

    @rpc
    def move_case(self, case_id: str, payload: dict) -> dict:
        handlers.check_referred_agency(payload, self.agencies.agreement_in_force)
        desk = handlers.LetterDesk(
            self.post.directory, self.post.letterhead, self._letter_worker(case_id, payload)
        )
        return self.db.command(
            lambda uow: self._view().dump(
                handlers.move_case(uow, case_id, payload, self.clock.now(), desk)
            )
        )

    @rpc
    def answer_referral(self, case_id: str, referral_id: str, payload: dict) -> dict:
        """The caseworker records a body's answer on one of the case's referrals."""
        return self.db.command(
            lambda uow: self._view().dump(
                handlers.answer_referral(uow, case_id, referral_id, payload, self.clock.now())
            )
        )

    @rpc
    def answer_case(self, case_id: str, payload: dict) -> dict:
        """An agency's answer on a case referred to it: the step, and the case's worker (the
        gateway records what the platform received from the agency about them)."""

        def answer(uow):
            case, step = handlers.answer_case(uow, case_id, payload, self.clock.now())
            self.log.info("case_answered", case_id=case.id, agency=step.agency)
            return {**answer_view(case, step), "worker_id": case.worker_id}

        return self.db.command(answer)

    # queries -------------------------------------------------------------------------------

    @rpc
    def list_cases(self, query: dict) -> dict:
        now = self.clock.now()
        with self.db.queries() as repository:
            found, total, overdue = handlers.list_cases(repository, query, self.db.actor, now)
            return {
                "items": self._view().dump(found, many=True),
                "open": total,
                "overdue": overdue,
            }

    @rpc
    def get_case(self, case_id: str) -> dict:
        with self.db.queries() as repository:
            return self._view().dump(handlers.get_case(repository, case_id, self.db.actor))

    @rpc
    def get_attachment(self, case_id: str, attachment_id: str) -> dict:
        with self.db.queries() as repository:
            kept = handlers.get_attachment(repository, case_id, attachment_id, self.db.actor)
            return {
                **AttachmentView().dump(kept),
                "content_base64": base64.b64encode(kept.content).decode(),
            }

    @rpc
    def referral_letter(self, case_id: str, referral_id: str) -> dict:
        """A referral's letter (a PDF), to print or send by hand."""
        with self.db.queries() as repository:
            case, referral = handlers.referral_letter(
                repository, case_id, referral_id, self.db.actor
            )
            number = letters.letter_number(case, referral).replace("/", "-")
            return {
                "filename": f"surat-rujukan-{number}.pdf",
                "media_type": "application/pdf",
                "content_base64": base64.b64encode(referral.letter or b"").decode(),
            }

    @rpc
    def case_overview(self) -> dict:
        now = self.clock.now()
        with self.db.queries() as repository:
            found, counts, weeks = handlers.case_overview(repository, self.db.actor, now)
            return {
                "items": OverviewCaseView(now=now, many=True).dump(found),
                **counts,
                "weeks": weeks,
                "as_of": now.isoformat(),
            }

    @rpc
    def public_status(self, number: str, code: str) -> dict:
        with self.db.queries() as repository:
            return public_view(handlers.public_status(repository, number, code))

    @rpc
    def case_reporter(self, case_id: str) -> dict:
        """The case's number and who reported it (the kind, the family member): what the
        notifications service needs to tell the reporter of the case's steps."""
        with self.db.queries() as repository:
            return handlers.case_reporter(repository, case_id)

    # sending -------------------------------------------------------------------------------

    @every("REFERRAL_MAIL_SECONDS", 10.0)
    def mail_referral_letters(self):
        """The referral letters due, mailed to their bodies."""
        self.post.mail_due(self.db.transaction, self.clock.now)

    # ---------------------------------------------------------------------------------------

    def _letter_worker(self, case_id: str, payload) -> dict | None:
        """Registration's record of the worker a case referred to a body outside the platform is
        about, for its letter (None for any other move, or a case about no registered
        worker)."""
        referred = payload.get("referral") if isinstance(payload, dict) else None
        if not isinstance(referred, dict) or referred.get("kind") in (None, ONBOARDED):
            return None
        with self.db.queries() as repository:
            case = repository.get(case_id)
            worker_id = case.worker_id if case is not None else None
        if worker_id is None:
            return None
        try:
            return self.registration.get_worker(worker_id)
        except NotFound:
            return None

    def _worker(self, worker_id) -> dict | None:
        """Registration's record of the worker with the family list, or None if it has none."""
        if not worker_id or not isinstance(worker_id, str):
            return None
        try:
            worker = self.registration.get_worker(worker_id)
            return {**worker, "family": self.registration.family_of(worker_id)}
        except NotFound:
            return None

    def _view(self) -> CaseView:
        return CaseView(now=self.clock.now())
