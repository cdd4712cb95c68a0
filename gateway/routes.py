"""The gateway's one table: every endpoint, who may call it, what it takes and what it answers.

Each row is served by the ``GatewayService`` method of the same name. The HTTP handler checks the
caller's role against ``roles`` before anything else happens; a ``worker`` token (self-service)
reaches a route only when the route names a ``{worker_id}`` and it is the token's own ``sub``.
The OpenAPI document is generated from this table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from marshmallow import Schema

from pmi_common.contract import (
    AGENCIES,
    DOCUMENTS,
    LETTERS,
    NOTIFICATIONS,
    ORIENTATION,
    PROTECTION,
    REGISTRATION,
    REINTEGRATION,
    REPORTING,
    SERVICES,
)

from . import schemas as s
from . import views as v
from .roles import (
    ADMIN,
    AGENCY,
    AUDITORS,
    CASE_FILERS,
    CASEWORK,
    CONSOLE,
    CONSOLE_USERS,
    DESK,
    DOCUMENT_DESK,
    LETTER_DESK,
    LETTER_READERS,
    OPERATIONS,
    OPERATOR,
    PROGRAMMES,
    PUBLIC,
    READERS,
    REPORTS,
    STAFF,
    VILLAGE_OFFICE,
    WORKER,
)

PREFIX = "/api/v1"
SMALL_BODY = 64 * 1024  # bytes
SCAN_BODY = 6 * 1024 * 1024  # a document with its scan, base64-encoded
_PARAM = re.compile(r"{(\w+)}")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORM = "application/x-www-form-urlencoded"
ZIP = "application/zip"


@dataclass(frozen=True)
class Route:
    name: str  # the operationId, and the GatewayService method that serves it
    method: str
    path: str  # under PREFIX
    roles: frozenset[str]
    summary: str
    tag: str  # the service it asks, or operations
    body: type[Schema] | None = None
    query: type[Schema] = s.NoQuery
    response: type[Schema] | Schema | None = None
    status: int = 200
    answers: tuple[int, ...] = ()  # other statuses answered with ``response`` (not a problem)
    calls: tuple[str, ...] = ()  # the services it asks (a 503 or 504 when they do not answer)
    max_body: int = SMALL_BODY
    worker_fields: frozenset[str] | None = None  # what a worker may send, when not everything
    creates: str | None = None  # the path parameter that names what a 201 created
    media_type: str = "application/json"
    body_media_type: str = "application/json"  # or FORM: a provider's webhook
    personal: bool = True  # answers may hold a worker's data: shaped for the caller's role
    audited: bool = False  # a read of a worker's record: written to the access log
    # (header, query parameter): a secret the caller may send as a header instead of in the URL
    header_query: tuple[tuple[str, str], ...] = ()
    refuses: tuple[int, ...] = ()  # problems it answers beyond those its shape implies

    @property
    def public(self) -> bool:
        return not self.roles

    @property
    def writes(self) -> bool:
        return self.method in ("POST", "PATCH", "PUT", "DELETE")

    @cached_property
    def body_schema(self) -> Schema | None:
        """One instance per route: loading with it keeps no state."""
        return self.body() if self.body is not None else None

    @cached_property
    def query_schema(self) -> Schema:
        return self.query()

    @property
    def takes_query(self) -> bool:
        return self.query is not s.NoQuery

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))

    @property
    def id_parameters(self) -> tuple[str, ...]:
        """Path parameters that name a record by its UUID."""
        return tuple(p for p in self.parameters if p.endswith("_id"))

    @property
    def url_rule(self) -> str:
        return PREFIX + _PARAM.sub(r"<\1>", self.path)

    def allows(self, role: str | None) -> bool:
        return self.public or role in self.roles


def _route(
    name: str, method: str, path: str, roles: frozenset[str], summary: str, **kwargs
) -> Route:
    route = Route(name, method, path, roles, summary, **kwargs)
    if WORKER in route.roles and "worker_id" not in route.parameters:
        raise ValueError(f"{name}: a worker may only call routes about a {{worker_id}}")
    return route


def _asking(service: str):
    """Rows of the routes that ask ``service``."""

    def row(*args, **kwargs) -> Route:
        kwargs.setdefault("calls", (service,))
        return _route(*args, tag=service, **kwargs)

    return row


def _operations(*args, **kwargs) -> Route:
    return _route(*args, tag="operations", personal=False, **kwargs)


def _app(*args, **kwargs) -> Route:
    """The worker's app's sign-in and devices: in the gateway's own database."""
    return _route(*args, tag="app", personal=False, **kwargs)


def _webhooks(*args, **kwargs) -> Route:
    """An agency's webhook endpoints and their delivery log: in the gateway's own database; an
    agency reads only its own."""
    return _route(*args, tag="webhooks", personal=False, **kwargs)


registration, documents = _asking(REGISTRATION), _asking(DOCUMENTS)
orientation, reintegration = _asking(ORIENTATION), _asking(REINTEGRATION)
protection = _asking(PROTECTION)
notifications = _asking(NOTIFICATIONS)
reporting = _asking(REPORTING)
letters = _asking(LETTERS)
SELF = READERS | {WORKER}  # staff who read, and the worker themself
STAFF_SELF = STAFF | {WORKER}  # the same without agencies (no agreement grants these answers)
OWN_AGENCY = OPERATIONS | {AGENCY}  # the admin, and an agency about its own webhooks
LAPSED_DESK = DOCUMENT_DESK | {OPERATOR}  # documents lapsed abroad: both desks see the warnings

ROUTES: tuple[Route, ...] = (
    registration(
        "register_worker",
        "POST",
        "/workers",
        DESK,
        "Register a prospective migrant worker",
        body=s.RegisterWorker,
        response=v.WorkerView,
        status=201,
        creates="worker_id",
    ),
    registration(
        "register_former_worker",
        "POST",
        "/former-workers",
        DESK,
        "Register a former migrant worker (mantan PMI) with a past placement abroad: a "
        "returnee from the start, without the pre-departure gates",
        body=s.RegisterFormerWorker,
        response=v.WorkerView,
        status=201,
        creates="worker_id",
    ),
    registration(
        "record_non_procedural_worker",
        "POST",
        "/non-procedural-workers",
        DESK,
        "Record a worker abroad who left outside the procedure, with what the family knows: "
        "abroad from the start, flagged non-procedural; they may return and be reintegrated",
        body=s.RecordNonProceduralWorker,
        response=v.WorkerView,
        status=201,
        creates="worker_id",
    ),
    registration(
        "list_workers",
        "GET",
        "/workers",
        READERS,
        "Workers by stage, status, regency and destination country",
        query=s.ListWorkers,
        response=v.WorkerPage,
    ),
    registration(
        "get_worker",
        "GET",
        "/workers/{worker_id}",
        SELF,
        "A worker, with status and stage",
        response=v.WorkerView,
        audited=True,
    ),
    registration(
        "update_worker",
        "PATCH",
        "/workers/{worker_id}",
        DESK | {WORKER},
        "Change contact details (the worker too) or record the BPJS number (the desk)",
        body=s.UpdateWorker,
        response=v.WorkerView,
        worker_fields=frozenset({"phone", "address"}),
    ),
    registration(
        "get_timeline",
        "GET",
        "/workers/{worker_id}/timeline",
        SELF,
        "Everything that happened to a worker, oldest first",
        response=v.TimelineEntryView(many=True),
        audited=True,
    ),
    registration(
        "record_departure",
        "POST",
        "/workers/{worker_id}/departure",
        DESK,
        "Record a cleared worker's departure",
        body=s.RecordDeparture,
        response=v.WorkerView,
    ),
    registration(
        "record_return",
        "POST",
        "/workers/{worker_id}/return",
        DESK,
        "Record a worker's return home",
        body=s.RecordReturn,
        response=v.WorkerView,
    ),
    registration(
        "record_death",
        "POST",
        "/workers/{worker_id}/death",
        DESK,
        "Record that a worker died (abroad or at home): final; the heirs from the family list",
        body=s.RecordDeath,
        response=v.WorkerView,
    ),
    registration(
        "withdraw_worker",
        "POST",
        "/workers/{worker_id}/withdrawal",
        DESK,
        "Record that a worker withdraws before departure",
        body=s.Withdraw,
        response=v.WorkerView,
    ),
    registration(
        "extend_contract",
        "POST",
        "/workers/{worker_id}/contract/extension",
        DESK,
        "Extend a worker's contract abroad to a new end date (the expected return follows)",
        body=s.ExtendContract,
        response=v.WorkerView,
    ),
    registration(
        "change_employer",
        "POST",
        "/workers/{worker_id}/employer-change",
        DESK,
        "Record that a worker abroad works for another employer, with the reason",
        body=s.ChangeEmployer,
        response=v.WorkerView,
    ),
    registration(
        "expect_return",
        "POST",
        "/workers/{worker_id}/expected-return",
        DESK,
        "Record when a worker abroad is expected home",
        body=s.ExpectReturn,
        response=v.WorkerView,
    ),
    registration(
        "contracts_ending",
        "GET",
        "/contracts/ending",
        STAFF,
        "Workers abroad whose contract ends within `within_days` (90), or has ended without "
        "a return: the reintegration desk's outreach list, soonest first",
        query=s.ContractsEnding,
        response=v.WorkerPage,
    ),
    registration(
        "list_family",
        "GET",
        "/workers/{worker_id}/family",
        DESK | {WORKER},
        "The worker's family members and emergency contacts",
        response=v.FamilyMemberView(many=True),
        audited=True,
    ),
    registration(
        "add_family_member",
        "POST",
        "/workers/{worker_id}/family",
        DESK | {WORKER},
        "Add a family member or emergency contact (heir, contact, the worker's consent)",
        body=s.AddFamilyMember,
        response=v.FamilyMemberView,
        status=201,
    ),
    registration(
        "change_family_member",
        "PATCH",
        "/workers/{worker_id}/family/{member_id}",
        DESK | {WORKER},
        "Change a family member's details, flags or the worker's consent to contact them",
        body=s.ChangeFamilyMember,
        response=v.FamilyMemberView,
    ),
    registration(
        "remove_family_member",
        "DELETE",
        "/workers/{worker_id}/family/{member_id}",
        DESK | {WORKER},
        "Remove a family member from the worker's record (the answer is the member removed)",
        response=v.FamilyMemberView,
    ),
    _app(
        "ask_sign_in_code",
        "POST",
        "/app/sign-in",
        PUBLIC,
        "The worker's app: send a six-digit code (five minutes, five tries) to the phone on "
        "record for this NIK; the same answer whether or not they match a worker; rate limited "
        "per NIK and per phone",
        body=s.AskSignInCode,
        response=v.SignInChallengeView,
        status=202,
        calls=(REGISTRATION, NOTIFICATIONS),
    ),
    _app(
        "try_sign_in_code",
        "POST",
        "/app/sign-in/verify",
        PUBLIC,
        "The worker's app: the code received, for a 15-minute worker token and a 30-day refresh "
        "token for this device (401: wrong, expired or tried five times)",
        body=s.TrySignInCode,
        response=v.AppTokensView,
        refuses=(401,),  # a wrong, expired or spent code
    ),
    _app(
        "refresh_app_token",
        "POST",
        "/app/token",
        PUBLIC,
        "The worker's app: trade the device's refresh token for the next pair; a refresh token "
        "already traded, presented again, ends the device",
        body=s.RefreshAppToken,
        response=v.AppTokensView,
        refuses=(401,),  # a spent or ended device's refresh token
    ),
    _app(
        "worker_devices",
        "GET",
        "/workers/{worker_id}/devices",
        DESK | {WORKER},
        "The devices signed in to the worker's app, newest first, ended ones too",
        response=v.DeviceView(many=True),
    ),
    _app(
        "end_worker_device",
        "DELETE",
        "/workers/{worker_id}/devices/{device_id}",
        DESK | {WORKER},
        "End a device of the worker's app (a lost phone): its refresh token and its access "
        "tokens are refused from now",
        response=v.DeviceView,
    ),
    registration(
        "worker_disclosures",
        "GET",
        "/workers/{worker_id}/disclosures",
        DESK | {WORKER},
        "Which agencies received what about this worker, and when (newest first)",
        query=s.ListDisclosures,
        response=v.DisclosurePage,
        audited=True,
    ),
    registration(
        "export_worker",
        "GET",
        "/workers/{worker_id}/export",
        DESK | {WORKER},
        "Everything the platform holds about this worker, as one document",
        response=v.ExportView,
        calls=SERVICES,
        audited=True,
    ),
    registration(
        "revoke_worker_access",
        "POST",
        "/workers/{worker_id}/access/revoke",
        DESK,
        "End a worker's access: every token of theirs issued until now is refused (a lost "
        "phone); the worker signs in again for a new one",
        body=s.RevokeAccess,
        response=v.AccessRevokedView,
    ),
    registration(
        "get_stats",
        "GET",
        "/stats",
        READERS,
        "Counts by stage, status, regency and country; the document desk; reintegration. "
        "An agency: its own recruits only, by what its agreement grants, no count below 5",
        response=v.StatsView,
        calls=(REGISTRATION, DOCUMENTS, REINTEGRATION),
    ),
    documents(
        "submit_document",
        "POST",
        "/workers/{worker_id}/documents",
        DOCUMENT_DESK | {WORKER},
        "Submit a document (with its scan) for verification",
        body=s.SubmitDocument,
        response=v.DocumentView,
        status=201,
        max_body=SCAN_BODY,
        creates="document_id",
    ),
    documents(
        "get_checklist",
        "GET",
        "/workers/{worker_id}/documents",
        STAFF_SELF,
        "The checklist: each required document, its latest submission and status",
        response=v.ChecklistView,
    ),
    documents(
        "get_document_file",
        "GET",
        "/workers/{worker_id}/documents/{document_id}/file",
        DESK | DOCUMENT_DESK | {WORKER},
        "A scan of one of the worker's documents, as the file it is (PDF, JPEG or PNG); the "
        "export links each",
        media_type="application/octet-stream",
        audited=True,
    ),
    documents(
        "desk_queue",
        "GET",
        "/documents/queue",
        DOCUMENT_DESK,
        "Documents waiting for a decision, oldest first",
        query=s.DeskQueue,
        response=v.DocumentPage,
    ),
    documents(
        "desk_lapsed_abroad",
        "GET",
        "/documents/lapsed-abroad",
        LAPSED_DESK,
        "Passports and work visas that lapsed while their workers are abroad and are not "
        "renewed yet (a renewal verified takes one off): the desk's warnings, newest lapse first",
        query=s.LapsedAbroad,
        response=v.LapsedAbroadPage,
    ),
    documents(
        "get_document",
        "GET",
        "/documents/{document_id}",
        STAFF,
        "A document",
        response=v.DocumentView,
    ),
    documents(
        "verify_document",
        "POST",
        "/documents/{document_id}/verify",
        DOCUMENT_DESK,
        "Accept a document",
        body=s.VerifyDocument,
        response=v.DocumentView,
    ),
    documents(
        "reject_document",
        "POST",
        "/documents/{document_id}/reject",
        DOCUMENT_DESK,
        "Reject a document, with the reason",
        body=s.RejectDocument,
        response=v.DocumentView,
    ),
    orientation(
        "schedule_session",
        "POST",
        "/orientation/sessions",
        PROGRAMMES,
        "Schedule a pre-departure orientation (OPP) session",
        body=s.ScheduleSession,
        response=v.SessionView,
        status=201,
        creates="session_id",
    ),
    orientation(
        "list_sessions",
        "GET",
        "/orientation/sessions",
        READERS,
        "Orientation sessions",
        query=s.ListSessions,
        response=v.SessionPage,
    ),
    orientation(
        "get_session",
        "GET",
        "/orientation/sessions/{session_id}",
        READERS,
        "An orientation session",
        response=v.SessionView,
    ),
    orientation(
        "cancel_session",
        "POST",
        "/orientation/sessions/{session_id}/cancellation",
        PROGRAMMES,
        "Cancel a session; its enrolments are released",
        body=s.CancelSession,
        response=v.SessionView,
    ),
    orientation(
        "enrol_worker",
        "POST",
        "/orientation/sessions/{session_id}/enrollments",
        PROGRAMMES,
        "Enrol a worker whose documents are verified",
        body=s.EnrolWorker,
        response=v.EnrolmentView,
        status=201,
    ),
    orientation(
        "worker_sessions",
        "GET",
        "/workers/{worker_id}/orientation/sessions",
        STAFF_SELF,
        "The orientation sessions to come, with their free seats, as the worker's app shows them",
        response=v.SessionPage,
        personal=False,  # sessions: days, places and seats, no one's data
    ),
    orientation(
        "enrol_self",
        "POST",
        "/workers/{worker_id}/orientation/sessions/{session_id}/enrollment",
        PROGRAMMES | {WORKER},
        "Enrol the worker in a session from her app (409 unless her documents are verified, "
        "or when it is full)",
        response=v.EnrolmentView,
        status=201,
        personal=False,  # the seat taken: ids and a status
    ),
    orientation(
        "worker_orientation",
        "GET",
        "/workers/{worker_id}/orientation",
        DESK | {WORKER},
        "The worker's own orientation, as her app shows it: the seat she holds with its ticket "
        "(an opaque code the check-in reads), and her certificate (number and date) once she "
        "attended",
        response=v.WorkerOrientationView,
    ),
    orientation(
        "orientation_ticket",
        "GET",
        "/workers/{worker_id}/orientation/ticket",
        DESK | {WORKER},
        "The QR code (SVG) of the ticket of the seat the worker holds: it holds the ticket's "
        "code and nothing else, for the check-in at the session (404 without a seat)",
        media_type="image/svg+xml",
        personal=False,  # the opaque ticket code only
    ),
    orientation(
        "record_attendance",
        "POST",
        "/orientation/sessions/{session_id}/attendance",
        PROGRAMMES,
        "Record attendance, the worker named by her id or by the ticket in her app (its QR); "
        "the NIK presented must match the worker's",
        body=s.RecordAttendance,
        response=v.CompletionView,
    ),
    orientation(
        "list_incidents",
        "GET",
        "/orientation/incidents",
        DESK,
        "Attendance refused because the NIK presented did not match",
        query=s.ListIncidents,
        response=v.IncidentPage,
    ),
    orientation(
        "verify_certificate",
        "GET",
        "/certificates/{number}",
        PUBLIC,
        "Check an orientation certificate (public). The page /verify/certificate/{number} "
        "says whether it is valid to a person, with its date and the holder's initials only",
        response=v.CertificateView,
    ),
    reintegration(
        "create_program",
        "POST",
        "/reintegration/programs",
        PROGRAMMES,
        "Create a reintegration (entrepreneurship) programme with its selection rounds",
        body=s.CreateProgram,
        response=v.ProgramView,
        status=201,
        creates="program_id",
    ),
    reintegration(
        "list_programs",
        "GET",
        "/reintegration/programs",
        READERS,
        "Programmes",
        query=s.ListPrograms,
        response=v.ProgramPage,
    ),
    reintegration(
        "get_program",
        "GET",
        "/reintegration/programs/{program_id}",
        READERS,
        "A programme",
        response=v.ProgramView,
    ),
    reintegration(
        "program_stats",
        "GET",
        "/reintegration/programs/{program_id}/stats",
        READERS,
        "A programme's funnel: enrolled, each round, completed, businesses, awards",
        response=v.ProgramStatsView,
    ),
    reintegration(
        "enrol_participant",
        "POST",
        "/reintegration/programs/{program_id}/enrollments",
        PROGRAMMES,
        "Enrol a prospective or returned worker",
        body=s.EnrolParticipant,
        response=v.ParticipantView,
        status=201,
    ),
    reintegration(
        "record_round_result",
        "POST",
        "/reintegration/programs/{program_id}/rounds",
        PROGRAMMES,
        "Record a participant's result in a selection round",
        body=s.RecordRoundResult,
        response=v.ParticipantView,
    ),
    reintegration(
        "complete_participant",
        "POST",
        "/reintegration/programs/{program_id}/completions",
        PROGRAMMES,
        "Record a participant's completion and outcome",
        body=s.CompleteParticipant,
        response=v.ParticipantView,
    ),
    reintegration(
        "record_follow_up",
        "POST",
        "/reintegration/programs/{program_id}/follow-ups",
        PROGRAMMES,
        "Record a business's follow-up 6 or 12 months after the completion: running, income "
        "band, migrated again",
        body=s.RecordFollowUp,
        response=v.ParticipantView,
    ),
    reintegration(
        "join_program",
        "POST",
        "/workers/{worker_id}/reintegration/programs/{program_id}/enrollment",
        PROGRAMMES | {WORKER},
        "The worker applies to a programme open to her from her app (409 when it is not for "
        "her, full or closed, or she is in it already)",
        response=v.ParticipantView,
        status=201,
    ),
    reintegration(
        "invitations",
        "GET",
        "/workers/{worker_id}/invitations",
        STAFF_SELF,
        "Programmes open to this worker",
        response=v.InvitationsView,
    ),
    notifications(
        "worker_notifications",
        "GET",
        "/workers/{worker_id}/notifications",
        DESK | {WORKER},
        "The messages sent (or waiting, or withheld) to a worker, newest first",
        query=s.NotificationsQuery,
        response=v.NotificationLog,
        audited=True,
    ),
    notifications(
        "get_notification_choices",
        "GET",
        "/workers/{worker_id}/notification-choices",
        DESK | {WORKER},
        "A worker's choice of channel, language and consent for messages, as kept (the sign-in "
        "codes she asks for go whatever she chose)",
        response=v.NotificationChoicesView,
    ),
    notifications(
        "notification_choices",
        "PATCH",
        "/workers/{worker_id}/notification-choices",
        DESK | {WORKER},
        "A worker's choice of channel, language and consent for messages",
        body=s.NotificationChoices,
        response=v.NotificationChoicesView,
    ),
    notifications(
        "notification_reply",
        "POST",
        "/notifications/replies",
        PUBLIC,
        "A reply to a message from the SMS provider's relay, HMAC-signed: BERHENTI or STOP "
        "opts its sender out, MULAI or START back in (an unsigned reply: 422, nothing changed)",
        body=s.NotificationReply,
        response=v.NotificationReplyView,
        personal=False,
    ),
    _operations(
        "notification_usage",
        "GET",
        "/notifications/usage",
        OPERATIONS,
        "The month's messages and their cost per channel (SMS by segment, NOTIFY_COST_* in "
        "rupiah) for the office's budget: sent, delivered, failed",
        query=s.NotificationUsageQuery,
        response=v.NotificationUsageView,
        calls=(NOTIFICATIONS,),
    ),
    _operations(
        "console_notifications",
        "GET",
        "/ops/notifications",
        CONSOLE,
        "Messages to workers: each channel's provider and its health, the messages waiting, "
        "and per hour of the last day those sent, delivered and failed",
        response=v.ConsoleNotificationsView,
        calls=(NOTIFICATIONS,),
    ),
    notifications(
        "notification_delivery_report",
        "POST",
        "/notifications/delivery-reports",
        PUBLIC,
        "A provider's delivery report (delivered or failed) of a sent message, from its relay, "
        "HMAC-signed: kept on the message, shown in the worker's log (unsigned: 422; a "
        "provider id not known yet: 404, for the relay to try again)",
        body=s.NotificationDeliveryReport,
        response=v.NotificationDeliveryView,
        personal=False,
    ),
    notifications(
        "notification_twilio",
        "POST",
        "/notifications/twilio",
        PUBLIC,
        "Twilio's webhook, form-encoded, signed with X-Twilio-Signature (HMAC-SHA1 of "
        "NOTIFY_TWILIO_INBOUND_URL and the sorted parameters under the auth token): an incoming "
        "SMS (BERHENTI or STOP opts its sender out, MULAI or START back in) or a status callback "
        "(a delivery report); answered with empty TwiML (unsigned: 403, nothing changed)",
        body=s.TwilioWebhook,
        body_media_type=FORM,
        query=s.TwilioSignature,
        header_query=(("X-Twilio-Signature", "signature"),),
        media_type="text/xml",
        personal=False,
        refuses=(403,),  # not validly signed by Twilio
    ),
    protection(
        "open_case",
        "POST",
        "/cases",
        CASE_FILERS,
        "Receive a protection case (pengaduan); the answer holds the case number and the code "
        "the reporter follows it with, given only here",
        body=s.OpenCase,
        response=v.CaseView,
        status=201,
        creates="case_id",
    ),
    protection(
        "report_problem",
        "POST",
        "/workers/{worker_id}/cases",
        CASE_FILERS | {WORKER},
        "The worker reports a problem from her app (or the desk, as she tells it): a protection "
        "case about her, reported by her; the answer holds the number and code she and her "
        "family follow it with (given only here)",
        body=s.ReportProblem,
        response=v.CaseView,
        status=201,
    ),
    protection(
        "list_cases",
        "GET",
        "/cases",
        CASEWORK,
        "Open cases: overdue first, then by urgency and age; a sensitive case only to its "
        "caseworker and the admin",
        query=s.ListCases,
        response=v.CasePage,
    ),
    protection(
        "get_case",
        "GET",
        "/cases/{case_id}",
        CASEWORK,
        "A case with its steps (a sensitive case: its caseworker and the admin only)",
        response=v.CaseView,
    ),
    protection(
        "assign_case",
        "POST",
        "/cases/{case_id}/assign",
        CASEWORK,
        "Assign a case: a caseworker takes an unassigned one; the admin (re)assigns any",
        body=s.AssignCase,
        response=v.CaseView,
    ),
    protection(
        "move_case",
        "POST",
        "/cases/{case_id}/transitions",
        CASEWORK,
        "Move a case in its workflow (assessed, referred, in_progress, resolved, closed, "
        "reopened) with a note, public or not; its caseworker or the admin. Resolving it "
        "names the outcome: a repatriation records the worker's return, a death the worker's "
        "death",
        body=s.MoveCase,
        response=v.CaseView,
    ),
    protection(
        "answer_case",
        "POST",
        "/cases/{case_id}/updates",
        frozenset({AGENCY}),
        "An agency's answer on a case referred to it (received, in_progress, resolved, "
        "cannot_act) with a note: kept on the case for its caseworker, and in the disclosure "
        "record as received from the agency; another agency, or a case not referred to it: 404",
        body=s.CaseUpdate,
        response=v.CaseUpdateView,
        status=201,
        personal=False,  # the agency's own answer, nothing of the case
    ),
    protection(
        "answer_referral",
        "POST",
        "/cases/{case_id}/referrals/{referral_id}/answers",
        CASEWORK,
        "Record a body's answer on one of the case's referrals (who answered, when, where it "
        "stands, a note): the same record as an agency's answer over HTTP, on the referral's "
        "thread; its caseworker or the admin",
        body=s.ReferralAnswer,
        response=v.CaseView,
        status=201,
    ),
    protection(
        "get_referral_letter",
        "GET",
        "/cases/{case_id}/referrals/{referral_id}/letter",
        CASEWORK,
        "The referral letter (surat rujukan, a PDF) of a referral to a body outside the "
        "platform, as made when referred: to print, or hand over (a sensitive case's is never "
        "mailed)",
        media_type="application/pdf",
    ),
    protection(
        "link_case",
        "POST",
        "/cases/{case_id}/link",
        CASEWORK,
        "Link a case about someone not registered to the registered worker it is about; its "
        "caseworker or the admin",
        body=s.LinkCase,
        response=v.CaseView,
    ),
    protection(
        "attach_to_case",
        "POST",
        "/cases/{case_id}/attachments",
        CASEWORK,
        "Attach a scan or photo to a case (a PDF, JPEG or PNG of at most 5 MiB, judged by its "
        "content, as at the documents desk); its caseworker or the admin",
        body=s.AttachFile,
        response=v.CaseView,
        max_body=SCAN_BODY,
    ),
    protection(
        "get_case_attachment",
        "GET",
        "/cases/{case_id}/attachments/{attachment_id}",
        CASEWORK,
        "One of a case's attachments with its content (a sensitive case's: its caseworker and "
        "the admin only)",
        response=v.CaseAttachmentFileView,
    ),
    protection(
        "public_case_status",
        "GET",
        "/public/cases/{number}",
        PUBLIC,
        "A case's status and public notes, for the family, with the code given at filing "
        "(`code` or the `X-Case-Code` header); a wrong number or code: the same 404",
        query=s.PublicCaseQuery,
        response=v.PublicCaseView,
        header_query=(("X-Case-Code", "code"),),
        personal=False,  # a status and the notes a caseworker made public, nothing else
    ),
    reporting(
        "monthly_report",
        "GET",
        "/reports/monthly",
        REPORTS,
        "The planning office's monthly figures (counts by month, measure, sex, district, "
        "country, sector and placement company; per innovation; PAK CAMAT's funnel) from "
        "`from` to `to` (YYYY-MM, both included, at most 36 months)",
        query=s.ReportPeriod,
        response=v.MonthlyReportView,
        personal=False,  # counts; a rejection's reason with any NIK masked by the service
    ),
    reporting(
        "monthly_report_csv",
        "GET",
        "/reports/monthly.csv",
        REPORTS,
        "The monthly figures as a CSV file (one row per month, measure, detail and dimensions)",
        query=s.ReportPeriod,
        media_type="text/csv",
        personal=False,
    ),
    reporting(
        "monthly_report_xlsx",
        "GET",
        "/reports/monthly.xlsx",
        REPORTS,
        "The monthly figures as a spreadsheet: figures, per innovation, PAK CAMAT's funnel",
        query=s.ReportPeriod,
        media_type=XLSX,
        personal=False,
    ),
    reporting(
        "monthly_report_parquet",
        "GET",
        "/reports/monthly.parquet.zip",
        REPORTS,
        "The monthly figures for analysts: Parquet files partitioned by month "
        "(`figures/month=YYYY-MM/figures-0.parquet`) in a ZIP archive",
        query=s.ReportPeriod,
        media_type=ZIP,
        personal=False,
    ),
    reporting(
        "monthly_report_pdf",
        "GET",
        "/reports/monthly.pdf",
        REPORTS,
        "The printable monthly report (PDF, Bahasa Indonesia first): the innovations' figures, "
        "registrations and departures per month by sex, returns by reason, cases by aspect and "
        "PAK CAMAT's funnel, charted",
        query=s.ReportPeriod,
        media_type="application/pdf",
        personal=False,  # counts, as the JSON's
    ),
    reporting(
        "open_data",
        "GET",
        "/reports/open-data",
        PUBLIC,
        "The open data (CSV, for the district's open-data portal): counts per month and "
        "measure by district and by destination country against sex, every cell under 5 and "
        "every cell that would give one away left out",
        query=s.ReportPeriod,
        media_type="text/csv",
        personal=False,  # counts only, small cells suppressed by the service
    ),
    letters(
        "request_letter",
        "POST",
        "/workers/{worker_id}/letters",
        LETTER_DESK | {WORKER},
        "Request a Go-TKI letter (family permission, passport or SKCK recommendation) by the "
        "desk or the worker; refused (409), naming each prerequisite missing, until what the "
        "type needs first is true; one letter of a type at a time",
        body=s.RequestLetter,
        response=v.LetterView,
        status=201,
        creates="letter_id",
    ),
    letters(
        "worker_letters",
        "GET",
        "/workers/{worker_id}/letters",
        LETTER_DESK | {WORKER},
        "The worker's letters, oldest first",
        response=v.LetterPage,
    ),
    letters(
        "list_letters",
        "GET",
        "/letters",
        LETTER_READERS,
        "Letters by status and type, the longest waiting first; a village office's token: "
        "only its own residents' (e.g. status=requested: family permissions waiting for it)",
        query=s.ListLetters,
        response=v.LetterPage,
    ),
    letters(
        "get_letter",
        "GET",
        "/letters/{letter_id}",
        LETTER_READERS,
        "A letter; a family permission waiting for the village lists who may give it; another "
        "village's letter: 404",
        response=v.LetterView,
    ),
    letters(
        "decide_family_permission",
        "POST",
        "/letters/{letter_id}/acknowledgement",
        VILLAGE_OFFICE,
        "The village office acknowledges a resident's family permission, naming the permission "
        "giver from the worker's family list and the day given, or refuses it saying why; "
        "another village's letter: 404",
        body=s.DecideFamilyPermission,
        response=v.LetterView,
    ),
    letters(
        "get_letter_form",
        "GET",
        "/letters/{letter_id}/form",
        LETTER_DESK,
        "Offline: the family permission's form to print, for the permission giver and the "
        "village head to sign on paper, with a QR code naming the request",
        media_type="application/pdf",
    ),
    letters(
        "upload_letter_form",
        "POST",
        "/letters/{letter_id}/form",
        LETTER_DESK,
        "Offline: the signed form's scan (a PDF, JPEG or PNG of at most 5 MiB, by its content) "
        "with the permission giver and the day written on it; it counts once another officer "
        "confirms it",
        body=s.UploadLetterForm,
        response=v.LetterView,
        max_body=SCAN_BODY,
    ),
    letters(
        "get_letter_form_scan",
        "GET",
        "/letters/{letter_id}/form/scan",
        LETTER_DESK,
        "Offline: the uploaded form's scan, as the file it is, for the officer who confirms it",
        media_type="application/octet-stream",
    ),
    letters(
        "confirm_letter_form",
        "POST",
        "/letters/{letter_id}/form/confirmation",
        LETTER_DESK,
        "Offline, four eyes: another officer than the one who uploaded the scan confirms it "
        "(the same one: 403); the family permission is acknowledged as the paper says",
        response=v.LetterView,
    ),
    letters(
        "refuse_letter_form",
        "POST",
        "/letters/{letter_id}/form/refusal",
        LETTER_DESK,
        "Offline, four eyes: another officer than the one who uploaded the scan refuses it, "
        "saying why (the same one: 403); the scan and the giver it named are not kept, and the "
        "request waits for a new scan",
        body=s.RefuseForm,
        response=v.LetterView,
    ),
    letters(
        "issue_letter",
        "POST",
        "/letters/{letter_id}/issue",
        LETTER_DESK,
        "Issue a letter: the next number of the office's scheme (gapless per year and type), "
        "a verification code, the PDF signed by the office (PAdES)",
        response=v.LetterView,
    ),
    letters(
        "get_letter_pdf",
        "GET",
        "/letters/{letter_id}/pdf",
        LETTER_DESK,
        "An issued letter's signed PDF",
        media_type="application/pdf",
    ),
    letters(
        "worker_letter_pdf",
        "GET",
        "/workers/{worker_id}/letters/{letter_id}/pdf",
        LETTER_DESK | {WORKER},
        "The worker's own issued letter's signed PDF, from her app (another worker's letter, or "
        "one not issued: 404)",
        media_type="application/pdf",
    ),
    letters(
        "revoke_letter",
        "POST",
        "/letters/{letter_id}/revocation",
        LETTER_DESK,
        "Revoke an issued letter, saying why: its check says revoked from now on; its number "
        "is never given again",
        body=s.RevokeLetter,
        response=v.LetterView,
    ),
    letters(
        "check_letter",
        "GET",
        "/public/letters/{code}",
        PUBLIC,
        "Check a letter by the code on it (anyone): valid, revoked (and when) or unknown, its "
        "type, number, date and the holder's initials; the same shape for an unknown code. "
        "The page /verify/{code} says the same to a person",
        response=v.LetterCheckView,
        personal=False,  # the holder's initials only
    ),
    _webhooks(
        "list_webhooks",
        "GET",
        "/agencies/{agency}/webhooks",
        OWN_AGENCY,
        "An agency's webhook endpoints (never their secrets)",
        response=v.WebhookView(many=True),
    ),
    _webhooks(
        "add_webhook",
        "POST",
        "/agencies/{agency}/webhooks",
        OPERATIONS,
        "Add a webhook endpoint, for event types the agency's agreement grants; its "
        "signing secret is in the answer, once",
        body=s.AddWebhook,
        response=v.WebhookView,
        status=201,
    ),
    _webhooks(
        "edit_webhook",
        "PATCH",
        "/webhooks/{endpoint_id}",
        OPERATIONS,
        "Change an endpoint's url, events or description in place (its secrets, delivery "
        "log and what waits for it are kept), checked as when it is added",
        body=s.EditWebhook,
        response=v.WebhookView,
    ),
    _webhooks(
        "agency_settings",
        "GET",
        "/agencies/{agency}/settings",
        OWN_AGENCY,
        "How the agency's queue carries events, and its contact e-mail",
        response=v.AgencySettingsView,
    ),
    _webhooks(
        "change_agency_settings",
        "PATCH",
        "/agencies/{agency}/settings",
        OPERATIONS,
        "Choose the agency queue's format (`platform`, `cloudevents-binary`, "
        "`cloudevents-structured`) or its contact e-mail",
        body=s.ChangeAgencySettings,
        response=v.AgencySettingsView,
    ),
    _webhooks(
        "rotate_webhook_secret",
        "POST",
        "/webhooks/{endpoint_id}/secret-rotation",
        OPERATIONS,
        "A new signing secret (in the answer, once); the previous one signs too for "
        "`keep_old_for_hours` (24)",
        body=s.RotateWebhookSecret,
        response=v.WebhookView,
    ),
    _webhooks(
        "disable_webhook",
        "POST",
        "/webhooks/{endpoint_id}/disabling",
        OPERATIONS,
        "Stop delivering to an endpoint (what waits is kept)",
        body=s.DisableWebhook,
        response=v.WebhookView,
    ),
    _webhooks(
        "enable_webhook",
        "POST",
        "/webhooks/{endpoint_id}/enabling",
        OPERATIONS,
        "Deliver to an endpoint again, from where it stopped",
        body=s.EnableWebhook,
        response=v.WebhookView,
    ),
    _webhooks(
        "webhook_deliveries",
        "GET",
        "/webhooks/{endpoint_id}/deliveries",
        OWN_AGENCY,
        "The delivery log, newest first: every attempt with its time, status, latency and error",
        query=s.WebhookDeliveries,
        response=v.WebhookDeliveryPage,
    ),
    _webhooks(
        "replay_webhook",
        "POST",
        "/webhooks/{endpoint_id}/replays",
        OPERATIONS,
        "Queue again one delivery (`delivery`) or those queued in a time range",
        body=s.ReplayWebhook,
        response=v.ReplayView,
        status=202,
    ),
    _operations(
        "access_log",
        "GET",
        "/access-log",
        AUDITORS,
        "Who read a worker's record (staff included), newest first: the data protection "
        "officer's audit (append-only)",
        query=s.AccessLogQuery,
        response=v.AccessLogPage,
    ),
    _operations(
        "liveness",
        "GET",
        "/health",
        PUBLIC,
        "The gateway process is alive",
        response=v.LivenessView,
    ),
    _operations(
        "readiness",
        "GET",
        "/health/ready",
        PUBLIC,
        "Ready (200) when the broker and the gateway's database answer: `ready` if "
        "every service answers too, else `degraded`; 503 otherwise",
        response=v.ReadinessView,
        calls=SERVICES,
        answers=(503,),
    ),
    _operations(
        "metrics", "GET", "/metrics", OPERATIONS, "Prometheus metrics", media_type="text/plain"
    ),
    _operations(
        "console_health",
        "GET",
        "/ops/health",
        CONSOLE,
        "Each service and gateway instance: up, outbox, inbox lag, failures, marks",
        response=v.ConsoleHealthView,
        calls=SERVICES,
    ),
    _operations(
        "console_me",
        "GET",
        "/ops/me",
        CONSOLE_USERS,
        "Who signed into the console, and the console's pages the role may open (a caseworker: "
        "the cases; the admin: every page)",
        response=v.ConsoleMeView,
    ),
    _operations(
        "console_queues",
        "GET",
        "/ops/queues",
        CONSOLE,
        "Every platform and agency queue with its last hour of depth and rates",
        response=v.ConsoleQueuesView,
    ),
    _operations(
        "console_dead_letters",
        "GET",
        "/ops/dead-letters",
        CONSOLE,
        "Dead letters with their error and attempts, identity numbers masked",
        query=s.DeadLetterQuery,
        response=v.DeadLettersView,
    ),
    _operations(
        "console_replay",
        "POST",
        "/ops/dead-letters/replay",
        CONSOLE,
        "Move the chosen dead letters back to their service's inbox (recorded)",
        body=s.ChooseDeadLetters,
        response=v.DeadLetterActionView,
    ),
    _operations(
        "console_discard",
        "POST",
        "/ops/dead-letters/discard",
        CONSOLE,
        "Delete the chosen dead letters for good (recorded)",
        body=s.ChooseDeadLetters,
        response=v.DeadLetterActionView,
    ),
    _operations(
        "console_actions",
        "GET",
        "/ops/actions",
        CONSOLE,
        "Who replayed or discarded dead letters, newest first",
        response=v.OperatorActionsView,
    ),
    _operations(
        "console_webhooks",
        "GET",
        "/ops/webhooks",
        CONSOLE,
        "Agencies' webhook endpoints: enabled or disabled (and why), last success, "
        "failures since, deliveries waiting and the oldest one's age; the latest "
        "notices to agencies and operators",
        response=v.ConsoleWebhooksView,
    ),
    protection(
        "console_cases",
        "GET",
        "/ops/cases",
        CASEWORK,
        "The console's cases page: open cases (overdue first, then by urgency and age) without "
        "their text, counts by urgency, type and country, cases opened and resolved per week; "
        "a sensitive case counted for its caseworker and the admin only",
        response=v.ConsoleCasesView,
        personal=False,  # a case's type, urgency and age, never its text or the person
    ),
    _operations(
        "console_lifecycle",
        "GET",
        "/ops/lifecycle",
        CONSOLE,
        "Workers by status, stage, regency and destination; the document desk per "
        "type; orientation seats; reintegration funnels",
        response=v.ConsoleLifecycleView,
        calls=(REGISTRATION, DOCUMENTS, ORIENTATION, REINTEGRATION),
    ),
    _operations(
        "openapi", "GET", "/openapi.json", PUBLIC, "This API, as OpenAPI 3", response=v.Document
    ),
)

# The AsyncAPI document of the events agencies subscribe to, the agencies service's.
ROUTES += (
    _operations(
        "asyncapi",
        "GET",
        "/asyncapi.json",
        PUBLIC,
        "The lifecycle events agencies subscribe to, as AsyncAPI",
        response=v.Document,
        calls=(AGENCIES,),
    ),
)

BY_NAME: dict[str, Route] = {route.name: route for route in ROUTES}

# the console's pages, each by the route it reads: a role sees the pages whose route it may call
CONSOLE_PAGES = {
    "health": "console_health",
    "queues": "console_queues",
    "letters": "console_dead_letters",
    "lifecycle": "console_lifecycle",
    "webhooks": "console_webhooks",
    "cases": "console_cases",
    "gotki": "list_letters",  # Go-TKI's requests: the desk's, and a village office's own residents'
    "checkin": "record_attendance",  # the orientation's door: a seat's ticket and the NIK
}


def console_pages(role: str | None) -> list[str]:
    """The console's pages ``role`` may open, in the console's order."""
    return [page for page, route in CONSOLE_PAGES.items() if role in BY_NAME[route].roles]


def readers_of(parameter: str) -> tuple[Route, ...]:
    """The routes about the record a path parameter names (what a 201 links to)."""
    return tuple(route for route in ROUTES if parameter in route.parameters)


def location_of(route: Route, record_id: str) -> str | None:
    """Where the record ``route`` created lives: the GET of that record alone."""
    for reader in readers_of(route.creates or "-"):
        if reader.method == "GET" and reader.parameters == (route.creates,):
            return PREFIX + reader.path.format(**{route.creates: record_id})
    return None


assert len(BY_NAME) == len(ROUTES), "route names must be unique"
assert ADMIN in READERS and OPERATOR in DESK
