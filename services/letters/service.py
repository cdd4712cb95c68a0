"""The letters service (Go-TKI): the family permission acknowledged by the worker's village, the
office's recommendations for the passport and the police certificate, numbered, signed as PDF,
and checked by anyone with the code on them."""

from __future__ import annotations

import base64

from pmi_common import contract as c
from pmi_common import production
from pmi_common.clock import Clock
from pmi_common.context import LogContext
from pmi_common.errors import NotFound
from pmi_common.metrics import MetricsServer
from pmi_common.names import PERMISSION_RELATIONS
from pmi_common.operations import ServiceOperations
from pmi_common.rpc import TimedRpcProxy, rpc
from pmi_common.store import Database

from . import handlers
from .domain import FAMILY_PERMISSION, REQUESTED
from .models import metadata
from .press import Press, problems
from .rendering import render_form
from .repository import LettersRepository
from .schemas import Giver, LetterView

view = LetterView()


class LettersService(ServiceOperations):
    name = c.LETTERS

    db = Database(metadata, repository=LettersRepository)
    registration = TimedRpcProxy(c.REGISTRATION)
    press = Press()
    metrics = MetricsServer()
    clock = Clock()
    log = LogContext()

    @classmethod
    def check_config(cls, config: dict) -> None:
        """Production refuses to start without the office's signing certificate."""
        found = problems(config)
        if found:
            raise production.Refused(production.refusal(c.LETTERS, found))

    # commands ------------------------------------------------------------------------------

    @rpc
    def request_letter(self, worker_id: str, payload: dict) -> dict:
        worker, family = self._worker(worker_id)
        now = self.clock.now()

        def ask(uow):
            letter = handlers.request_letter(uow, worker_id, payload, now, worker, family)
            self.log.info("letter_requested", letter_id=letter.id, letter_type=letter.letter_type)
            return view.dump(letter)

        return self.db.command(ask)

    @rpc
    def decide_family_permission(self, letter_id: str, payload: dict) -> dict:
        _, family = self._worker(self._worker_of(letter_id))
        now = self.clock.now()
        return self.db.command(
            lambda uow: view.dump(
                handlers.decide_family_permission(
                    uow, letter_id, payload, now, self.clock.today(), family
                )
            )
        )

    @rpc
    def upload_family_permission_form(self, letter_id: str, payload: dict) -> dict:
        _, family = self._worker(self._worker_of(letter_id))
        now = self.clock.now()
        return self.db.command(
            lambda uow: view.dump(
                handlers.upload_family_permission_form(
                    uow, letter_id, payload, now, self.clock.today(), family
                )
            )
        )

    @rpc
    def confirm_family_permission_form(self, letter_id: str) -> dict:
        now = self.clock.now()
        return self.db.command(
            lambda uow: view.dump(handlers.confirm_family_permission_form(uow, letter_id, now))
        )

    @rpc
    def refuse_family_permission_form(self, letter_id: str, payload: dict) -> dict:
        now = self.clock.now()
        return self.db.command(
            lambda uow: view.dump(
                handlers.refuse_family_permission_form(uow, letter_id, payload, now)
            )
        )

    @rpc
    def issue_letter(self, letter_id: str) -> dict:
        worker, family = self._worker(self._worker_of(letter_id))
        now = self.clock.now()

        def issue(uow):
            letter = handlers.issue_letter(
                uow,
                letter_id,
                now,
                self.clock.today(),
                worker,
                family,
                self.press.numbering,
                self.press,
            )
            self.log.info("letter_issued", letter_id=letter.id, number=letter.number)
            return view.dump(letter)

        return self.db.command(issue)

    @rpc
    def revoke_letter(self, letter_id: str, payload: dict) -> dict:
        now = self.clock.now()
        return self.db.command(
            lambda uow: view.dump(handlers.revoke_letter(uow, letter_id, payload, now))
        )

    # queries -------------------------------------------------------------------------------

    @rpc
    def list_letters(self, query: dict) -> dict:
        with self.db.queries() as repository:
            found = handlers.list_letters(repository, query, self.db.actor)
            return {"items": view.dump(found, many=True)}

    @rpc
    def get_letter(self, letter_id: str) -> dict:
        with self.db.queries() as repository:
            letter = handlers.get_letter(repository, letter_id, self.db.actor)
            shown = view.dump(letter)
        if letter.letter_type == FAMILY_PERMISSION and letter.status == REQUESTED:
            # who the village office may name as the permission giver
            _, family = self._worker(letter.worker_id)
            shown["permission_givers"] = Giver().dump(
                [m for m in family if m.get("relation") in PERMISSION_RELATIONS], many=True
            )
        return shown

    @rpc
    def family_permission_form(self, letter_id: str) -> dict:
        """Offline: the form the desk prints for a family permission waiting for the village."""
        with self.db.queries() as repository:
            letter = handlers.get_letter(repository, letter_id, self.db.actor)
        worker, family = self._worker(letter.worker_id)
        if letter.letter_type != FAMILY_PERMISSION or letter.status != REQUESTED or not worker:
            raise NotFound(
                "tidak ada formulir: bukan izin keluarga yang menunggu desa "
                "(no form: not a family permission waiting for the village)"
            )
        givers = [m for m in family if m.get("relation") in PERMISSION_RELATIONS]
        pdf = render_form(letter, worker, givers, self.press.letterhead)
        return {
            "filename": f"formulir-izin-keluarga-{letter.id}.pdf",
            "content_base64": base64.b64encode(pdf).decode(),
        }

    @rpc
    def form_scan(self, letter_id: str) -> dict:
        with self.db.queries() as repository:
            letter = handlers.form_scan(repository, letter_id, self.db.actor)
            assert letter.form_scan is not None
            return {
                "media_type": letter.form_scan_media_type,
                "sha256": letter.form_scan_sha256,
                "content_base64": base64.b64encode(letter.form_scan).decode(),
            }

    @rpc
    def letters_of_worker(self, worker_id: str) -> dict:
        with self.db.queries() as repository:
            return {
                "items": view.dump(handlers.letters_of_worker(repository, worker_id), many=True)
            }

    @rpc
    def letter_pdf(self, letter_id: str, worker_id: str | None = None) -> dict:
        """An issued letter's PDF; with ``worker_id``, only that worker's own (her app)."""
        with self.db.queries() as repository:
            letter = handlers.letter_pdf(repository, letter_id, self.db.actor, worker_id)
            assert letter.pdf is not None
            return {
                "number": letter.number,
                "filename": f"surat-{letter.letter_type}-{letter.verification_code}.pdf",
                "content_base64": base64.b64encode(letter.pdf).decode(),
            }

    @rpc
    def check_letter(self, code: str) -> dict:
        with self.db.queries() as repository:
            return handlers.check_letter(repository, code)

    # ---------------------------------------------------------------------------------------

    def _worker_of(self, letter_id: str) -> str:
        with self.db.queries() as repository:
            return handlers.get_letter(repository, letter_id, self.db.actor).worker_id

    def _worker(self, worker_id: str) -> tuple[dict | None, list[dict]]:
        """Registration's record of the worker and the family list; (None, []) if it has no
        such worker."""
        try:
            return self.registration.get_worker(worker_id), self.registration.family_of(worker_id)
        except NotFound:
            return None, []
