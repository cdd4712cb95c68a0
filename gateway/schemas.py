"""What the gateway accepts: the JSON types, required fields and formats of each body and query.

These are checked at the edge, before any service is called; unknown fields are refused. The
services check the business rules again (a NIK's birth date, a country code, a document's dates).
"""

from __future__ import annotations

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from pmi_common.agreement import QUEUE_FORMATS
from pmi_common.contract import (
    AUDIENCES,
    CASE_AGENCY_ANSWERS,
    CASE_ASPECTS,
    CASE_CHANNELS,
    CASE_OUTCOMES,
    CASE_REFERRAL_KINDS,
    CASE_REPORTERS,
    CASE_STATUSES,
    CASE_TYPES,
    CASE_URGENCIES,
    DEATH_CAUSES,
    DOCUMENT_TYPES,
    FOLLOW_UP_MONTHS,
    INCOME_BANDS,
    INFORMATION_SOURCES,
    LETTER_DECISIONS,
    LETTER_STATUSES,
    LETTER_TYPES,
    RELATIONS,
    RETURN_REASONS,
    STAGES,
    STATUSES,
)
from pmi_common.fields import (
    AGENCY_NAME,
    BPJS,
    COUNTRY,
    DOCUMENT_NUMBER,
    NIK,
    PHONE,
    POSTAL_CODE,
    SEXES,
    SUBJECT,
    TICKET,
    VILLAGE_CODE,
    Longest,
    Most,
    StrictBoolean,
    StrictInteger,
    StrictNumber,
    text,
)
from pmi_common.topology import consuming_services

# fictional: well formed (East Java, Blitar; a woman born 17 March 1994) for the API document's
# examples and the fuzzer's first requests; it names no one and is never logged
CONSUMING_SERVICES = consuming_services()
EXAMPLE_NIK = "3505125703940002"


def _e(value) -> dict:
    """An example, for the API document (and the fuzzer's first, valid, requests)."""
    return {"example": value}


class Body(Schema):
    class Meta:
        unknown = RAISE


class Query(Schema):
    """Query parameters; unknown ones are refused like unknown body fields."""

    class Meta:
        unknown = RAISE

    limit = fields.Integer(validate=validate.Range(min=1, max=Most.PAGE))
    cursor = fields.String(validate=validate.Length(min=1, max=200))


# registration -------------------------------------------------------------------------------


class Address(Body):
    street = text(Longest.STREET, metadata=_e("Jl. Merdeka 12"))
    village = text(Longest.PLACE, metadata=_e("Kademangan"))
    village_code = fields.String(
        validate=VILLAGE_CODE,
        metadata={
            **_e("35.05.12.2001"),
            "description": "the village's kode wilayah (Kemendagri): its office acknowledges "
            "the worker's family permission",
        },
    )
    district = text(Longest.PLACE, metadata=_e("Kademangan"))
    regency = text(Longest.PLACE, required=True, metadata=_e("Blitar"))
    province = text(Longest.PLACE, metadata=_e("Jawa Timur"))
    postal_code = fields.String(validate=POSTAL_CODE, metadata=_e("66161"))


class RegisterWorker(Body):
    nik = fields.String(required=True, validate=NIK, metadata=_e(EXAMPLE_NIK))
    full_name = text(
        Longest.FULL_NAME, name=True, required=True, metadata=_e("Siti Nur'aini binti Ahmad")
    )
    birth_date = fields.Date(required=True, metadata=_e("1994-03-17"))
    sex = fields.String(required=True, validate=validate.OneOf(SEXES), metadata=_e("F"))
    phone = fields.String(required=True, validate=PHONE, metadata=_e("+6281234567890"))
    address = fields.Nested(Address, required=True)
    destination_country = fields.String(required=True, validate=COUNTRY, metadata=_e("HK"))
    occupation = text(Longest.OCCUPATION, required=True, metadata=_e("caregiver"))
    placement_agency = text(Longest.ORGANISATION, required=True, metadata=_e("PT Sinar Jaya"))


class RegisterFormerWorker(RegisterWorker):
    """A former worker; ``destination_country`` is where they worked."""

    destination_country = fields.String(required=True, validate=COUNTRY, metadata=_e("MY"))
    occupation = text(Longest.OCCUPATION, metadata=_e("plantation worker"))
    placement_agency = text(Longest.ORGANISATION, metadata=_e("PT Sinar Jaya"))
    from_year = fields.Integer(required=True, validate=validate.Range(min=1950), metadata=_e(2009))
    to_year = fields.Integer(required=True, validate=validate.Range(min=1950), metadata=_e(2015))
    employer = text(Longest.ORGANISATION, metadata=_e("Ladang Sawit Bhd"))
    source = fields.String(
        required=True, validate=validate.OneOf(INFORMATION_SOURCES), metadata=_e("worker")
    )


class RecordNonProceduralWorker(RegisterWorker):
    """A worker abroad who left outside the procedure; ``destination_country`` is where they
    are."""

    destination_country = fields.String(required=True, validate=COUNTRY, metadata=_e("SA"))
    occupation = text(Longest.OCCUPATION, metadata=_e("housemaid"))
    placement_agency = text(Longest.ORGANISATION, metadata=_e("PT Sinar Jaya"))
    left_on = fields.Date(metadata=_e("2025-07-01"))
    employer = text(Longest.ORGANISATION, metadata=_e("unknown household in Riyadh"))
    family_account = text(
        Longest.NOTE, metadata=_e("left with a sponsor from the next village; calls monthly")
    )
    source = fields.String(
        required=True, validate=validate.OneOf(INFORMATION_SOURCES), metadata=_e("family")
    )


class UpdateWorker(Body):
    """Contact details (the worker may change these) and the BPJS number (the desk records it)."""

    phone = fields.String(validate=PHONE)
    address = fields.Nested(Address)
    bpjs_number = fields.String(validate=BPJS, metadata=_e("12345678901"))


class RecordDeparture(Body):
    departed_on = fields.Date(required=True, metadata=_e("2027-02-01"))
    destination_country = fields.String(required=True, validate=COUNTRY, metadata=_e("HK"))
    employer = text(Longest.ORGANISATION, required=True, metadata=_e("Mr Chan Tai Man"))
    contract_starts_on = fields.Date(metadata=_e("2027-02-03"))  # default: the departure
    contract_ends_on = fields.Date(metadata=_e("2029-02-02"))


class ExtendContract(Body):
    ends_on = fields.Date(required=True, metadata=_e("2030-02-02"))


class ChangeEmployer(Body):
    employer = text(Longest.ORGANISATION, required=True, metadata=_e("Mrs Wong Mei Ling"))
    changed_on = fields.Date(required=True, metadata=_e("2027-09-01"))
    reason = text(Longest.REASON, required=True, metadata=_e("the employer moved abroad"))
    occupation = text(Longest.OCCUPATION, metadata=_e("caregiver"))


class ExpectReturn(Body):
    expected_return_on = fields.Date(required=True, metadata=_e("2028-12-20"))


class ContractsEnding(Query):
    within_days = fields.Integer(validate=validate.Range(min=0, max=730), metadata=_e(90))
    cursor = fields.String(validate=validate.Length(min=1, max=120))


class FamilyMemberDetails(Body):
    full_name = text(Longest.FULL_NAME, name=True, metadata=_e("Sumini"))
    relation = fields.String(validate=validate.OneOf(RELATIONS), metadata=_e("parent"))
    phone = fields.String(allow_none=True, validate=PHONE, metadata=_e("+6281311112222"))
    village = text(Longest.PLACE, allow_none=True, metadata=_e("Kademangan"))
    district = text(Longest.PLACE, allow_none=True, metadata=_e("Kademangan"))
    heir = StrictBoolean(metadata=_e(True))
    emergency_contact = StrictBoolean(metadata=_e(True))
    consent_to_contact = StrictBoolean(metadata=_e(True))


class AddFamilyMember(FamilyMemberDetails):
    full_name = text(Longest.FULL_NAME, name=True, required=True, metadata=_e("Sumini"))
    relation = fields.String(
        required=True, validate=validate.OneOf(RELATIONS), metadata=_e("parent")
    )


class ChangeFamilyMember(FamilyMemberDetails):
    pass


class RecordReturn(Body):
    returned_on = fields.Date(required=True, metadata=_e("2029-02-01"))
    reason = fields.String(
        required=True, validate=validate.OneOf(RETURN_REASONS), metadata=_e("contract_ended")
    )
    note = text(Longest.NOTE)


class RecordDeath(Body):
    died_on = fields.Date(required=True, metadata=_e("2027-08-14"))
    country = fields.String(required=True, validate=COUNTRY, metadata=_e("MY"))
    cause = fields.String(
        required=True, validate=validate.OneOf(DEATH_CAUSES), metadata=_e("illness")
    )
    remains_repatriated = StrictBoolean(required=True, metadata=_e(True))
    remains_arrive_on = fields.Date(metadata=_e("2027-08-21"))
    heirs = fields.List(
        fields.UUID(),
        validate=validate.Length(max=20),
        metadata={"description": "family member ids of the heirs", "example": []},
    )
    note = text(Longest.NOTE)


class Withdraw(Body):
    reason = text(Longest.REASON, required=True, metadata=_e("found work at home"))


class ListWorkers(Query):
    stage = fields.String(validate=validate.OneOf(STAGES))
    status = fields.String(validate=validate.OneOf(STATUSES))
    regency = text(Longest.PLACE)
    destination_country = fields.String(validate=COUNTRY)


class ListDisclosures(Query):
    cursor = fields.String(validate=validate.Length(min=1, max=200))


class RevokeAccess(Body):
    reason = text(Longest.REASON, metadata=_e("the worker's phone was lost"))


class AccessLogQuery(Query):
    worker_id = fields.UUID(required=True)


# documents ----------------------------------------------------------------------------------


class FileUpload(Body):
    content_base64 = fields.String(required=True, validate=validate.Length(min=1))
    filename = fields.String(allow_none=True, validate=validate.Length(max=Longest.FILENAME))


class SubmitDocument(Body):
    type = fields.String(
        required=True, validate=validate.OneOf(DOCUMENT_TYPES), metadata=_e("passport")
    )
    number = fields.String(required=True, validate=DOCUMENT_NUMBER, metadata=_e("C4812379"))
    issued_on = fields.Date(required=True, metadata=_e("2026-01-05"))
    expires_on = fields.Date(allow_none=True, metadata=_e("2031-01-05"))
    file = fields.Nested(FileUpload, allow_none=True)


class VerifyDocument(Body):
    note = text(Longest.NOTE)


class RejectDocument(Body):
    reason = text(Longest.REASON, required=True, metadata=_e("the photo page is blurred"))
    note = text(Longest.NOTE)


class DeskQueue(Query):
    type = fields.String(validate=validate.OneOf(DOCUMENT_TYPES))


class LapsedAbroad(Query):
    """A page of the documents lapsed abroad (``limit``, ``cursor``)."""


# orientation --------------------------------------------------------------------------------


class ScheduleSession(Body):
    starts_at = fields.AwareDateTime(
        required=True, format="iso", metadata=_e("2027-03-01T01:00:00+00:00")
    )
    location = text(Longest.LOCATION, required=True, metadata=_e("LTSA Blitar, ruang 2"))
    capacity = StrictInteger(
        required=True, validate=validate.Range(min=1, max=Most.SESSION_SEATS), metadata=_e(40)
    )
    topics = fields.List(
        text(Longest.TOPIC),
        validate=validate.Length(max=Most.TOPICS),
        metadata=_e(["rights and obligations", "safe remittance"]),
    )


class CancelSession(Body):
    reason = text(Longest.REASON, required=True, metadata=_e("the hall is flooded"))


class EnrolWorker(Body):
    worker_id = fields.UUID(required=True)


class RecordAttendance(Body):
    """The worker checked in by her id, or by the ticket her app shows as a QR (one of them),
    with the NIK she presents."""

    worker_id = fields.UUID()
    ticket = fields.String(validate=TICKET, metadata=_e("T-7K3M9-QXD4A"))
    nik = fields.String(required=True, validate=NIK, metadata=_e(EXAMPLE_NIK))

    @validates_schema
    def _one_of_them(self, data: dict, **_kwargs) -> None:
        if ("worker_id" in data) == ("ticket" in data):
            raise ValidationError("give worker_id or ticket (one of them)", "worker_id")


class ListSessions(Query):
    upcoming = fields.Boolean()


class ListIncidents(Query):
    session_id = fields.UUID()
    worker_id = fields.UUID()


# reintegration ------------------------------------------------------------------------------


class ProgramRound(Body):
    name = text(Longest.PROGRAM_NAME, required=True, metadata=_e("business model"))
    advance = StrictInteger(
        required=True, validate=validate.Range(min=1, max=Most.PROGRAM_PLACES), metadata=_e(75)
    )


class CreateProgram(Body):
    name = text(Longest.PROGRAM_NAME, required=True, metadata=_e("PAK CAMAT PMI 2027"))
    audience = fields.String(required=True, validate=validate.OneOf(AUDIENCES), metadata=_e("both"))
    capacity = StrictInteger(
        required=True, validate=validate.Range(min=1, max=Most.PROGRAM_PLACES), metadata=_e(100)
    )
    starts_on = fields.Date(required=True, metadata=_e("2027-04-01"))
    rounds = fields.List(
        fields.Nested(ProgramRound), required=True, validate=validate.Length(min=1, max=Most.ROUNDS)
    )


class ListPrograms(Query):
    open = fields.Boolean()
    audience = fields.String(validate=validate.OneOf(AUDIENCES))


class EnrolParticipant(Body):
    worker_id = fields.UUID(required=True)


class RecordRoundResult(Body):
    worker_id = fields.UUID(required=True)
    round = StrictInteger(required=True, validate=validate.Range(min=1, max=100))
    advanced = StrictBoolean(required=True)
    score = StrictNumber(allow_none=True, validate=validate.Range(min=0, max=100))
    note = text(Longest.NOTE, allow_none=True)


class CompleteParticipant(Body):
    worker_id = fields.UUID(required=True)
    business_started = StrictBoolean(required=True, metadata=_e(True))
    business_name = text(Longest.ORGANISATION, allow_none=True, metadata=_e("Ternak Lele Mandiri"))
    sector = text(Longest.PLACE, allow_none=True, metadata=_e("aquaculture"))
    regency = text(Longest.PLACE, allow_none=True, metadata=_e("Blitar"))


class RecordFollowUp(Body):
    """What the desk found 6 or 12 months after the completion of a participant who started a
    business."""

    worker_id = fields.UUID(required=True)
    months = StrictInteger(required=True, validate=validate.OneOf(FOLLOW_UP_MONTHS), metadata=_e(6))
    business_running = StrictBoolean(required=True, metadata=_e(True))
    income_band = fields.String(
        required=True, validate=validate.OneOf(INCOME_BANDS), metadata=_e("1m_to_3m")
    )
    migrated_again = StrictBoolean(required=True, metadata=_e(False))


# protection ---------------------------------------------------------------------------------


class OpenCase(Body):
    """About a registered worker (``worker_id``) or someone not registered (``person_name``,
    ``village_code``, ``destination_country``, ``employer`` if known)."""

    worker_id = fields.UUID()
    person_name = text(Longest.FULL_NAME, name=True, metadata=_e("Sri Wahyuni"))
    village_code = fields.String(validate=VILLAGE_CODE, metadata=_e("35.05.01.2001"))
    destination_country = fields.String(validate=COUNTRY, metadata=_e("HK"))
    employer = text(Longest.ORGANISATION)
    reporter_kind = fields.String(
        required=True, validate=validate.OneOf(CASE_REPORTERS), metadata=_e("other")
    )
    family_member_id = fields.UUID(
        metadata={"description": "the reporter, from the worker's family list"}
    )
    reporter_name = text(Longest.FULL_NAME)
    channel = fields.String(
        required=True, validate=validate.OneOf(CASE_CHANNELS), metadata=_e("desk")
    )
    aspect = fields.String(
        required=True, validate=validate.OneOf(CASE_ASPECTS), metadata=_e("social")
    )
    case_type = fields.String(
        required=True, validate=validate.OneOf(CASE_TYPES), metadata=_e("lost_contact")
    )
    urgency = fields.String(
        required=True, validate=validate.OneOf(CASE_URGENCIES), metadata=_e("high")
    )
    summary = text(
        Longest.CASE_SUMMARY, required=True, metadata=_e("No call from her for six weeks")
    )
    notes = text(Longest.CASE_SUMMARY)


class ListCases(Query):
    urgency = fields.String(validate=validate.OneOf(CASE_URGENCIES))
    overdue = fields.Boolean()
    limit = fields.Integer(validate=validate.Range(min=1, max=Most.PAGE))


class AssignCase(Body):
    caseworker = fields.String(required=True, validate=SUBJECT, metadata=_e("caseworker-1"))
    note = text(Longest.NOTE)


class CaseOutcome(Body):
    """How the case ended; each kind with its own details (the service says which are missing
    or out of place)."""

    kind = fields.String(
        required=True, validate=validate.OneOf(CASE_OUTCOMES), metadata=_e("repatriated")
    )
    amount = fields.Decimal(
        places=2,
        metadata={
            "description": "wages_recovered: how much (more than 0)",
            "minimum": 0.01,
            "example": 12000.0,
        },
    )
    currency = fields.String(
        validate=validate.Regexp(r"^[A-Z]{3}$"),
        metadata={"description": "wages_recovered: ISO 4217", "example": "HKD"},
    )
    returned_on = fields.Date(
        metadata={"description": "repatriated: the day home (default: today)"}
    )
    died_on = fields.Date(metadata={"description": "deceased_remains_repatriated"})
    died_in = fields.String(validate=COUNTRY, metadata={"description": "default: the case's"})
    death_cause = fields.String(validate=validate.OneOf(DEATH_CAUSES))
    remains_arrive_on = fields.Date()


class AttachFile(Body):
    content_base64 = fields.String(
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "a PDF, JPEG or PNG of at most 5 MiB, base64-encoded"},
    )
    filename = fields.String(allow_none=True, validate=validate.Length(max=Longest.FILENAME))
    description = text(Longest.NOTE, metadata=_e("slip gaji bulan Maret"))


class LinkCase(Body):
    worker_id = fields.UUID(required=True)
    note = text(Longest.NOTE)


class CaseReferral(Body):
    """Whom the case is referred to: an embassy or consulate names its country (the case's
    destination country if not given); police, a hospital or legal aid their name; an agency
    onboarded on the platform its agency name (it alone receives `case_referred`, and answers
    on the case)."""

    kind = fields.String(
        required=True, validate=validate.OneOf(CASE_REFERRAL_KINDS), metadata=_e("agency")
    )
    name = text(Longest.ORGANISATION, metadata=_e("KJRI Hong Kong"))
    country = fields.String(validate=COUNTRY, metadata={"description": "embassy: ISO 3166-1"})
    agency = fields.String(
        validate=AGENCY_NAME, metadata={"description": "agency: the onboarded agency's name"}
    )
    summary = text(
        Longest.CASE_SUMMARY,
        metadata={
            "description": "a body outside the platform (any kind but agency): what its referral "
            "letter tells it, as the caseworker confirms it (required)",
            "example": "Pekerja tidak dapat dihubungi sejak enam minggu; mohon bantuan pelacakan",
        },
    )


class ReferralAnswer(Body):
    """A body's answer on a referral, as the caseworker records it (a letter, a call, a visit)."""

    status = fields.String(
        required=True, validate=validate.OneOf(CASE_AGENCY_ANSWERS), metadata=_e("received")
    )
    answered_by = text(
        Longest.FULL_NAME, required=True, metadata=_e("Bapak Hendra, staf perlindungan KJRI")
    )
    answered_at = fields.AwareDateTime(
        metadata={"description": "when the body answered (now if not given)"}
    )
    note = text(Longest.NOTE, metadata=_e("sudah menghubungi majikan"))


class CaseUpdate(Body):
    """An agency's answer on a case referred to it."""

    status = fields.String(
        required=True, validate=validate.OneOf(CASE_AGENCY_ANSWERS), metadata=_e("in_progress")
    )
    note = text(Longest.NOTE, metadata=_e("petugas kami sudah menghubungi majikan"))


class MoveCase(Body):
    to = fields.String(
        required=True,
        validate=validate.OneOf([s for s in CASE_STATUSES if s != "received"]),
        metadata=_e("assessed"),
    )
    note = text(Longest.NOTE)
    public = StrictBoolean(metadata={"description": "the family may read the note"})
    outcome = fields.Nested(
        CaseOutcome,
        metadata={"description": "how the case ended: when, and only when, resolving it"},
    )
    referral = fields.Nested(
        CaseReferral,
        metadata={"description": "whom the case is referred to: when, and only when, referring"},
    )


class PublicCaseQuery(Query):
    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the code given at filing; or the X-Case-Code header"},
    )


# notifications ----------------------------------------------------------------------------------


class NotificationsQuery(Query):
    limit = fields.Integer(validate=validate.Range(min=1, max=200))


class NotificationChoices(Body):
    """A worker's choices for the messages the platform sends them."""

    channel = fields.String(validate=validate.OneOf(("sms", "whatsapp", "email")))
    language = fields.String(
        validate=validate.OneOf(("id", "en")), metadata=_e("id")
    )  # Bahasa Indonesia first
    consent = fields.Boolean()
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))


class NotificationReply(Body):
    """A reply to a message (BERHENTI, STOP, MULAI, START), as the SMS provider's relay forwards
    it, HMAC-SHA256-signed (hex) over ``timestamp.from.text`` with ``NOTIFY_INBOUND_SECRET``."""

    sender = fields.String(required=True, data_key="from", validate=PHONE)
    text = fields.String(required=True, validate=validate.Length(max=1600))
    timestamp = fields.String(
        required=True, validate=validate.Regexp(r"^[0-9]{1,12}$"), metadata=_e("1778641200")
    )
    signature = fields.String(required=True, validate=validate.Length(max=80))
    message_id = fields.String(validate=validate.Length(max=128))


class TwilioWebhook(Body):
    """The parameters Twilio posts (form-encoded): every one is signed, so every one is kept,
    those named here checked."""

    class Meta:
        unknown = INCLUDE

    From = fields.String(validate=validate.Length(max=64))
    To = fields.String(validate=validate.Length(max=64))
    Body = fields.String(validate=validate.Length(max=1600))
    MessageSid = fields.String(validate=validate.Length(max=64))
    MessageStatus = fields.String(validate=validate.Length(max=32))
    ErrorCode = fields.String(validate=validate.Length(max=16))


class TwilioSignature(Query):
    signature = fields.String(
        required=True,
        validate=validate.Length(min=1, max=80),
        metadata={"description": "the X-Twilio-Signature header"},
    )


class NotificationUsageQuery(Query):
    month = fields.String(
        required=True,
        validate=validate.Regexp(r"^20[0-9]{2}-(0[1-9]|1[0-2])$"),
        metadata=_e("2026-12"),
    )


class NotificationDeliveryReport(Body):
    """A provider's status callback for a sent message, as its relay forwards it,
    HMAC-SHA256-signed (hex) over ``timestamp.provider_message_id.status`` with
    ``NOTIFY_INBOUND_SECRET``."""

    provider_message_id = fields.String(
        required=True, validate=validate.Length(min=1, max=128), metadata=_e("sms-8841")
    )
    status = fields.String(
        required=True, validate=validate.OneOf(("delivered", "failed")), metadata=_e("delivered")
    )
    error = fields.String(allow_none=True, validate=validate.Length(max=200))
    timestamp = fields.String(
        required=True, validate=validate.Regexp(r"^[0-9]{1,12}$"), metadata=_e("1778641200")
    )
    signature = fields.String(required=True, validate=validate.Length(max=80))


# the planning office's reports ------------------------------------------------------------------

REPORT_MONTHS = 36  # the longest period one report covers: three years
_MONTH_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"


def month_index(month: str) -> int:
    """``2026-12`` -> the months since year 0: a period's length is a subtraction."""
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


class ReportPeriod(Schema):
    """The months of a report, both included; its messages Bahasa Indonesia first."""

    # the problem's ``detail`` when this query is refused (``edge.read_query``)
    invalid = "Periode laporan tidak sah (the report's period is not valid)"

    class Meta:
        unknown = RAISE

    from_ = fields.String(
        data_key="from",
        attribute="from",
        required=True,
        validate=validate.Regexp(
            _MONTH_PATTERN, error="harus berupa bulan TTTT-BB (must be a month: YYYY-MM)"
        ),
        error_messages={"required": "wajib diisi (required): YYYY-MM"},
        metadata=_e("2026-01"),
    )
    to = fields.String(
        required=True,
        validate=validate.Regexp(
            _MONTH_PATTERN, error="harus berupa bulan TTTT-BB (must be a month: YYYY-MM)"
        ),
        error_messages={"required": "wajib diisi (required): YYYY-MM"},
        metadata=_e("2026-12"),
    )

    @validates_schema(skip_on_field_errors=True)
    def _in_order_and_not_too_long(self, data, **_kwargs) -> None:
        length = month_index(data["to"]) - month_index(data["from"]) + 1
        if length < 1:
            raise ValidationError("tidak boleh sebelum bulan from (must not be before from)", "to")
        if length > REPORT_MONTHS:
            raise ValidationError(
                f"paling lama {REPORT_MONTHS} bulan per laporan, bukan {length} "
                f"(at most {REPORT_MONTHS} months per report, not {length})",
                "to",
            )


# the operators' console -------------------------------------------------------------------------


class DeadLetterQuery(Body):
    service = fields.String(validate=validate.OneOf(CONSUMING_SERVICES))
    match = text(200)


class ChooseDeadLetters(Body):
    """One event, all of a service's dead letters, or those whose error, type or body contain a
    text: exactly one of ``event_id``, ``all`` and ``match``."""

    service = fields.String(required=True, validate=validate.OneOf(CONSUMING_SERVICES))
    event_id = text(100)
    all = StrictBoolean(validate=validate.Equal(True))
    match = text(200)

    @validates_schema
    def one_choice(self, data, **kwargs):
        chosen = [name for name in ("event_id", "all", "match") if name in data]
        if len(chosen) != 1:
            raise ValidationError("choose exactly one of event_id, all and match", "_schema")


# Go-TKI letters ----------------------------------------------------------------------------


class RequestLetter(Body):
    """A family permission names the worker's village (its office acknowledges it); a
    recommendation needs the family permission acknowledged first (the passport's also the
    placement company on the worker's record)."""

    letter_type = fields.String(
        required=True, validate=validate.OneOf(LETTER_TYPES), metadata=_e("family_permission")
    )
    village_code = fields.String(validate=VILLAGE_CODE, metadata=_e("35.05.12.2001"))
    purpose = text(500, metadata=_e("bekerja sebagai perawat lansia di Hong Kong"))


class DecideFamilyPermission(Body):
    """Acknowledged: the permission giver (``family_member_id``, the spouse, a parent or a
    guardian from the worker's family list) and the day given; refused: why."""

    decision = fields.String(
        required=True, validate=validate.OneOf(LETTER_DECISIONS), metadata=_e("acknowledged")
    )
    family_member_id = fields.UUID()
    given_on = fields.Date(metadata=_e("2026-12-01"))
    reason = text(500)


class UploadLetterForm(Body):
    """Offline: the printed family permission form, signed on paper, scanned."""

    content_base64 = fields.String(
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "a PDF, JPEG or PNG of at most 5 MiB, base64-encoded"},
    )
    family_member_id = fields.UUID(
        required=True, metadata={"description": "the permission giver written on the form"}
    )
    given_on = fields.Date(required=True, metadata=_e("2026-12-01"))


class RefuseForm(Body):
    reason = text(500, required=True, metadata=_e("tanda tangan kepala desa tidak terbaca"))


class RevokeLetter(Body):
    reason = text(500, required=True, metadata=_e("diterbitkan atas data yang keliru"))


class ListLetters(Query):
    status = fields.String(validate=validate.OneOf(LETTER_STATUSES))
    letter_type = fields.String(validate=validate.OneOf(LETTER_TYPES))
    limit = fields.Integer(validate=validate.Range(min=1, max=Most.PAGE))


class NoQuery(Schema):
    """For reads that take no parameters: any query parameter is refused."""

    class Meta:
        unknown = RAISE


# agencies' webhooks ---------------------------------------------------------------------------


class AddWebhook(Body):
    url = fields.String(
        required=True,
        validate=validate.Length(min=8, max=2000),
        metadata=_e("https://siap.bpjsketenagakerjaan.example/hooks/pmi"),
    )
    events = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata=_e(["worker_departed", "worker_returned"]),
    )
    description = text(200)


class EditWebhook(Body):
    url = fields.String(
        validate=validate.Length(min=8, max=2000),
        metadata=_e("https://siap.bpjsketenagakerjaan.example/hooks/pmi/v2"),
    )
    events = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        validate=validate.Length(min=1, max=50),
        metadata=_e(["worker_departed"]),
    )
    description = text(200)


class ChangeAgencySettings(Body):
    queue_format = fields.String(
        validate=validate.OneOf(QUEUE_FORMATS),
        metadata={
            "description": "how the agency's queue carries each event: the platform's "
            "own form, or a CloudEvent (AMQP binding, binary or "
            "structured mode)"
        },
    )
    contact_email = fields.String(
        allow_none=True,
        validate=validate.Length(max=320),
        metadata=_e("integrasi@bpjsketenagakerjaan.example"),
    )


class RotateWebhookSecret(Body):
    keep_old_for_hours = StrictNumber(
        validate=validate.Range(min=0, max=720),
        metadata={"description": "how long the previous secret signs too (default 24)"},
    )


class DisableWebhook(Body):
    reason = text(500)


class EnableWebhook(Body):
    """An empty object: enabling takes nothing."""


class ReplayWebhook(Body):
    delivery = StrictInteger(
        validate=validate.Range(min=1), metadata={"description": "one delivery, by its id"}
    )
    since = fields.AwareDateTime(metadata={"description": "or those queued since"})
    until = fields.AwareDateTime()


class WebhookDeliveries(Query):
    before = StrictInteger(validate=validate.Range(min=1))
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()


# the worker's app ----------------------------------------------------------------------------


class AskSignInCode(Body):
    """The worker's NIK and the phone number on her record: a code is sent to that phone when
    both match one worker; the answer is the same when they do not."""

    nik = fields.String(required=True, validate=NIK, metadata=_e(EXAMPLE_NIK))
    phone = fields.String(required=True, validate=PHONE, metadata=_e("+6281234567890"))


class TrySignInCode(Body):
    challenge = fields.UUID(required=True, metadata={"description": "from POST /app/sign-in"})
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$"))
    device_name = fields.String(validate=validate.Length(min=1, max=100), metadata=_e("Android"))


class RefreshAppToken(Body):
    refresh_token = fields.String(required=True, validate=validate.Length(min=20, max=200))


class ReportProblem(Body):
    """A problem the worker reports herself from her app (a protection case about her)."""

    aspect = fields.String(
        required=True, validate=validate.OneOf(CASE_ASPECTS), metadata=_e("economic")
    )
    case_type = fields.String(
        required=True, validate=validate.OneOf(CASE_TYPES), metadata=_e("unpaid_wages")
    )
    urgency = fields.String(
        load_default="normal", validate=validate.OneOf(CASE_URGENCIES), metadata=_e("high")
    )
    summary = text(
        Longest.CASE_SUMMARY, required=True, metadata=_e("Gaji belum dibayar tiga bulan")
    )
