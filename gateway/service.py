"""The gateway service: one thin ``@api`` method per route of ``routes.ROUTES``.

Each method calls one service over RPC (``GET /stats`` asks three at once) and returns what it
answers; authentication, roles, validation, idempotency, masking and errors are the handler's
(``http``). ``python -m pmi_common.runner gateway`` serves it on ``GATEWAY_ADDRESS``
(127.0.0.1:8000 by default).
"""

from __future__ import annotations

import base64
import datetime as dt
import sys
import time
from dataclasses import asdict
from functools import partial

from werkzeug.wrappers import Response

from pmi_common import contract as c
from pmi_common.context import LogContext
from pmi_common.errors import NotFound
from pmi_common.operations import RETENTION_SECONDS
from pmi_common.rpc import ServiceUnavailable, TimedRpcProxy
from pmi_common.schedule import every

from . import export, health, openapi, routes, verify
from .agency_reads import WorkerTimeline, answer_received, recruit_stats
from .app import files as app_files
from .app import ticket as app_ticket
from .app.door import AppSignIn
from .cache import GLOBAL, Reads
from .console import files, overview
from .console.console import LETTERS_SHOWN, Console
from .console.files import console_file
from .dependencies import (
    AccessRecord,
    Caller,
    CallersAgreement,
    Gateway,
    GatewayRecords,
    gather,
)
from .http import Reply, api
from .ratelimits import forwarded_hops
from .registry import Registry, RegistryReader
from .roles import AGENCY, WORKER
from .verify import verify_page

# what Twilio's webhook is answered with: nothing to send back (TwiML)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class GatewayService:
    name = c.GATEWAY

    registration = TimedRpcProxy(c.REGISTRATION)
    documents = TimedRpcProxy(c.DOCUMENTS)
    orientation = TimedRpcProxy(c.ORIENTATION)
    reintegration = TimedRpcProxy(c.REINTEGRATION)
    protection = TimedRpcProxy(c.PROTECTION)
    notifications = TimedRpcProxy(c.NOTIFICATIONS)
    reporting = TimedRpcProxy(c.REPORTING)
    letters = TimedRpcProxy(c.LETTERS)
    agencies = TimedRpcProxy(c.AGENCIES)
    gateway = Gateway()
    caller = Caller()
    own_records = GatewayRecords()
    access = AccessRecord()
    agreement = CallersAgreement()
    reads = Reads()
    registry = Registry()
    console = Console()
    app_sign_in = AppSignIn()
    log = LogContext()

    @classmethod
    def check_config(cls, config: dict) -> None:
        """Refuse settings the gateway could only fail on later (``FORWARDED_HOPS``); say loudly
        when development mode checks tokens with the development secret (the runner has refused
        every default secret outside development)."""
        try:
            forwarded_hops(config.get("FORWARDED_HOPS"))
        except ValueError as exc:
            raise SystemExit(f"the gateway will not start: {exc}") from exc
        if not config.get("JWT_SECRET"):
            print(
                "WARNING: PMI_ENV=development and no JWT_SECRET: the gateway checks tokens "
                "with the fixed development secret (`pmi token ROLE` mints them). Never run "
                "like this outside a laptop.",
                file=sys.stderr,
            )

    # registration ---------------------------------------------------------------------------

    @api
    def register_worker(self, body: dict) -> dict:
        return self.registration.register_worker(body)

    @api
    def register_former_worker(self, body: dict) -> dict:
        return self.registration.register_former_worker(body)

    @api
    def record_non_procedural_worker(self, body: dict) -> dict:
        return self.registration.record_non_procedural_worker(body)

    def _registry(self) -> RegistryReader | TimedRpcProxy:
        """Where registration's reads are taken: its database, read-only, when the gateway is
        given it (``registry``), else the registration service over RPC."""
        return self.registry or self.registration

    @api
    def list_workers(self, query: dict) -> dict:
        if self.registry is not None:  # one indexed query: cheaper than 40 KB held in the cache
            return self.registry.list_workers(query)
        key = tuple(sorted(query.items()))
        return self.reads.read(
            GLOBAL, ("workers", key), lambda: self.registration.list_workers(query)
        )

    @api
    def get_worker(self, worker_id: str) -> dict:
        return self.reads.read(
            worker_id, ("worker",), lambda: self._registry().get_worker(worker_id)
        )

    @api
    def update_worker(self, worker_id: str, body: dict) -> dict:
        return self._changed(worker_id, self.registration.update_worker(worker_id, body))

    @api
    def get_timeline(self, worker_id: str) -> list | WorkerTimeline:
        timeline = self.reads.read(
            worker_id, ("timeline",), lambda: self._registry().get_timeline(worker_id)
        )
        if (self.caller or {}).get("role") == AGENCY:  # whose recruit? the agreement says
            worker = self.reads.read(
                worker_id, ("worker",), lambda: self._registry().get_worker(worker_id)
            )
            return WorkerTimeline(worker, timeline)
        return timeline

    @api
    def record_departure(self, worker_id: str, body: dict) -> dict:
        return self._changed(worker_id, self.registration.record_departure(worker_id, body))

    @api
    def record_return(self, worker_id: str, body: dict) -> dict:
        return self._changed(worker_id, self.registration.record_return(worker_id, body))

    @api
    def record_death(self, worker_id: str, body: dict) -> dict:
        return self._changed(worker_id, self.registration.record_death(worker_id, body))

    @api
    def withdraw_worker(self, worker_id: str, body: dict) -> dict:
        return self._changed(worker_id, self.registration.withdraw_worker(worker_id, body))

    @api
    def extend_contract(self, worker_id: str, body: dict) -> dict:
        return self._changed(worker_id, self.registration.extend_contract(worker_id, body))

    @api
    def change_employer(self, worker_id: str, body: dict) -> dict:
        return self._changed(worker_id, self.registration.change_employer(worker_id, body))

    @api
    def expect_return(self, worker_id: str, body: dict) -> dict:
        return self._changed(worker_id, self.registration.expect_return(worker_id, body))

    @api
    def contracts_ending(self, query: dict) -> dict:
        return self.registration.contracts_ending(query)

    @api
    def list_family(self, worker_id: str) -> list:
        return self.registration.family_of(worker_id)

    @api
    def add_family_member(self, worker_id: str, body: dict) -> dict:
        return self._changed(worker_id, self.registration.add_family_member(worker_id, body))

    @api
    def change_family_member(self, worker_id: str, member_id: str, body: dict) -> dict:
        return self._changed(
            worker_id, self.registration.change_family_member(worker_id, member_id, body)
        )

    @api
    def remove_family_member(self, worker_id: str, member_id: str) -> dict:
        return self._changed(
            worker_id, self.registration.remove_family_member(worker_id, member_id)
        )

    # the worker's app -----------------------------------------------------------------------

    @api
    def ask_sign_in_code(self, body: dict) -> dict:
        answer, worker_id, code = self.app_sign_in.ask_code(
            body["nik"], body["phone"], self.registration.identify_worker
        )
        if worker_id is not None:  # sent without waiting: the answer takes no longer for it
            self.notifications.cast("send_sign_in_code", worker_id, code, answer["challenge"])
        return answer

    @api
    def try_sign_in_code(self, body: dict) -> dict:
        device = body.get("device_name") or "ponsel"  # a phone, unnamed
        return self.app_sign_in.try_code(str(body["challenge"]), body["code"], device)

    @api
    def refresh_app_token(self, body: dict) -> dict:
        return self.app_sign_in.refresh(body["refresh_token"])

    @api
    def worker_devices(self, worker_id: str) -> list:
        return self.app_sign_in.devices_of(worker_id)

    @api
    def end_worker_device(self, worker_id: str, device_id: str) -> dict:
        return self.app_sign_in.end_device(worker_id, device_id, self.caller or {})

    @every("RETENTION_SECONDS", RETENTION_SECONDS)
    def prune_app_sign_in(self) -> dict:
        """The worker's app's part of the platform's retention run, on its timer: old codes,
        refresh tokens that can no longer be used (``gateway.app.door.SignIns.prune``)."""
        pruned = self.app_sign_in.prune()
        if any(pruned.values()):
            self.log.info("app_sign_in_pruned", **pruned)
        return pruned

    @api
    def worker_disclosures(self, worker_id: str, query: dict) -> dict:
        self.get_worker(worker_id)  # an unknown worker is 404, not an empty record
        return self.agencies.disclosures_of(
            worker_id, int(query.get("limit", 50)), query.get("cursor")
        )

    @api
    def revoke_worker_access(self, worker_id: str, body: dict) -> dict:
        """Every token of the worker's issued until now refused; the worker signs in again."""
        self.get_worker(worker_id)  # an unknown worker is 404
        not_before = self.access.revoke_subject(worker_id, self._by(), body.get("reason"))
        return {"subject": worker_id, "not_before": not_before.isoformat()}

    @api
    def access_log(self, query: dict) -> dict:
        return self.access.log_of_worker(
            str(query["worker_id"]), int(query.get("limit", 50)), query.get("cursor")
        )

    @api
    def export_worker(self, worker_id: str) -> dict:
        """Every service's rows about the worker, the events each received about them, their
        scans as links, and every disclosure of them; what is deliberately left out, with the
        reason. A service that does not answer is named in ``unavailable``, never silently left
        out."""
        registered = self.registration.export_worker(worker_id)
        if not registered.get("workers"):
            raise NotFound(f"no worker {worker_id}")
        answers = gather(
            {
                name: partial(getattr(self, name).export_worker, worker_id)
                for name in (*c.SERVICES, c.AGENCIES)
                if name != c.REGISTRATION
            }
        )
        unavailable = {name for name, a in answers.items() if isinstance(a, Exception)}
        held = {
            c.REGISTRATION: registered,
            **{name: a for name, a in answers.items() if not isinstance(a, Exception)},
            c.GATEWAY: self.own_records.held_about(worker_id),
        }
        self._received(held, unavailable)
        # the export she downloads herself leaves a protected case's account for the desk
        self_service = (self.caller or {}).get("role") == WORKER
        withheld = self_service and export.withhold_protected_accounts(held)
        left_out = [*export.NOT_EXPORTED, *([export.PROTECTED_ACCOUNT] if withheld else [])]
        record = None if c.AGENCIES in unavailable else self._disclosures(worker_id)
        return {
            "worker_id": worker_id,
            "exported_at": dt.datetime.now(dt.UTC).isoformat(),
            "services": held,
            "scans": export.scans(worker_id, held),
            "disclosures": record,
            "not_exported": left_out,
            "unavailable": sorted(unavailable),
        }

    def _disclosures(self, worker_id: str) -> list[dict]:
        """Every disclosure of the worker, newest first."""
        record: list[dict] = []
        cursor = None
        while True:
            page = self.agencies.disclosures_of(worker_id, 200, cursor)
            record += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return record

    def _received(self, held: dict, unavailable: set[str]) -> None:
        """Each service's inbox rows of the events published about the worker, with the event."""
        events = export.published(held)
        if not events:
            return
        ids = sorted(events)
        asked = {
            name: partial(getattr(self, name).received_events, ids)
            for name in (*c.SERVICES, c.AGENCIES)
            if name in held
        }
        for name, rows in gather(asked).items():
            if isinstance(rows, Exception):
                unavailable.add(name)
            elif rows:
                held[name][export.INBOX] = export.with_payloads(rows, events)

    @api
    def get_document_file(self, worker_id: str, document_id: str) -> Response:
        """A scan of one of the worker's documents, as the file it is."""
        scan = self.documents.get_document_file(document_id, worker_id)
        extension = export.EXTENSIONS.get(scan["media_type"], "bin")
        return Response(
            base64.b64decode(scan["content_base64"]),
            mimetype=scan["media_type"],
            headers={
                "Content-Disposition": f'attachment; filename="{document_id}.{extension}"',
                "ETag": f'"{scan["sha256"]}"',
                "Cache-Control": "private, no-store",
            },
        )

    def _changed(self, worker_id: str, answer):
        """This gateway's callers read their own writes: forget what was cached of the worker."""
        self.reads.forget(worker_id)
        self.reads.forget(GLOBAL)
        return answer

    @api
    def get_stats(self) -> dict:
        """Registration's counts, with the document desk's and reintegration's when they answer;
        an agency's, over its own recruits only (``agency_reads.recruit_stats``)."""
        if self._agency_asking() is not None:
            return self._recruit_stats()
        answers = gather(
            {
                "workers": self.registration.get_stats,
                "documents_desk": self.documents.desk_stats,
                "reintegration": self.reintegration.get_stats,
            }
        )
        if isinstance(answers["workers"], Exception):
            raise answers["workers"]
        return self._sections(answers, "stats_section_unavailable")

    def _recruit_stats(self) -> dict:
        agreement = self.agreement()
        if agreement.placement_agency is None:
            return recruit_stats({}, agreement)  # refused: no recruits of its own
        if self.registry is None:
            raise ServiceUnavailable(
                c.REGISTRATION,
                "counts agencies' recruits only through REGISTRATION_READ_DATABASE_URL",
            )
        return recruit_stats(self.registry.recruit_counts(agreement.placement_agency), agreement)

    def _sections(self, answers: dict, event: str) -> dict:
        """The answers, each section whose service failed null and named in ``unavailable``."""
        unavailable = [name for name, answer in answers.items() if isinstance(answer, Exception)]
        for name in unavailable:
            self.log.warning(event, section=name, error=str(answers[name]))
            answers[name] = None
        return {**answers, "unavailable": unavailable}

    # documents ------------------------------------------------------------------------------

    @api
    def submit_document(self, worker_id: str, body: dict) -> dict:
        return self._changed(worker_id, self.documents.submit_document(worker_id, body))

    @api
    def get_checklist(self, worker_id: str) -> dict:
        return self.reads.read(
            worker_id, ("checklist",), lambda: self.documents.get_checklist(worker_id)
        )

    @api
    def desk_queue(self, query: dict) -> dict:
        return self.documents.desk_queue(query)

    @api
    def desk_lapsed_abroad(self, query: dict) -> dict:
        return self.documents.desk_lapsed_abroad(query)

    @api
    def get_document(self, document_id: str) -> dict:
        return self.documents.get_document(document_id)

    @api
    def verify_document(self, document_id: str, body: dict) -> dict:
        document = self.documents.verify_document(document_id, body)
        return self._changed(document["worker_id"], document)

    @api
    def reject_document(self, document_id: str, body: dict) -> dict:
        document = self.documents.reject_document(document_id, body)
        return self._changed(document["worker_id"], document)

    # orientation ----------------------------------------------------------------------------

    @api
    def schedule_session(self, body: dict) -> dict:
        return self.orientation.schedule_session(body)

    @api
    def list_sessions(self, query: dict) -> dict:
        return self.orientation.list_sessions(query)

    @api
    def get_session(self, session_id: str) -> dict:
        return self.orientation.get_session(session_id)

    @api
    def cancel_session(self, session_id: str, body: dict) -> dict:
        return self.orientation.cancel_session(session_id, body)

    @api
    def enrol_worker(self, session_id: str, body: dict) -> dict:
        return self.orientation.enrol_worker(session_id, body)

    @api
    def worker_sessions(self, worker_id: str) -> dict:
        return self.orientation.list_sessions({"upcoming": True})

    @api
    def enrol_self(self, worker_id: str, session_id: str) -> dict:
        return self.orientation.enrol_worker(session_id, {"worker_id": worker_id})

    @api
    def worker_orientation(self, worker_id: str) -> dict:
        return self.orientation.worker_orientation(worker_id)

    @api
    def orientation_ticket(self, worker_id: str) -> Response:
        seat = self.orientation.worker_orientation(worker_id)["seat"]
        if not seat or not seat.get("ticket"):
            raise NotFound(f"worker {worker_id} holds no seat with a ticket")
        return Response(
            app_ticket.qr_svg(seat["ticket"]),
            mimetype="image/svg+xml",
            headers={"Cache-Control": "private, no-store"},
        )

    @api
    def record_attendance(self, session_id: str, body: dict) -> dict:
        return self.orientation.record_attendance(session_id, body)

    @api
    def list_incidents(self, query: dict) -> dict:
        return self.orientation.list_incidents(query)

    @api
    def verify_certificate(self, number: str) -> dict:
        return self.orientation.verify_certificate(number)

    # reintegration --------------------------------------------------------------------------

    @api
    def create_program(self, body: dict) -> dict:
        return self.reintegration.create_program(body)

    @api
    def list_programs(self, query: dict) -> dict:
        return self.reintegration.list_programs(query)

    @api
    def get_program(self, program_id: str) -> dict:
        return self.reintegration.get_program(program_id)

    @api
    def program_stats(self, program_id: str) -> dict:
        return self.reintegration.program_stats(program_id)

    @api
    def enrol_participant(self, program_id: str, body: dict) -> dict:
        return self.reintegration.enrol_participant(program_id, body)

    @api
    def record_round_result(self, program_id: str, body: dict) -> dict:
        return self.reintegration.record_round_result(program_id, body)

    @api
    def complete_participant(self, program_id: str, body: dict) -> dict:
        return self.reintegration.complete_participant(program_id, body)

    @api
    def record_follow_up(self, program_id: str, body: dict) -> dict:
        return self.reintegration.record_follow_up(program_id, body)

    @api
    def join_program(self, worker_id: str, program_id: str) -> dict:
        return self.reintegration.enrol_participant(program_id, {"worker_id": worker_id})

    @api
    def invitations(self, worker_id: str) -> dict:
        return self.reintegration.invitations(worker_id)

    # notifications --------------------------------------------------------------------------

    @api
    def worker_notifications(self, worker_id: str, query: dict) -> dict:
        return self.notifications.messages_of(worker_id, query)

    @api
    def get_notification_choices(self, worker_id: str) -> dict:
        return self.notifications.choices_of(worker_id)

    @api
    def notification_choices(self, worker_id: str, body: dict) -> dict:
        return self.notifications.set_choices(worker_id, body)

    @api
    def notification_reply(self, body: dict) -> dict:
        return self.notifications.receive_reply(body)

    @api
    def notification_usage(self, query: dict) -> dict:
        return self.notifications.usage(query)

    @api
    def console_notifications(self) -> dict:
        return self.notifications.overview()

    @api
    def notification_delivery_report(self, body: dict) -> dict:
        return self.notifications.receive_delivery_report(body)

    @api
    def notification_twilio(self, query: dict, body: dict) -> Response:
        self.notifications.receive_twilio({"params": body, "signature": query["signature"]})
        return Response(EMPTY_TWIML, mimetype="text/xml")

    # protection -----------------------------------------------------------------------------

    @api
    def open_case(self, body: dict) -> dict:
        return self.protection.open_case(body)

    @api
    def report_problem(self, worker_id: str, body: dict) -> dict:
        channel = "app" if (self.caller or {}).get("role") == WORKER else "desk"
        return self.protection.open_case(
            {**body, "worker_id": worker_id, "reporter_kind": "worker", "channel": channel}
        )

    @api
    def list_cases(self, query: dict) -> dict:
        return self.protection.list_cases(query)

    @api
    def get_case(self, case_id: str) -> dict:
        return self.protection.get_case(case_id)

    @api
    def assign_case(self, case_id: str, body: dict) -> dict:
        return self.protection.assign_case(case_id, body)

    @api
    def attach_to_case(self, case_id: str, body: dict) -> dict:
        return self.protection.attach_file(case_id, body)

    @api
    def get_case_attachment(self, case_id: str, attachment_id: str) -> dict:
        return self.protection.get_attachment(case_id, attachment_id)

    @api
    def link_case(self, case_id: str, body: dict) -> dict:
        return self.protection.link_case(case_id, body)

    @api
    def move_case(self, case_id: str, body: dict) -> dict:
        return self.protection.move_case(case_id, body)

    @api
    def answer_case(self, case_id: str, body: dict) -> dict:
        """An agency's answer on a case referred to it (the protection service refuses any other
        agency's as not found); what the platform received, recorded as disclosed by it."""
        answer = self.protection.answer_case(case_id, body)
        worker_id = answer.pop("worker_id", None)
        if worker_id is not None:
            received = answer_received(
                answer["agency"], worker_id, f"/api/v1/cases/{case_id}/updates", answer
            )
            self.agencies.record_disclosures([asdict(received)])
        return answer

    @api
    def answer_referral(self, case_id: str, referral_id: str, body: dict) -> dict:
        return self.protection.answer_referral(case_id, referral_id, _moments(body, "answered_at"))

    @api
    def get_referral_letter(self, case_id: str, referral_id: str) -> Response:
        return _download(self.protection.referral_letter(case_id, referral_id), "private, no-store")

    @api
    def console_cases(self) -> dict:
        return self.protection.case_overview()

    @api
    def public_case_status(self, number: str, query: dict) -> dict:
        return self.protection.public_status(number, query["code"])

    # reporting ------------------------------------------------------------------------------

    @api
    def monthly_report(self, query: dict) -> dict:
        return self.reporting.monthly(query)

    @api
    def monthly_report_csv(self, query: dict) -> Response:
        return _download(self.reporting.download(query, "csv"), "private, no-store")

    @api
    def monthly_report_xlsx(self, query: dict) -> Response:
        return _download(self.reporting.download(query, "xlsx"), "private, no-store")

    @api
    def monthly_report_parquet(self, query: dict) -> Response:
        return _download(self.reporting.download(query, "parquet"), "private, no-store")

    @api
    def monthly_report_pdf(self, query: dict) -> Response:
        return _download(self.reporting.download(query, "pdf"), "private, no-store")

    @api
    def open_data(self, query: dict) -> Response:
        """Published for anyone: a portal or a cache may keep it a while."""
        return _download(self.reporting.download(query, "open-data"), "public, max-age=900")

    # Go-TKI letters ----------------------------------------------------------------------------

    @api
    def request_letter(self, worker_id: str, body: dict) -> dict:
        return self._changed(worker_id, self.letters.request_letter(worker_id, body))

    @api
    def worker_letters(self, worker_id: str) -> dict:
        return self.letters.letters_of_worker(worker_id)

    @api
    def list_letters(self, query: dict) -> dict:
        return self.letters.list_letters(query)

    @api
    def get_letter(self, letter_id: str) -> dict:
        return self.letters.get_letter(letter_id)

    @api
    def decide_family_permission(self, letter_id: str, body: dict) -> dict:
        return self.letters.decide_family_permission(letter_id, body)

    @api
    def get_letter_form(self, letter_id: str) -> Response:
        return _pdf(self.letters.family_permission_form(letter_id))

    @api
    def upload_letter_form(self, letter_id: str, body: dict) -> dict:
        return self.letters.upload_family_permission_form(letter_id, body)

    @api
    def get_letter_form_scan(self, letter_id: str) -> Response:
        scan = self.letters.form_scan(letter_id)
        return Response(
            base64.b64decode(scan["content_base64"]),
            mimetype=scan["media_type"],
            headers={"ETag": f'"{scan["sha256"]}"', "Cache-Control": "private, no-store"},
        )

    @api
    def confirm_letter_form(self, letter_id: str) -> dict:
        return self.letters.confirm_family_permission_form(letter_id)

    @api
    def refuse_letter_form(self, letter_id: str, body: dict) -> dict:
        return self.letters.refuse_family_permission_form(letter_id, body)

    @api
    def issue_letter(self, letter_id: str) -> dict:
        return self.letters.issue_letter(letter_id)

    @api
    def get_letter_pdf(self, letter_id: str) -> Response:
        return _pdf(self.letters.letter_pdf(letter_id))

    @api
    def worker_letter_pdf(self, worker_id: str, letter_id: str) -> Response:
        return _pdf(self.letters.letter_pdf(letter_id, worker_id))

    @api
    def revoke_letter(self, letter_id: str, body: dict) -> dict:
        return self.letters.revoke_letter(letter_id, body)

    @api
    def check_letter(self, code: str) -> dict:
        return self.letters.check_letter(code)

    @verify_page("/verify/<code>")
    def verify_letter_page(self, code: str) -> Response:
        """The page a letter's QR code opens (``gateway/verify.py``)."""
        return verify.answer(self.letters.check_letter(code))

    @verify_page("/verify/certificate/<number>")
    def verify_certificate_page(self, number: str) -> Response:
        """The page an orientation certificate's check link opens (``gateway/verify.py``)."""
        return verify.answer(
            self.orientation.verify_certificate(number), shown=verify.certificate_page
        )

    # agencies' webhooks ------------------------------------------------------------------------

    def _agency_asking(self) -> str | None:
        """The agency of an agency's token: it sees only its own endpoints."""
        caller = self.caller or {}
        return caller.get("agency") if caller.get("role") == AGENCY else None

    def _by(self) -> str:
        return (self.caller or {}).get("subject") or "admin"

    @api
    def list_webhooks(self, agency: str) -> list:
        if self._agency_asking() not in (None, agency):
            raise NotFound(f"no agency {agency}")
        return self.agencies.webhooks_of(agency)

    @api
    def add_webhook(self, agency: str, body: dict) -> dict:
        return self.agencies.add_webhook(
            agency, body["url"], body["events"], self._by(), body.get("description", "")
        )

    @api
    def edit_webhook(self, endpoint_id: str, body: dict) -> dict:
        return self.agencies.edit_webhook(endpoint_id, self._agency_asking(), self._by(), body)

    @api
    def agency_settings(self, agency: str) -> dict:
        if self._agency_asking() not in (None, agency):
            raise NotFound(f"no agency {agency}")
        return self.agencies.agency_settings(agency)

    @api
    def change_agency_settings(self, agency: str, body: dict) -> dict:
        return self.agencies.change_agency_settings(agency, self._by(), body)

    @api
    def rotate_webhook_secret(self, endpoint_id: str, body: dict) -> dict:
        return self.agencies.rotate_webhook_secret(
            endpoint_id, self._agency_asking(), self._by(), body.get("keep_old_for_hours")
        )

    @api
    def disable_webhook(self, endpoint_id: str, body: dict) -> dict:
        return self.agencies.disable_webhook(
            endpoint_id, self._agency_asking(), self._by(), body.get("reason")
        )

    @api
    def enable_webhook(self, endpoint_id: str, body: dict) -> dict:
        return self.agencies.enable_webhook(endpoint_id, self._agency_asking(), self._by())

    @api
    def webhook_deliveries(self, endpoint_id: str, query: dict) -> dict:
        return self.agencies.webhook_deliveries(
            endpoint_id, self._agency_asking(), _moments(query, "since", "until")
        )

    @api
    def replay_webhook(self, endpoint_id: str, body: dict) -> dict:
        asked = _moments(body, "since", "until")
        return {"queued": self.agencies.replay_webhook(endpoint_id, self._agency_asking(), asked)}

    @api
    def console_webhooks(self) -> dict:
        return self.agencies.webhook_health()

    # operations -----------------------------------------------------------------------------

    @api
    def liveness(self) -> dict:
        return {"status": "alive"}

    @api
    def readiness(self) -> Reply:
        """Ready to serve when the broker and the gateway's database answer. A service that is
        down (the agencies service among them: agencies' requests need it) makes the gateway
        ``degraded``, still ready: its routes answer 503 problems and every other route works,
        where taking the gateway out of its load balancer would leave front ends with no answer
        at all."""
        state = self.gateway
        _, checks = health.readiness(
            {
                "broker": health.broker_check(state.amqp_uri, state.readiness_seconds),
                "database": health.database_check(state.ping_database),
                **{
                    name: health.service_check(getattr(self, name).health)
                    for name in (*c.SERVICES, c.AGENCIES)
                },
            },
            state.readiness_seconds,
        )
        up = {name for name, check in checks.items() if check["status"] == health.UP}
        if not {"broker", "database"} <= up:
            return Reply(503, {"status": "unavailable", "checks": checks}, {"Retry-After": "5"})
        return Reply(
            200, {"status": "ready" if up == set(checks) else "degraded", "checks": checks}
        )

    # the operators' console ------------------------------------------------------------------

    @console_file("/app")
    def app_page(self, asset: str) -> Response:
        """The worker's app (``gateway/app/static/index.html``)."""
        return app_files.answer(asset)

    @console_file("/app/<path:asset>")
    def app_file(self, asset: str) -> Response:
        return app_files.answer(asset)

    @console_file("/console")
    def console_page(self, asset: str) -> Response:
        """The console's page (``gateway/console/static/index.html``)."""
        return files.answer(asset, self.console.refresh_seconds)

    @console_file("/console/<path:asset>")
    def console_asset(self, asset: str) -> Response:
        """What the page loads: its scripts, styles and the vendored chart library."""
        return files.answer(asset)

    @api
    def console_health(self) -> dict:
        state = self.gateway
        _, outcomes = health.readiness(
            {
                "broker": health.broker_check(state.amqp_uri, state.readiness_seconds),
                "database": health.database_check(state.ping_database),
                **{name: health.service_check(getattr(self, name).health) for name in c.SERVICES},
            },
            state.readiness_seconds,
        )
        return {
            **overview.platform_health(outcomes, self.console.queue_stats()),
            "checked_at": _now(),
        }

    @api
    def console_me(self) -> dict:
        caller = self.caller or {}
        role = caller.get("role")
        return {"role": role, "subject": caller.get("subject"), "pages": routes.console_pages(role)}

    @api
    def console_queues(self) -> dict:
        now = time.time()
        return {
            "queues": overview.queue_rows(self.console.queue_stats(), self.console.history, now),
            "sample_seconds": self.console.history.interval,
            "checked_at": _now(),
        }

    @api
    def console_dead_letters(self, query: dict) -> dict:
        selection = overview.selection_of({"match": query["match"]}) if query.get("match") else None
        letters = self.console.letters(query.get("service"), selection)
        return {
            "items": [overview.letter_view(letter) for letter in letters],
            "truncated": len(letters) >= LETTERS_SHOWN,
        }

    @api
    def console_replay(self, body: dict) -> dict:
        return self._act_on_dead_letters("replay", body)

    @api
    def console_discard(self, body: dict) -> dict:
        return self._act_on_dead_letters("discard", body)

    def _act_on_dead_letters(self, action: str, body: dict) -> dict:
        choice = {k: v for k, v in body.items() if k != "service"}
        letters = self.console.act(action, body["service"], choice)
        return {
            "action": action,
            "service": body["service"],
            "count": len(letters),
            "event_ids": [letter.event_id for letter in letters],
        }

    @api
    def console_actions(self) -> dict:
        return {"items": self.console.actions()}

    @api
    def console_lifecycle(self) -> dict:
        """Registration's counts, the document desk, orientation seats and reintegration
        funnels; a section whose service does not answer is null and named in ``unavailable``."""
        answers = gather(
            {
                "workers": self.registration.get_stats,
                "documents_desk": self.documents.desk_stats,
                "orientation": lambda: self.orientation.list_sessions({"limit": 200}),
                "reintegration": lambda: self.reintegration.list_programs({"limit": 50}),
            }
        )
        if not isinstance(answers["orientation"], Exception):
            answers["orientation"] = overview.seats(answers["orientation"]["items"])
        if not isinstance(answers["reintegration"], Exception):
            programs = answers["reintegration"]["items"]
            stats = gather(
                {p["id"]: partial(self.reintegration.program_stats, p["id"]) for p in programs}
            )
            answers["reintegration"] = {"funnels": overview.funnels(programs, stats)}
        return self._sections(answers, "console_section_unavailable")

    @api
    def metrics(self) -> Response:
        metrics = self.gateway.metrics
        return Response(metrics.exposition(), headers={"Content-Type": metrics.content_type})

    @api
    def openapi(self) -> dict:
        return openapi.document()

    @api
    def asyncapi(self) -> dict:
        """The published contract as AsyncAPI: the agencies service's document (it publishes the
        events), kept like a global read."""
        return self.reads.read(GLOBAL, ("asyncapi",), self.agencies.asyncapi)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _pdf(pdf: dict) -> Response:
    """A letter's PDF (issued and signed, or the form to print), as an attachment of its name,
    never kept on the way."""
    return Response(
        base64.b64decode(pdf["content_base64"]),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{pdf["filename"]}"',
            "Cache-Control": "private, no-store",
        },
    )


def _download(file: dict, cache_control: str) -> Response:
    """A file the reporting service made (``download``), as an attachment of its name."""
    return Response(
        base64.b64decode(file["content_base64"]),
        mimetype=file["media_type"],
        headers={
            "Content-Disposition": f'attachment; filename="{file["filename"]}"',
            "Cache-Control": cache_control,
        },
    )


def _moments(given: dict, *names: str) -> dict:
    """``given`` with its moments (read at the edge as datetimes) in ISO 8601, for RPC."""
    return {
        k: v.isoformat() if k in names and isinstance(v, dt.datetime) else v
        for k, v in given.items()
    }
