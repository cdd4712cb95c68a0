"""What the gateway answers, as documented in the OpenAPI document.

The services shape their answers; these schemas describe them for front ends. Fields a role may
not see are left out of its answers (agency, trainer and anonymous callers see only what
``privacy`` lists for the route), so none is required; objects may grow new fields without
breaking clients.
"""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields


class View(Schema):
    class Meta:
        unknown = INCLUDE


def _maybe(field: fields.Field) -> fields.Field:
    field.allow_none = True
    return field


# registration -------------------------------------------------------------------------------


class AddressView(View):
    street = fields.String()
    village = fields.String()
    village_code = fields.String()
    district = fields.String()
    regency = fields.String()
    province = fields.String()
    postal_code = fields.String()


class WorkerView(View):
    id = fields.UUID()
    nik = fields.String(metadata={"description": "masked for agency and trainer"})
    full_name = fields.String()
    birth_date = fields.Date()
    sex = fields.String()
    phone = fields.String()
    address = fields.Nested(AddressView)
    destination_country = fields.String()
    occupation = fields.String()
    placement_agency = fields.String()
    bpjs_number = _maybe(fields.String())
    cycle = fields.Integer()
    status = fields.String()
    stage = fields.String()
    documents_complete = fields.Boolean()
    orientation_completed = fields.Boolean()
    departed_on = _maybe(fields.Date())
    employer = _maybe(fields.String())
    contract_starts_on = _maybe(fields.Date())
    contract_ends_on = _maybe(fields.Date())
    sector = _maybe(fields.String(metadata={"description": "formal or informal"}))
    expected_return_on = _maybe(fields.Date())
    returned_on = _maybe(fields.Date())
    return_reason = _maybe(fields.String())
    died_on = _maybe(fields.Date())
    death_country = _maybe(fields.String())
    death_cause = _maybe(fields.String())
    remains_repatriated = _maybe(fields.Boolean())
    remains_arrive_on = _maybe(fields.Date())
    heirs = _maybe(fields.List(fields.UUID(), metadata={"description": "heirs' member ids"}))
    non_procedural = _maybe(
        fields.Boolean(metadata={"description": "abroad outside the procedure"})
    )
    family_account = _maybe(fields.String(metadata={"description": "what the family knows"}))
    past_placement = _maybe(
        fields.Dict(
            metadata={
                "description": "a former worker's placement before the platform: country, "
                "from_year, to_year, employer, source"
            }
        )
    )
    registered_at = fields.DateTime()
    updated_at = fields.DateTime()


class FamilyMemberView(View):
    id = fields.UUID()
    worker_id = fields.UUID()
    full_name = fields.String()
    relation = fields.String()
    phone = _maybe(fields.String())
    village = _maybe(fields.String())
    district = _maybe(fields.String())
    heir = fields.Boolean()
    emergency_contact = fields.Boolean()
    consent_to_contact = fields.Boolean(
        metadata={"description": "the worker consents to this person being contacted"}
    )
    contactable = fields.Boolean(metadata={"description": "a phone, and the worker's consent"})
    added_at = fields.DateTime()
    updated_at = fields.DateTime()


class WorkerPage(View):
    items = fields.List(fields.Nested(WorkerView))
    next_cursor = _maybe(fields.String())


class ActorView(View):
    role = fields.String()
    agency = _maybe(fields.String())
    subject = _maybe(fields.String())


class TimelineEntryView(View):
    occurred_at = fields.DateTime()
    cycle = fields.Integer()
    event_type = fields.String()
    source = fields.String()
    event_id = _maybe(fields.String())
    from_status = _maybe(fields.String())
    to_status = _maybe(fields.String())
    stage = _maybe(fields.String())
    reason = _maybe(fields.String())
    actor = _maybe(fields.Nested(ActorView))
    correlation_id = _maybe(fields.String())
    details = fields.Dict()


class DisclosureView(View):
    agency = fields.String(metadata={"description": "who received it"})
    channel = fields.String(metadata={"description": "amqp (its queue) or http (a read)"})
    what = fields.String(metadata={"description": "the event type, or the route read"})
    reference = fields.String(metadata={"description": "the event id, or the path read"})
    fields_ = fields.List(
        fields.String(), data_key="fields", metadata={"description": "the fields disclosed"}
    )
    disclosed_at = fields.DateTime()


class DisclosurePage(View):
    items = fields.List(fields.Nested(DisclosureView))
    next_cursor = _maybe(fields.String())


class AccessRevokedView(View):
    subject = fields.String(metadata={"description": "the worker's id, as their tokens name it"})
    not_before = fields.DateTime(
        metadata={"description": "tokens of the worker issued before this are refused"}
    )


class AccessLogEntryView(View):
    at = fields.DateTime()
    worker_id = fields.UUID()
    role = fields.String(metadata={"description": "the reader's role"})
    subject = fields.String(metadata={"description": "the reader, as their token names them"})
    agency = _maybe(fields.String())
    what = fields.String(metadata={"description": "the route read"})
    correlation_id = _maybe(fields.String())


class AccessLogPage(View):
    items = fields.List(fields.Nested(AccessLogEntryView))
    next_cursor = _maybe(fields.String())


class ExportedScanView(View):
    document_id = fields.UUID()
    document_type = fields.String()
    sha256 = fields.String(metadata={"description": "check the download against it"})
    media_type = fields.String()
    size = fields.Integer(metadata={"description": "bytes"})
    download = fields.String(
        metadata={"description": "the path of the scan: GET it with the same token"}
    )


class NotExportedView(View):
    what = fields.String()
    why = fields.String()


class ExportView(View):
    worker_id = fields.UUID()
    exported_at = fields.DateTime()
    services = fields.Dict(
        metadata={
            "description": "per service (and the gateway), per table, every row it holds about "
            "the worker; `inbox`: the events it received about the worker, each with its "
            "`payload` as published"
        }
    )
    scans = fields.List(
        fields.Nested(ExportedScanView),
        metadata={"description": "each document's scan, to download one by one"},
    )
    disclosures = fields.List(fields.Nested(DisclosureView))
    not_exported = fields.List(
        fields.Nested(NotExportedView),
        metadata={"description": "what the platform holds and deliberately leaves out, and why"},
    )
    unavailable = fields.List(
        fields.String(),
        metadata={
            "description": "services that did not answer: the export is incomplete without them"
        },
    )


class StatsView(View):
    workers = fields.Dict(metadata={"description": "counts by stage, status, regency, country"})
    documents_desk = _maybe(fields.Dict())
    reintegration = _maybe(fields.Dict())
    unavailable = fields.List(
        fields.String(),
        metadata={"description": "sections whose service did not answer; they are null"},
    )
    recruits_of = fields.String(
        metadata={"description": "an agency's: the placement company whose recruits are counted"}
    )
    smallest_count_shown = fields.Integer(
        metadata={"description": "an agency's: counts below this are left out"}
    )


# documents ----------------------------------------------------------------------------------


class DocumentView(View):
    id = fields.UUID()
    worker_id = fields.UUID()
    type = fields.String()
    number = fields.String(metadata={"description": "masked for agency and trainer"})
    issued_on = fields.Date()
    expires_on = _maybe(fields.Date())
    status = fields.String()
    reason = _maybe(fields.String())
    note = _maybe(fields.String())
    submitted_at = fields.DateTime()
    decided_at = _maybe(fields.DateTime())
    submitted_by = _maybe(fields.String())
    decided_by = _maybe(fields.String())
    file_sha256 = _maybe(fields.String())
    replaces = _maybe(fields.String())
    replaced_by = _maybe(fields.String())


class DocumentPage(View):
    items = fields.List(fields.Nested(DocumentView))
    next_cursor = _maybe(fields.String())


class LapsedAbroadView(View):
    document_id = fields.UUID()
    worker_id = fields.UUID()
    type = fields.String(metadata={"description": "passport or work_visa"})
    expired_on = fields.Date(metadata={"description": "the expiry date on the document"})
    expired_at = _maybe(fields.DateTime(metadata={"description": "when the check found it"}))


class LapsedAbroadPage(View):
    items = fields.List(fields.Nested(LapsedAbroadView))
    next_cursor = _maybe(fields.String())


class ChecklistItemView(View):
    type = fields.String()
    status = fields.String()
    document = _maybe(fields.Nested(DocumentView))


class ChecklistView(View):
    worker_id = fields.UUID()
    complete = fields.Boolean()
    items = fields.List(fields.Nested(ChecklistItemView))


# orientation --------------------------------------------------------------------------------


class SessionView(View):
    id = fields.UUID()
    starts_at = fields.DateTime()
    location = fields.String()
    capacity = fields.Integer()
    topics = fields.List(fields.String())
    enrolled = fields.Integer()
    seats_left = fields.Integer()
    status = fields.String()
    cancelled_reason = _maybe(fields.String())


class SessionPage(View):
    items = fields.List(fields.Nested(SessionView))
    next_cursor = _maybe(fields.String())


class EnrolmentView(View):
    session_id = fields.UUID()
    worker_id = fields.UUID()
    status = fields.String()
    enrolled_at = fields.DateTime()
    ticket = _maybe(
        fields.String(metadata={"description": "the seat's ticket, read at check-in (its QR)"})
    )


class SeatView(View):
    session = fields.Nested(SessionView)
    status = fields.String()
    enrolled_at = fields.DateTime()
    ticket = _maybe(fields.String(metadata={"description": "the QR's code, naming no one"}))


class EarnedCertificateView(View):
    certificate_number = fields.String()
    completed_at = fields.DateTime()
    holder_name = fields.String()
    session = _maybe(fields.Nested(SessionView))


class WorkerOrientationView(View):
    worker_id = fields.UUID()
    seat = _maybe(fields.Nested(SeatView))
    certificate = _maybe(fields.Nested(EarnedCertificateView))


class CompletionView(View):
    worker_id = fields.UUID()
    session_id = fields.UUID()
    certificate_number = fields.String()
    completed_at = fields.DateTime()


class CertificateView(View):
    valid = fields.Boolean()
    certificate_number = fields.String()
    holder_initials = fields.String()
    session = fields.Dict()
    completed_at = fields.DateTime()


class IncidentView(View):
    id = fields.Integer()
    kind = fields.String(
        metadata={
            "description": "identity_mismatch; nik_attempts_exhausted "
            "(the trainer was stopped for the worker)"
        }
    )
    session_id = fields.UUID()
    worker_id = fields.UUID()
    occurred_at = fields.DateTime()
    presented_nik_masked = fields.String()


class IncidentPage(View):
    items = fields.List(fields.Nested(IncidentView))
    next_cursor = _maybe(fields.String())


# reintegration ------------------------------------------------------------------------------


class RoundView(View):
    name = fields.String()
    advance = fields.Integer()


class ProgramView(View):
    id = fields.UUID()
    name = fields.String()
    audience = fields.String()
    capacity = fields.Integer()
    starts_on = fields.Date()
    rounds = fields.List(fields.Nested(RoundView))
    enrolled = fields.Integer()
    seats_left = fields.Integer()
    status = fields.String()


class ProgramPage(View):
    items = fields.List(fields.Nested(ProgramView))
    next_cursor = _maybe(fields.String())


class ProgramStatsView(View):
    program_id = fields.UUID()
    enrolled = fields.Integer()
    rounds = fields.List(fields.Dict())
    completed = fields.Integer()
    businesses_started = fields.Integer()
    awarded = fields.Integer()


class ParticipantView(View):
    program_id = fields.UUID()
    worker_id = fields.UUID()
    participant_kind = fields.String()
    status = fields.String()
    enrolled_at = fields.DateTime()
    results = fields.List(fields.Dict())
    awarded = fields.Boolean()
    outcome = _maybe(fields.Dict())
    follow_ups = fields.List(fields.Dict())


class InvitationsView(View):
    worker_id = fields.UUID()
    kind = _maybe(fields.String())
    programs = fields.List(fields.Nested(ProgramView))
    # a worker abroad due home: the contract's end, and a note (Bahasa Indonesia, then English)
    due_home_on = _maybe(fields.Date())
    note = _maybe(fields.String())


# protection ---------------------------------------------------------------------------------


class CaseStepView(View):
    action = fields.String(
        metadata={
            "description": "opened, assigned, moved, linked, attached, answered (a body's answer "
            "on a referral) or mailed (a referral letter reached the body's mail server)"
        }
    )
    at = fields.DateTime()
    by = _maybe(fields.String())
    role = _maybe(fields.String())
    from_status = _maybe(fields.String())
    to_status = _maybe(fields.String())
    assigned_to = _maybe(fields.String())
    note = _maybe(fields.String())
    public = fields.Boolean(metadata={"description": "the family reads it with the code"})
    outcome = _maybe(fields.String(metadata={"description": "on the step that resolved it"}))
    referral = _maybe(
        fields.Dict(metadata={"description": "whom to (kind, name, country, agency): referred"})
    )
    agency = _maybe(fields.String(metadata={"description": "the agency referred to, or answering"}))
    answer = _maybe(
        fields.String(metadata={"description": "a body's answer: received, in_progress..."})
    )
    referral_id = _maybe(
        fields.UUID(metadata={"description": "the referral's thread the step is on"})
    )
    answered_by = _maybe(fields.String(metadata={"description": "who at the body answered"}))
    answered_at = _maybe(fields.DateTime(metadata={"description": "when the body answered"}))


class ReferralAnswerView(View):
    status = fields.String(metadata={"description": "received, in_progress, resolved, cannot_act"})
    answered_by = _maybe(fields.String())
    answered_at = _maybe(fields.DateTime())
    recorded_by = _maybe(fields.String(metadata={"description": "the caseworker, or the agency"}))
    recorded_at = fields.DateTime()


class ReferralRowView(View):
    """A referral as the console lists it: without what its letter told the body."""

    id = fields.UUID()
    kind = fields.String()
    name = _maybe(fields.String(metadata={"description": "the body, as its letter is addressed"}))
    country = _maybe(fields.String())
    agency = _maybe(fields.String())
    referred_at = fields.DateTime()
    referred_by = _maybe(fields.String())
    delivery = fields.String(
        metadata={
            "description": "event (an onboarded agency), queued, mailed, to_print (no address "
            "in the directory), withheld (a sensitive case: never mailed)"
        }
    )
    email = _maybe(fields.String())
    mailed_at = _maybe(fields.DateTime())
    attempts = fields.Integer()
    last_error = _maybe(fields.String())
    letter = fields.Boolean(metadata={"description": "a letter to print at .../letter"})
    answers = fields.List(fields.Nested(ReferralAnswerView))


class CaseReferralView(ReferralRowView):
    summary = _maybe(fields.String(metadata={"description": "what the letter tells the body"}))


class CaseAttachmentView(View):
    id = fields.UUID()
    sha256 = fields.String()
    media_type = fields.String(metadata={"description": "application/pdf, image/jpeg, image/png"})
    size = fields.Integer()
    filename = _maybe(fields.String())
    description = _maybe(fields.String())
    added_at = fields.DateTime()
    added_by = _maybe(fields.String())


class CaseAttachmentFileView(CaseAttachmentView):
    content_base64 = fields.String()


class CaseView(View):
    id = fields.UUID()
    number = fields.String(metadata={"description": "what the reporter follows the case by"})
    code = fields.String(
        metadata={"description": "only in the answer to the filing: give it to the reporter"}
    )
    worker_id = _maybe(fields.UUID())
    person_name = _maybe(fields.String())
    village_code = _maybe(fields.String())
    destination_country = _maybe(fields.String())
    employer = _maybe(fields.String())
    reporter_kind = fields.String()
    family_member_id = _maybe(fields.UUID())
    reporter_name = _maybe(fields.String())
    channel = fields.String()
    aspect = fields.String()
    case_type = fields.String()
    urgency = fields.String()
    sensitive = fields.Boolean()
    summary = fields.String()
    notes = _maybe(fields.String())
    status = fields.String()
    assigned_to = _maybe(fields.String())
    assigned_at = _maybe(fields.DateTime())
    received_at = fields.DateTime()
    acknowledge_by = fields.DateTime()
    act_by = fields.DateTime()
    acknowledged_at = _maybe(fields.DateTime())
    acted_at = _maybe(fields.DateTime())
    resolved_at = _maybe(fields.DateTime())
    closed_at = _maybe(fields.DateTime())
    outcome = _maybe(fields.String(metadata={"description": "how it ended, when resolved"}))
    outcome_details = _maybe(
        fields.Dict(metadata={"description": "the outcome's amount and currency, day home..."})
    )
    overdue = fields.List(
        fields.String(), metadata={"description": "the limits passed: acknowledge, act"}
    )
    steps = fields.List(fields.Nested(CaseStepView))
    attachments = fields.List(fields.Nested(CaseAttachmentView))
    referrals = fields.List(
        fields.Nested(CaseReferralView),
        metadata={"description": "each referral with its delivery and the body's answers"},
    )


class CaseUpdateView(View):
    case_id = fields.UUID()
    status = fields.String(metadata={"description": "received, in_progress, resolved, cannot_act"})
    note = _maybe(fields.String())
    at = fields.DateTime()
    agency = fields.String()


class CasePage(View):
    items = fields.List(fields.Nested(CaseView))
    open = fields.Integer(metadata={"description": "open cases the caller may see"})
    overdue = fields.Integer(metadata={"description": "of them, past a time limit"})


class PublicCaseView(View):
    number = fields.String()
    status = fields.String()
    status_label = fields.Dict(metadata={"description": "id (Bahasa Indonesia) and en"})
    received_at = fields.DateTime()
    updated_at = fields.DateTime()
    notes = fields.List(fields.Dict(), metadata={"description": "the notes marked public"})


# notifications ------------------------------------------------------------------------------


class NotificationView(View):
    id = fields.UUID()
    event_id = fields.UUID(metadata={"description": "the event that caused it"})
    kind = fields.String(metadata={"description": "registered, document_rejected, ..."})
    channel = fields.String(metadata={"description": "sms, whatsapp or email"})
    language = fields.String(metadata={"description": "id (Bahasa Indonesia) or en"})
    body = fields.String()
    to = _maybe(fields.String(metadata={"description": "the address, masked"}))
    segments = fields.Integer(metadata={"description": "SMS segments billed"})
    encoding = fields.String(metadata={"description": "GSM-7 or UCS-2"})
    status = fields.String(metadata={"description": "pending, sent, failed or suppressed"})
    due_at = fields.DateTime(metadata={"description": "after quiet hours and the daily cap"})
    created_at = fields.DateTime()
    sent_at = _maybe(fields.DateTime())
    attempts = fields.Integer()
    provider = _maybe(fields.String())
    provider_message_id = _maybe(fields.String())
    last_error = _maybe(fields.String())
    delivery_status = _maybe(
        fields.String(metadata={"description": "the provider's report: delivered or failed"})
    )
    delivery_reported_at = _maybe(fields.DateTime())
    delivery_error = _maybe(fields.String(metadata={"description": "why it was not delivered"}))


class NotificationLog(View):
    worker_id = fields.UUID()
    items = fields.List(fields.Nested(NotificationView), metadata={"description": "newest first"})


class NotificationChoicesView(View):
    worker_id = fields.UUID()
    channel = fields.String()
    language = fields.String()
    consent = fields.Boolean()
    opted_out = fields.Boolean(metadata={"description": "replied BERHENTI or STOP"})
    email = _maybe(fields.String(metadata={"description": "masked"}))


class NotificationReplyView(View):
    intent = _maybe(fields.String(metadata={"description": "opt_out, opt_in or none"}))
    people = fields.Integer(metadata={"description": "people whose choice it changed"})


class ChannelUsageView(View):
    channel = fields.String(metadata={"description": "sms, whatsapp or email"})
    sent = fields.Integer(metadata={"description": "messages sent in the month"})
    segments = fields.Integer(metadata={"description": "their SMS segments"})
    delivered = fields.Integer(metadata={"description": "reported delivered by the provider"})
    undelivered = fields.Integer(metadata={"description": "reported not delivered"})
    failed = fields.Integer(metadata={"description": "given up on after every attempt"})
    billed_units = fields.Integer(metadata={"description": "SMS: segments; else messages"})
    unit_cost = fields.Float(metadata={"description": "rupiah per unit (NOTIFY_COST_*)"})
    cost = fields.Float(metadata={"description": "rupiah"})


class NotificationUsageView(View):
    month = fields.String()
    currency = fields.String(metadata={"description": "IDR"})
    channels = fields.List(fields.Nested(ChannelUsageView))
    total_cost = fields.Float()


class NotificationHourView(View):
    hour = fields.DateTime()
    sent = fields.Integer()
    delivered = fields.Integer()
    failed = fields.Integer()


class NotificationChannelView(View):
    channel = fields.String()
    provider = _maybe(fields.String())
    up = _maybe(fields.Boolean(metadata={"description": "the last round's outcome; none: none"}))
    checked_at = _maybe(fields.DateTime())
    error = _maybe(fields.String())
    waiting = fields.Integer(metadata={"description": "pending messages"})
    due = fields.Integer(metadata={"description": "pending and due now"})
    hours = fields.List(fields.Nested(NotificationHourView), metadata={"description": "24"})


class ConsoleNotificationsView(View):
    checked_at = fields.DateTime()
    channels = fields.List(fields.Nested(NotificationChannelView))


class NotificationDeliveryView(View):
    message_id = fields.UUID()
    delivery_status = fields.String(metadata={"description": "delivered or failed"})
    changed = fields.Boolean(metadata={"description": "false: a newer report stands"})


# reporting ----------------------------------------------------------------------------------


class FigureView(View):
    month = fields.String(metadata={"description": "YYYY-MM, in the district's time (WIB)"})
    measure = fields.String(metadata={"description": "registrations, departures, returns..."})
    detail = fields.String(metadata={"description": "a reason, a type, a programme, or empty"})
    sex = _maybe(fields.String())
    age_band = _maybe(fields.String())
    district = _maybe(fields.String(metadata={"description": "a kecamatan's code: 35.05.12"}))
    village = _maybe(fields.String())
    country = _maybe(fields.String())
    sector = _maybe(fields.String(metadata={"description": "formal or informal"}))
    company = _maybe(fields.String(metadata={"description": "the placement company"}))
    count = fields.Integer()


class InnovationMonthView(View):
    month = fields.String()
    innovation = fields.String(metadata={"description": "LTSA, Go-TKI, OPP or PAK CAMAT"})
    figures = fields.Dict(metadata={"description": "each of its measures' total"})


class FunnelView(View):
    program_id = fields.String()
    name = fields.String()
    year = _maybe(fields.Integer())
    enrolled = fields.Integer()
    advanced = fields.List(fields.Dict(), metadata={"description": "round and count"})
    completed = fields.Integer()
    businesses_started = fields.Integer()
    awarded = fields.Integer()


class FirstActionMonthView(View):
    month = fields.String(metadata={"description": "the month the cases were received in (WIB)"})
    received = fields.Integer()
    acted = fields.Integer(
        metadata={"description": "with a first action: referred, in progress or resolved"}
    )
    acted_in_time = fields.Integer(
        metadata={"description": "first acted on within the limit (act_by, working days)"}
    )
    median_working_hours = fields.Float(
        allow_none=True,
        metadata={"description": "to the first action, weekends and public holidays left out"},
    )


class MonthlyReportView(View):
    from_ = fields.String(data_key="from")
    to = fields.String()
    timezone = fields.String()
    dimensions = fields.List(fields.String())
    figures = fields.List(fields.Nested(FigureView))
    innovations = fields.List(fields.Nested(InnovationMonthView))
    programmes = fields.List(fields.Nested(FunnelView))
    first_actions = fields.List(fields.Nested(FirstActionMonthView))


# operations ---------------------------------------------------------------------------------


class LivenessView(View):
    status = fields.String()


class ReadinessView(View):
    status = fields.String(
        metadata={
            "description": "ready; degraded (a service is down: its "
            "routes answer 503); unavailable (503)"
        }
    )
    checks = fields.Dict(metadata={"description": "broker, database and each service"})


class ConsoleHealthView(View):
    status = fields.String(metadata={"description": "healthy, or unhealthy when any row is marked"})
    unhealthy = fields.List(fields.String())
    services = fields.List(
        fields.Dict(),
        metadata={
            "description": "each service: up, instances, outbox backlog and oldest "
            "unpublished age, "
            "inbox lag, failures per second, dead letters, marks"
        },
    )
    gateway = fields.Dict()
    checked_at = fields.DateTime()


class ConsoleQueuesView(View):
    queues = fields.List(
        fields.Dict(),
        metadata={
            "description": "every platform and agency queue: depth, consumers, rates, marks, and "
            "the last hour's samples"
        },
    )
    sample_seconds = fields.Number()
    checked_at = fields.DateTime()


class DeadLettersView(View):
    items = fields.List(
        fields.Dict(),
        metadata={
            "description": "service, event id and type, attempts, replays, error, failed_at and "
            "the body, identity numbers masked"
        },
    )
    truncated = fields.Boolean()


class DeadLetterActionView(View):
    action = fields.String()
    service = fields.String()
    count = fields.Integer()
    event_ids = fields.List(fields.String(allow_none=True))


class OperatorActionsView(View):
    items = fields.List(
        fields.Dict(),
        metadata={"description": "who replayed or discarded which dead letters, newest first"},
    )


class ConsoleLifecycleView(View):
    workers = fields.Dict()
    documents_desk = fields.Dict(allow_none=True)
    orientation = fields.Dict(allow_none=True)
    reintegration = fields.Dict(allow_none=True)
    unavailable = fields.List(fields.String())


class ConsoleCaseRow(View):
    id = fields.UUID()
    number = fields.String()
    case_type = fields.String()
    aspect = fields.String()
    urgency = fields.String()
    sensitive = fields.Boolean()
    status = fields.String()
    destination_country = _maybe(fields.String())
    assigned_to = _maybe(fields.String())
    received_at = fields.DateTime()
    age_seconds = fields.Integer()
    overdue = fields.List(fields.String())
    referrals = fields.List(
        fields.Nested(ReferralRowView),
        metadata={"description": "to whom, when, the delivery, the answers (no notes)"},
    )


class ConsoleMeView(View):
    role = fields.String()
    subject = fields.String(allow_none=True)
    pages = fields.List(
        fields.String(), metadata={"description": "the console's pages the role may open"}
    )


class ConsoleCasesView(View):
    items = fields.List(fields.Nested(ConsoleCaseRow))
    open = fields.Integer()
    overdue = fields.Integer()
    by_urgency = fields.Dict(metadata={"description": "open cases, most urgent first"})
    by_type = fields.Dict()
    by_country = fields.Dict(metadata={"description": "`?` when the destination is unknown"})
    weeks = fields.List(
        fields.Dict(), metadata={"description": "week (its Monday), opened, resolved; 12 weeks"}
    )
    as_of = fields.DateTime()


class Document(View):
    """A machine-readable API description (OpenAPI or AsyncAPI)."""


class Problem(View):
    """An error, as RFC 9457 ``application/problem+json``."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    errors = fields.Dict(metadata={"description": "field -> reasons, for invalid input"})
    details = fields.Dict(metadata={"description": "what the service said, e.g. what is missing"})
    correlation_id = fields.String()


# agencies' webhooks ---------------------------------------------------------------------------


class WebhookView(View):
    id = fields.UUID()
    agency = fields.String()
    url = fields.String()
    description = fields.String()
    event_types = fields.List(fields.String())
    status = fields.String(metadata={"description": "enabled or disabled"})
    disabled_reason = _maybe(fields.String())
    failing_since = _maybe(fields.DateTime())
    secrets = fields.List(
        fields.Dict(),
        metadata={
            "description": "the secrets signing now (never their values): the old one of a "
            "rotation has an expires_at"
        },
    )
    secret = fields.String(
        metadata={"description": "the new signing secret: shown once, on creation and rotation"}
    )


class AgencySettingsView(View):
    agency = fields.String()
    queue_format = fields.String(
        metadata={"description": "platform, cloudevents-binary or cloudevents-structured"}
    )
    contact_email = _maybe(
        fields.String(
            metadata={
                "description": "told when the platform disables one of the agency's endpoints"
            }
        )
    )


class EndpointHealthView(View):
    id = fields.UUID()
    agency = fields.String()
    url = fields.String(metadata={"description": "without its query, where a token may be"})
    description = fields.String()
    status = fields.String(metadata={"description": "enabled or disabled"})
    disabled_reason = _maybe(fields.String())
    failing_since = _maybe(fields.DateTime())
    last_success_at = _maybe(fields.DateTime())
    consecutive_failures = fields.Integer(
        metadata={"description": "attempts failed since the last success"}
    )
    more_failures = fields.Boolean(
        metadata={
            "description": "more failed than were counted (consecutive_failures is the limit)"
        }
    )
    pending = fields.Integer(metadata={"description": "deliveries waiting"})
    oldest_pending_age_seconds = _maybe(fields.Number())


class NoticeView(View):
    id = fields.Integer()
    kind = fields.String()
    agency = fields.String()
    endpoint_id = _maybe(fields.String())
    subject = fields.String()
    body = fields.String()
    created_at = fields.DateTime()
    state = fields.String(
        metadata={
            "description": "pending (mailed when SMTP_URL is set; retried), mailed or unaddressed"
        }
    )
    attempts = fields.Integer()
    mailed_at = _maybe(fields.DateTime())
    next_attempt_at = _maybe(fields.DateTime())
    last_error = _maybe(fields.String())


class ConsoleWebhooksView(View):
    endpoints = fields.List(fields.Nested(EndpointHealthView))
    notices = fields.List(fields.Nested(NoticeView))


class WebhookAttemptView(View):
    at = fields.DateTime()
    status = _maybe(fields.Integer(metadata={"description": "HTTP status, none: no answer"}))
    latency_ms = fields.Integer()
    error = _maybe(fields.String())


class WebhookDeliveryView(View):
    id = fields.Integer()
    event_id = fields.UUID()
    event_type = fields.String()
    worker_id = _maybe(fields.String())
    state = fields.String(metadata={"description": "pending, delivered, expired or withheld"})
    queued_at = fields.DateTime()
    next_attempt_at = _maybe(fields.DateTime())
    delivered_at = _maybe(fields.DateTime())
    replay_of = _maybe(fields.Integer())
    attempts = fields.List(fields.Nested(WebhookAttemptView))


class WebhookDeliveryPage(View):
    items = fields.List(fields.Nested(WebhookDeliveryView))
    next_before = _maybe(fields.Integer())


class ReplayView(View):
    queued = fields.Integer()


# Go-TKI letters ----------------------------------------------------------------------------


class LabelView(View):
    id = fields.String(metadata={"description": "Bahasa Indonesia"})
    en = fields.String()


class PermissionGiverView(View):
    id = fields.UUID()
    full_name = fields.String()
    relation = fields.String()


class LetterView(View):
    id = fields.UUID()
    worker_id = fields.UUID()
    letter_type = fields.String(
        metadata={"description": "family_permission, passport_recommendation, skck_recommendation"}
    )
    letter_type_label = fields.Nested(LabelView)
    status = fields.String(
        metadata={"description": "requested, acknowledged, refused, issued or revoked"}
    )
    village_code = _maybe(fields.String())
    purpose = _maybe(fields.String())
    requested_at = fields.DateTime()
    requested_by = _maybe(fields.String())
    requested_role = _maybe(fields.String())
    permission_giver_id = _maybe(fields.UUID())
    permission_giver_relation = _maybe(fields.String())
    permission_given_on = _maybe(fields.Date())
    decided_at = _maybe(fields.DateTime())
    decided_by = _maybe(fields.String())
    refusal_reason = _maybe(fields.String())
    form_scan_sha256 = _maybe(fields.String(metadata={"description": "offline: the scan"}))
    form_uploaded_by = _maybe(fields.String())
    form_uploaded_at = _maybe(fields.DateTime())
    form_refused_at = _maybe(
        fields.DateTime(metadata={"description": "offline: the last scan refused"})
    )
    form_refused_by = _maybe(fields.String())
    form_refusal_reason = _maybe(fields.String())
    number = _maybe(fields.String(metadata={"example": "560/17/RP/409.112/2026"}))
    issued_at = _maybe(fields.DateTime())
    issued_on = _maybe(fields.Date())
    issued_by = _maybe(fields.String())
    verification_code = _maybe(
        fields.String(metadata={"description": "anyone checks the letter with it: /verify/{code}"})
    )
    pdf_sha256 = _maybe(fields.String())
    revoked_at = _maybe(fields.DateTime())
    revoked_by = _maybe(fields.String())
    revocation_reason = _maybe(fields.String())
    updated_at = fields.DateTime()
    permission_givers = fields.List(
        fields.Nested(PermissionGiverView),
        metadata={"description": "a family permission waiting for the village: who may give it"},
    )


class LetterPage(View):
    items = fields.List(fields.Nested(LetterView))


class LetterCheckView(View):
    """The same shape for a valid, a revoked and an unknown letter."""

    code = fields.String()
    status = fields.String(metadata={"description": "valid, revoked or unknown"})
    status_label = fields.Nested(LabelView)
    letter_type = _maybe(fields.String())
    letter_type_label = _maybe(fields.Nested(LabelView))
    number = _maybe(fields.String())
    issued_on = _maybe(fields.Date())
    revoked_at = _maybe(fields.DateTime())
    worker_initials = _maybe(fields.String(metadata={"example": "S. N. A."}))


# the worker's app ----------------------------------------------------------------------------


class SignInChallengeView(View):
    challenge = fields.String(metadata={"description": "the id to send the code back with"})
    expires_in = fields.Integer(metadata={"description": "seconds the code lives (300)"})
    tries = fields.Integer(metadata={"description": "tries the code takes (5)"})


class AppTokensView(View):
    worker_id = fields.String()
    device_id = fields.String()
    access_token = fields.String(metadata={"description": "a worker token for 15 minutes"})
    token_type = fields.String()
    expires_in = fields.Integer()
    refresh_token = fields.String(
        metadata={"description": "spent at its first use for the next; 30 days"}
    )
    refresh_expires_in = fields.Integer()


class DeviceView(View):
    id = fields.String()
    name = fields.String()
    created_at = fields.String()
    last_used_at = fields.String()
    active = fields.Boolean()
    ended_at = _maybe(fields.String())
    ended_by = _maybe(fields.String())
    end_reason = _maybe(
        fields.String(metadata={"description": "signed_out, ended_by_desk, refresh_token_reused"})
    )
