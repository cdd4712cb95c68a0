"""The event contract: the envelope, each event's payload schema, and who publishes and handles it.

Events go to the topic exchange ``<source>.events`` with the event type as routing key. An event
once published never changes shape: a new shape is a new ``event_version`` with its own schema here.
A service publishes the latest version of a type; the older versions stay listed, because the
history (the outbox archive, backfills, a read model's rebuild) still holds them, and every handler
of a type reads each version by its own schema (``events.parse_event``). A new version adds fields
to the last one and keeps every field it had, so a handler reading the old fields reads both.
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from .fields import VILLAGE_CODE
from .lifecycle import STAGE, STATUSES
from .names import (  # noqa: F401 - the contract speaks these names; callers find them here too
    AGENCIES,
    AUDIENCES,
    CASE_AGENCY_ANSWERS,
    CASE_ASPECTS,
    CASE_ASSIGNED,
    CASE_CHANNELS,
    CASE_LINKED,
    CASE_OPENED,
    CASE_OUTCOME_RECORDED,
    CASE_OUTCOMES,
    CASE_REFERRAL_KINDS,
    CASE_REFERRED,
    CASE_REPORTERS,
    CASE_RESOLVED,
    CASE_STATUS_CHANGED,
    CASE_STATUSES,
    CASE_TYPES,
    CASE_URGENCIES,
    CONTRACT_ENDING,
    CONTRACT_EXTENDED,
    CONTRACT_RECORDED,
    DEATH_CAUSES,
    DOCUMENT_EXPIRED,
    DOCUMENT_EXPIRING,
    DOCUMENT_LAPSED_ABROAD,
    DOCUMENT_REJECTED,
    DOCUMENT_SUBMITTED,
    DOCUMENT_TYPES,
    DOCUMENT_VERIFIED,
    DOCUMENTS,
    DOCUMENTS_COMPLETED,
    EMPLOYER_CHANGED,
    FAMILY_MEMBER_ADDED,
    FAMILY_MEMBER_CHANGED,
    FAMILY_MEMBER_REMOVED,
    FOLLOW_UP_MONTHS,
    FORMER_WORKER_REGISTERED,
    GATEWAY,
    INCOME_BANDS,
    INFORMATION_SOURCES,
    LETTER_ACKNOWLEDGED,
    LETTER_DECISIONS,
    LETTER_ISSUED,
    LETTER_REQUESTED,
    LETTER_REVOKED,
    LETTER_STATUSES,
    LETTER_TYPES,
    LETTERS,
    NON_PROCEDURAL_WORKER_RECORDED,
    NOTIFICATION_CHANNELS,
    NOTIFICATION_SENT,
    NOTIFICATIONS,
    ORIENTATION,
    ORIENTATION_COMPLETED,
    ORIENTATION_ENROLLED,
    ORIENTATION_RELEASED,
    PARTICIPANT_KINDS,
    PERMISSION_RELATIONS,
    PROGRAM_CREATED,
    PROTECTION,
    REGISTRATION,
    REINTEGRATION,
    REINTEGRATION_COMPLETED,
    REINTEGRATION_ENROLLED,
    REINTEGRATION_FOLLOWED_UP,
    REINTEGRATION_ROUND_RECORDED,
    RELATIONS,
    RENEWABLE_ABROAD,
    REPORTING,
    RETURN_EXPECTED,
    RETURN_REASONS,
    SECTORS,
    SERVICES,
    SESSION_CANCELLED,
    SESSION_SCHEDULED,
    WORKER_DEPARTED,
    WORKER_DIED,
    WORKER_REGISTERED,
    WORKER_RETURNED,
    WORKER_STATUS_CHANGED,
)

STAGES = tuple(dict.fromkeys(STAGE.values()))  # pre_departure, abroad, return


class Actor(Schema):
    """Who caused an event: the gateway caller's role, agency and subject, or a service itself."""

    class Meta:
        unknown = EXCLUDE

    role = fields.String(required=True)
    agency = fields.String(allow_none=True, load_default=None)
    subject = fields.String(allow_none=True, load_default=None)


class Envelope(Schema):
    """Every event body. ``sequence`` increases per worker (or per session or programme for events
    that concern no single worker) for each source."""

    class Meta:
        unknown = RAISE

    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    event_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True, format="iso")
    source = fields.String(required=True, validate=validate.OneOf(SERVICES))
    worker_id = fields.String(required=True, allow_none=True)
    sequence = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    correlation_id = fields.String(required=True)
    actor = fields.Nested(Actor, allow_none=True, load_default=None)
    data = fields.Dict(required=True)


class _Payload(Schema):
    class Meta:
        unknown = RAISE


class WorkerRegisteredV1(_Payload):
    nik_masked = fields.String(required=True)
    nik_digest = fields.String(required=True)
    full_name = fields.String(required=True)
    sex = fields.String(required=True, validate=validate.OneOf(("F", "M")))
    regency = fields.String(required=True)
    destination_country = fields.String(required=True)
    occupation = fields.String(required=True)
    placement_agency = fields.String(required=True)
    cycle = fields.Integer(required=True)


class WorkerRegisteredV2(WorkerRegisteredV1):
    """Version 1 and what the planning office's figures need of the worker besides: the birth
    year (the age band of each month's figures; never the birth date, which with the sex and the
    district gives the NIK back) and the village's code (Kemendagri's kode wilayah), when the
    record names one. Neither leaves the platform (``published.WITHHELD``)."""

    birth_year = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1900, max=2100)
    )
    village_code = fields.String(required=True, allow_none=True, validate=VILLAGE_CODE)


class WorkerStatusChangedV1(_Payload):
    from_status = fields.String(required=True, allow_none=True, validate=validate.OneOf(STATUSES))
    to_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    reason = fields.String(required=True)
    cycle = fields.Integer(required=True)


class WorkerDepartedV1(_Payload):
    departed_on = fields.Date(required=True)
    destination_country = fields.String(required=True)
    employer = fields.String(required=True)
    cycle = fields.Integer(required=True)


class WorkerReturnedV1(_Payload):
    returned_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(RETURN_REASONS))
    cycle = fields.Integer(required=True)


class _DocumentPayload(_Payload):
    document_id = fields.String(required=True)
    document_type = fields.String(required=True, validate=validate.OneOf(DOCUMENT_TYPES))
    checklist_complete = fields.Boolean(required=True)  # the worker's checklist after this event


class DocumentSubmittedV1(_DocumentPayload):
    number_masked = fields.String(required=True)
    issued_on = fields.Date(required=True)
    expires_on = fields.Date(required=True, allow_none=True)
    file_sha256 = fields.String(required=True, allow_none=True)


class DocumentVerifiedV1(_DocumentPayload):
    expires_on = fields.Date(required=True, allow_none=True)


class DocumentRejectedV1(_DocumentPayload):
    reason = fields.String(required=True)


class DocumentExpiredV1(_DocumentPayload):
    expired_on = fields.Date(required=True)


class DocumentLapsedAbroadV1(_Payload):
    """A passport or work visa lapsed while the worker is abroad: a warning for the desk (the
    worker stays ``departed``) until a renewal is submitted."""

    document_id = fields.String(required=True)
    document_type = fields.String(required=True, validate=validate.OneOf(RENEWABLE_ABROAD))
    expired_on = fields.Date(required=True)


class DocumentExpiringV1(_Payload):
    """A verified passport or work visa lapses soon: ``days_left`` days after the district's day
    of the check, within the warning of ``warning_days`` (60, then 30), announced once per
    document and warning, before departure or while the worker is abroad (``abroad``)."""

    document_id = fields.String(required=True)
    document_type = fields.String(required=True, validate=validate.OneOf(RENEWABLE_ABROAD))
    expires_on = fields.Date(required=True)
    days_left = fields.Integer(required=True)
    warning_days = fields.Integer(required=True)
    abroad = fields.Boolean(required=True)


class DocumentsCompletedV1(_Payload):
    document_ids = fields.List(fields.String(), required=True)
    earliest_expiry = fields.Date(required=True, allow_none=True)


class SessionScheduledV1(_Payload):
    session_id = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True, format="iso")
    location = fields.String(required=True)
    capacity = fields.Integer(required=True)
    topics = fields.List(fields.String(), required=True)


class SessionCancelledV1(_Payload):
    session_id = fields.String(required=True)
    reason = fields.String(required=True)


class OrientationEnrolledV1(_Payload):
    session_id = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True, format="iso")


class OrientationReleasedV1(_Payload):
    session_id = fields.String(required=True)
    reason = fields.String(required=True)


class OrientationCompletedV1(_Payload):
    session_id = fields.String(required=True)
    certificate_number = fields.String(required=True)
    completed_at = fields.AwareDateTime(required=True, format="iso")


class ProgramRound(Schema):
    name = fields.String(required=True)
    advance = fields.Integer(required=True)


class ProgramCreatedV1(_Payload):
    program_id = fields.String(required=True)
    name = fields.String(required=True)
    audience = fields.String(required=True, validate=validate.OneOf(AUDIENCES))
    capacity = fields.Integer(required=True)
    starts_on = fields.Date(required=True)
    rounds = fields.List(fields.Nested(ProgramRound), required=True)


class ReintegrationEnrolledV1(_Payload):
    program_id = fields.String(required=True)
    participant_kind = fields.String(required=True, validate=validate.OneOf(PARTICIPANT_KINDS))


class ReintegrationRoundRecordedV1(_Payload):
    program_id = fields.String(required=True)
    round = fields.Integer(required=True)
    advanced = fields.Boolean(required=True)
    score = fields.Float(required=True, allow_none=True)
    participant_kind = fields.String(required=True, validate=validate.OneOf(PARTICIPANT_KINDS))


class ReintegrationCompletedV1(_Payload):
    program_id = fields.String(required=True)
    participant_kind = fields.String(required=True, validate=validate.OneOf(PARTICIPANT_KINDS))
    business_started = fields.Boolean(required=True)
    business_name = fields.String(required=True, allow_none=True)
    sector = fields.String(required=True, allow_none=True)
    regency = fields.String(required=True, allow_none=True)
    awarded = fields.Boolean(required=True)


class ReintegrationFollowedUpV1(_Payload):
    """The reintegration desk followed up a participant's business ``months`` (6 or 12) after
    the completion: whether it still runs, its monthly income by band, and whether the person
    migrated again (the programme's aim is that they need not). Never the business's name."""

    program_id = fields.String(required=True)
    participant_kind = fields.String(required=True, validate=validate.OneOf(PARTICIPANT_KINDS))
    months = fields.Integer(required=True, validate=validate.OneOf(FOLLOW_UP_MONTHS))
    business_running = fields.Boolean(required=True)
    income_band = fields.String(required=True, validate=validate.OneOf(INCOME_BANDS))
    migrated_again = fields.Boolean(required=True)


class ContractRecordedV1(_Payload):
    """The contract abroad, as the desk recorded it with the departure."""

    employer = fields.String(required=True)
    occupation = fields.String(required=True)
    sector = fields.String(required=True, validate=validate.OneOf(SECTORS))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True, allow_none=True)  # None: not known yet
    expected_return_on = fields.Date(required=True, allow_none=True)
    cycle = fields.Integer(required=True)


class ContractExtendedV1(_Payload):
    previous_ends_on = fields.Date(required=True, allow_none=True)
    ends_on = fields.Date(required=True)
    cycle = fields.Integer(required=True)


class EmployerChangedV1(_Payload):
    previous_employer = fields.String(required=True, allow_none=True)
    employer = fields.String(required=True)
    changed_on = fields.Date(required=True)
    reason = fields.String(required=True)
    occupation = fields.String(required=True)
    sector = fields.String(required=True, validate=validate.OneOf(SECTORS))
    cycle = fields.Integer(required=True)


class ReturnExpectedV1(_Payload):
    expected_return_on = fields.Date(required=True)
    cycle = fields.Integer(required=True)


class ContractEndingV1(_Payload):
    """A worker abroad is due home: the contract ends on ``ends_on``, ``days_left`` days after
    the district's day of the check (announced once per end date; an extension gives another)."""

    ends_on = fields.Date(required=True)
    days_left = fields.Integer(required=True)
    cycle = fields.Integer(required=True)


class _FamilyMemberPayload(_Payload):
    member_id = fields.String(required=True)
    relation = fields.String(required=True, validate=validate.OneOf(RELATIONS))
    full_name = fields.String(required=True)
    phone = fields.String(required=True, allow_none=True)
    village = fields.String(required=True, allow_none=True)
    district = fields.String(required=True, allow_none=True)
    heir = fields.Boolean(required=True)
    emergency_contact = fields.Boolean(required=True)
    consent_to_contact = fields.Boolean(required=True)  # the worker's, to contact this person


class FamilyMemberAddedV1(_FamilyMemberPayload):
    pass


class FamilyMemberChangedV1(_FamilyMemberPayload):
    changed = fields.List(fields.String(), required=True)  # the fields that changed


class FamilyMemberRemovedV1(_Payload):
    member_id = fields.String(required=True)
    relation = fields.String(required=True, validate=validate.OneOf(RELATIONS))


class Heir(Schema):
    """An heir, by the family member's id and who they are to the worker."""

    member_id = fields.String(required=True)
    relation = fields.String(required=True, validate=validate.OneOf(RELATIONS))


class HeirName(Schema):
    member_id = fields.String(required=True)
    full_name = fields.String(required=True)


class WorkerDiedV1(_Payload):
    """A worker's death, as the desk recorded it: where, when, of what kind of cause, whether the
    remains come home and when, and the heirs from the worker's family."""

    died_on = fields.Date(required=True)
    country = fields.String(required=True)  # ISO 3166-1 alpha-2; ID when at home
    cause = fields.String(required=True, validate=validate.OneOf(DEATH_CAUSES))
    remains_repatriated = fields.Boolean(required=True)
    remains_arrive_on = fields.Date(required=True, allow_none=True)
    heirs = fields.List(fields.Nested(Heir), required=True)
    heir_names = fields.List(fields.Nested(HeirName), required=True)
    cycle = fields.Integer(required=True)


class FormerWorkerRegisteredV1(_Payload):
    """A former worker (abroad before the platform followed them) registered as a returnee,
    with the placement as far as it is known."""

    country = fields.String(required=True)
    from_year = fields.Integer(required=True)
    to_year = fields.Integer(required=True)
    employer = fields.String(required=True, allow_none=True)
    occupation = fields.String(required=True)
    source = fields.String(required=True, validate=validate.OneOf(INFORMATION_SOURCES))
    cycle = fields.Integer(required=True)


class NonProceduralWorkerRecordedV1(_Payload):
    """A worker abroad who left outside the procedure, recorded with what is known: where, since
    when and for whom, and the family's account."""

    country = fields.String(required=True)
    left_on = fields.Date(required=True, allow_none=True)
    employer = fields.String(required=True, allow_none=True)
    occupation = fields.String(required=True)
    family_account = fields.String(required=True, allow_none=True)
    source = fields.String(required=True, validate=validate.OneOf(INFORMATION_SOURCES))
    cycle = fields.Integer(required=True)


class _CasePayload(_Payload):
    """What every event about a protection case carries: never the summary, the notes, the
    reporter or a NIK; ``sensitive`` (violence, trafficking) keeps the event from every agency."""

    case_id = fields.String(required=True)
    case_type = fields.String(required=True, validate=validate.OneOf(CASE_TYPES))
    urgency = fields.String(required=True, validate=validate.OneOf(CASE_URGENCIES))
    sensitive = fields.Boolean(required=True)


class CaseOpenedV1(_CasePayload):
    """A case received at the protection desk, about a registered worker (the envelope's
    ``worker_id``) or someone not registered (``registered`` false, no worker id)."""

    case_number = fields.String(required=True)
    registered = fields.Boolean(required=True)
    destination_country = fields.String(required=True, allow_none=True)
    reporter_kind = fields.String(required=True, validate=validate.OneOf(CASE_REPORTERS))
    channel = fields.String(required=True, validate=validate.OneOf(CASE_CHANNELS))
    aspect = fields.String(required=True, validate=validate.OneOf(CASE_ASPECTS))
    status = fields.String(required=True, validate=validate.OneOf(CASE_STATUSES))
    acknowledge_by = fields.AwareDateTime(required=True, format="iso")
    act_by = fields.AwareDateTime(required=True, format="iso")


class CaseAssignedV1(_CasePayload):
    assigned_to = fields.String(required=True)  # the caseworker's login
    previously_assigned_to = fields.String(required=True, allow_none=True)


class CaseStatusChangedV1(_CasePayload):
    from_status = fields.String(required=True, validate=validate.OneOf(CASE_STATUSES))
    to_status = fields.String(required=True, validate=validate.OneOf(CASE_STATUSES))


class CaseResolvedV1(_CasePayload):
    aspect = fields.String(required=True, validate=validate.OneOf(CASE_ASPECTS))
    destination_country = fields.String(required=True, allow_none=True)
    received_at = fields.AwareDateTime(required=True, format="iso")
    resolved_at = fields.AwareDateTime(required=True, format="iso")
    acknowledged_in_time = fields.Boolean(required=True)
    acted_in_time = fields.Boolean(required=True)


class CaseOutcomeRecordedV1(_CasePayload):
    """How a resolved case ended (published with ``case_resolved``, whose version 1 has no
    outcome). ``wages_recovered`` names the ``amount`` and ``currency``; ``repatriated`` the day
    the worker came home (``returned_on``); ``deceased_remains_repatriated`` the death
    (``died_on``, ``died_in``, the ``death_cause`` category, ``remains_arrive_on`` if known).
    Registration records the return or the death of the registered worker it names."""

    outcome = fields.String(required=True, validate=validate.OneOf(CASE_OUTCOMES))
    amount = fields.Decimal(required=True, allow_none=True, as_string=True, places=2)
    currency = fields.String(required=True, allow_none=True, validate=validate.Length(equal=3))
    returned_on = fields.Date(required=True, allow_none=True)
    died_on = fields.Date(required=True, allow_none=True)
    died_in = fields.String(required=True, allow_none=True)  # ISO 3166-1 alpha-2
    death_cause = fields.String(
        required=True, allow_none=True, validate=validate.OneOf(DEATH_CAUSES)
    )
    remains_arrive_on = fields.Date(required=True, allow_none=True)


class CaseLinkedV1(_CasePayload):
    """A case about someone not registered, linked to the registered worker it turned out to be
    about (the envelope's ``worker_id``): from now on its events are the worker's."""

    aspect = fields.String(required=True, validate=validate.OneOf(CASE_ASPECTS))
    status = fields.String(required=True, validate=validate.OneOf(CASE_STATUSES))


class CaseReferredV1(_CasePayload):
    """A case referred to a body that must act: BP3MI, an embassy or consulate, the placement
    company, the police, a hospital, legal aid (``referred_kind``), or an agency onboarded on the
    platform (``referred_agency``, its name): only that agency receives the event, a sensitive
    case's too. Never the summary, the notes or the note of the referral."""

    aspect = fields.String(required=True, validate=validate.OneOf(CASE_ASPECTS))
    destination_country = fields.String(required=True, allow_none=True)
    referred_kind = fields.String(required=True, validate=validate.OneOf(CASE_REFERRAL_KINDS))
    referred_agency = fields.String(required=True, allow_none=True)


class _LetterPayload(_Payload):
    """What every event about a Go-TKI letter carries (the worker in the envelope): never the
    permission giver's name, the village's code or the letter's verification code."""

    letter_id = fields.String(required=True)
    letter_type = fields.String(required=True, validate=validate.OneOf(LETTER_TYPES))


class LetterRequestedV1(_LetterPayload):
    """A letter was asked for by the desk or the worker, its prerequisites met."""

    status = fields.String(required=True, validate=validate.OneOf(LETTER_STATUSES))


class LetterAcknowledgedV1(_LetterPayload):
    """The village office of the worker's village decided on the family permission:
    ``acknowledged``, with what the permission giver is to the worker and the day given, or
    ``refused``."""

    decision = fields.String(required=True, validate=validate.OneOf(LETTER_DECISIONS))
    relation = fields.String(
        required=True, allow_none=True, validate=validate.OneOf(PERMISSION_RELATIONS)
    )
    given_on = fields.Date(required=True, allow_none=True)


class LetterIssuedV1(_LetterPayload):
    """The office issued the letter with its number (signed PDF, checkable by its code)."""

    number = fields.String(required=True)
    issued_on = fields.Date(required=True)


class LetterRevokedV1(_LetterPayload):
    """The office revoked an issued letter: its check says so from now on; the number is
    never given again."""

    number = fields.String(required=True)
    revoked_at = fields.AwareDateTime(required=True, format="iso")


class NotificationSentV1(_Payload):
    """A provider took a message: its kind, channel, SMS segments and cost (the office's price,
    ``NOTIFY_COST_*``: per segment for SMS, per message otherwise, in whole rupiah). Never the
    address, the text or anything of the person but the envelope's ``worker_id``."""

    kind = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(NOTIFICATION_CHANNELS))
    segments = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    cost_rupiah = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


@dataclass(frozen=True)
class EventSpec:
    """One row of the contract table."""

    event_type: str
    version: int
    source: str
    schema: type[Schema]
    handlers: tuple[str, ...]
    summary: str


_ALL = SERVICES

CONTRACT: tuple[EventSpec, ...] = (
    EventSpec(
        WORKER_REGISTERED,
        1,
        REGISTRATION,
        WorkerRegisteredV1,
        (DOCUMENTS, ORIENTATION, REINTEGRATION, NOTIFICATIONS, REPORTING),
        "a worker's registration was accepted, as announced before version 2 (the history: no "
        "birth year, no village code)",
    ),
    EventSpec(
        WORKER_REGISTERED,
        2,
        REGISTRATION,
        WorkerRegisteredV2,
        (DOCUMENTS, ORIENTATION, REINTEGRATION, NOTIFICATIONS, REPORTING),
        "a worker's registration was accepted",
    ),
    EventSpec(
        WORKER_STATUS_CHANGED,
        1,
        REGISTRATION,
        WorkerStatusChangedV1,
        (DOCUMENTS, ORIENTATION, REINTEGRATION, NOTIFICATIONS, REPORTING),
        "a worker's lifecycle status changed",
    ),
    EventSpec(
        WORKER_DEPARTED,
        1,
        REGISTRATION,
        WorkerDepartedV1,
        (REPORTING,),
        "a worker's departure was recorded",
    ),
    EventSpec(
        WORKER_RETURNED,
        1,
        REGISTRATION,
        WorkerReturnedV1,
        (REINTEGRATION, NOTIFICATIONS, REPORTING),
        "a worker's return was recorded",
    ),
    EventSpec(
        DOCUMENT_SUBMITTED,
        1,
        DOCUMENTS,
        DocumentSubmittedV1,
        (REGISTRATION, ORIENTATION),
        "a document was submitted for verification",
    ),
    EventSpec(
        DOCUMENT_VERIFIED,
        1,
        DOCUMENTS,
        DocumentVerifiedV1,
        (REGISTRATION, ORIENTATION, REPORTING),
        "a verifier accepted a document",
    ),
    EventSpec(
        DOCUMENT_REJECTED,
        1,
        DOCUMENTS,
        DocumentRejectedV1,
        (REGISTRATION, ORIENTATION, NOTIFICATIONS, REPORTING),
        "a verifier rejected a document, with the reason",
    ),
    EventSpec(
        DOCUMENT_EXPIRED,
        1,
        DOCUMENTS,
        DocumentExpiredV1,
        (REGISTRATION, ORIENTATION),
        "a verified document passed its expiry date",
    ),
    EventSpec(
        DOCUMENT_LAPSED_ABROAD,
        1,
        DOCUMENTS,
        DocumentLapsedAbroadV1,
        (REGISTRATION,),
        "a passport or work visa lapsed while the worker is abroad: a warning for the desk to "
        "see it renewed (the worker stays departed)",
    ),
    EventSpec(
        DOCUMENT_EXPIRING,
        1,
        DOCUMENTS,
        DocumentExpiringV1,
        (NOTIFICATIONS,),
        "a verified passport or work visa lapses within 60 days, then within 30: announced once "
        "per document and warning, before departure and while the worker is abroad",
    ),
    EventSpec(
        DOCUMENTS_COMPLETED,
        1,
        DOCUMENTS,
        DocumentsCompletedV1,
        (REGISTRATION, ORIENTATION, NOTIFICATIONS),
        "every required document is verified and unexpired",
    ),
    EventSpec(
        SESSION_SCHEDULED,
        1,
        ORIENTATION,
        SessionScheduledV1,
        (NOTIFICATIONS, REPORTING),
        "an orientation (OPP) session was scheduled",
    ),
    EventSpec(
        SESSION_CANCELLED,
        1,
        ORIENTATION,
        SessionCancelledV1,
        (),
        "an orientation session was cancelled",
    ),
    EventSpec(
        ORIENTATION_ENROLLED,
        1,
        ORIENTATION,
        OrientationEnrolledV1,
        (REGISTRATION, NOTIFICATIONS, REPORTING),
        "a worker was enrolled in an orientation session",
    ),
    EventSpec(
        ORIENTATION_RELEASED,
        1,
        ORIENTATION,
        OrientationReleasedV1,
        (REGISTRATION, NOTIFICATIONS),
        "a worker's enrolment was released (session cancelled, eligibility lost)",
    ),
    EventSpec(
        ORIENTATION_COMPLETED,
        1,
        ORIENTATION,
        OrientationCompletedV1,
        (REGISTRATION, NOTIFICATIONS, REPORTING),
        "a worker attended orientation and holds its certificate",
    ),
    EventSpec(
        PROGRAM_CREATED,
        1,
        REINTEGRATION,
        ProgramCreatedV1,
        (NOTIFICATIONS, REPORTING),
        "a reintegration (entrepreneurship) programme was created",
    ),
    EventSpec(
        REINTEGRATION_ENROLLED,
        1,
        REINTEGRATION,
        ReintegrationEnrolledV1,
        (REGISTRATION, REPORTING),
        "a worker was enrolled in a reintegration programme",
    ),
    EventSpec(
        REINTEGRATION_ROUND_RECORDED,
        1,
        REINTEGRATION,
        ReintegrationRoundRecordedV1,
        (REGISTRATION, REPORTING),
        "a participant's result in a selection round was recorded",
    ),
    EventSpec(
        REINTEGRATION_COMPLETED,
        1,
        REINTEGRATION,
        ReintegrationCompletedV1,
        (REGISTRATION, REPORTING),
        "a participant completed a programme, with its outcome",
    ),
    EventSpec(
        REINTEGRATION_FOLLOWED_UP,
        1,
        REINTEGRATION,
        ReintegrationFollowedUpV1,
        (REPORTING,),
        "a business started in a programme, followed up 6 or 12 months after the completion",
    ),
    EventSpec(
        CONTRACT_RECORDED,
        1,
        REGISTRATION,
        ContractRecordedV1,
        (),
        "a departed worker's contract abroad: employer, sector, start and end",
    ),
    EventSpec(
        CONTRACT_EXTENDED,
        1,
        REGISTRATION,
        ContractExtendedV1,
        (),
        "a worker's contract abroad was extended to a new end date",
    ),
    EventSpec(
        EMPLOYER_CHANGED,
        1,
        REGISTRATION,
        EmployerChangedV1,
        (),
        "a worker abroad changed employer, with the reason",
    ),
    EventSpec(
        RETURN_EXPECTED,
        1,
        REGISTRATION,
        ReturnExpectedV1,
        (),
        "when a worker abroad is expected home",
    ),
    EventSpec(
        CONTRACT_ENDING,
        1,
        REGISTRATION,
        ContractEndingV1,
        (REINTEGRATION, NOTIFICATIONS),
        "a worker abroad is due home: the contract ends within the notice period (60 days), "
        "announced once per end date",
    ),
    EventSpec(
        FAMILY_MEMBER_ADDED,
        1,
        REGISTRATION,
        FamilyMemberAddedV1,
        (),
        "a family member or emergency contact of a worker was recorded",
    ),
    EventSpec(
        FAMILY_MEMBER_CHANGED,
        1,
        REGISTRATION,
        FamilyMemberChangedV1,
        (),
        "a family member's details, heir or contact flags or consent changed",
    ),
    EventSpec(
        FAMILY_MEMBER_REMOVED,
        1,
        REGISTRATION,
        FamilyMemberRemovedV1,
        (),
        "a family member was removed from a worker's record",
    ),
    EventSpec(
        WORKER_DIED,
        1,
        REGISTRATION,
        WorkerDiedV1,
        (REPORTING, NOTIFICATIONS),
        "a worker died (abroad or at home): cause category, repatriation of remains, heirs",
    ),
    EventSpec(
        FORMER_WORKER_REGISTERED,
        1,
        REGISTRATION,
        FormerWorkerRegisteredV1,
        (REINTEGRATION,),
        "a former worker was registered as a returnee, with the past placement",
    ),
    EventSpec(
        NON_PROCEDURAL_WORKER_RECORDED,
        1,
        REGISTRATION,
        NonProceduralWorkerRecordedV1,
        (),
        "a worker abroad who left outside the procedure was recorded, with what is known",
    ),
    EventSpec(
        CASE_OPENED,
        1,
        PROTECTION,
        CaseOpenedV1,
        (REGISTRATION, REPORTING, NOTIFICATIONS),
        "a case (pengaduan) was received at the protection desk: type, urgency, time limits",
    ),
    EventSpec(
        CASE_ASSIGNED,
        1,
        PROTECTION,
        CaseAssignedV1,
        (REGISTRATION,),
        "a protection case was assigned to a caseworker",
    ),
    EventSpec(
        CASE_STATUS_CHANGED,
        1,
        PROTECTION,
        CaseStatusChangedV1,
        (REGISTRATION, NOTIFICATIONS, REPORTING),
        "a protection case moved in its workflow (assessed, referred, resolved, reopened...)",
    ),
    EventSpec(
        CASE_RESOLVED,
        1,
        PROTECTION,
        CaseResolvedV1,
        (REGISTRATION, REPORTING),
        "a protection case was resolved, with whether its time limits were met",
    ),
    EventSpec(
        CASE_OUTCOME_RECORDED,
        1,
        PROTECTION,
        CaseOutcomeRecordedV1,
        (REGISTRATION, REPORTING, NOTIFICATIONS),
        "how a resolved protection case ended; a repatriation or a death moves the worker",
    ),
    EventSpec(
        CASE_LINKED,
        1,
        PROTECTION,
        CaseLinkedV1,
        (REGISTRATION,),
        "a case about someone not registered was linked to a registered worker",
    ),
    EventSpec(
        CASE_REFERRED,
        1,
        PROTECTION,
        CaseReferredV1,
        (),
        "a protection case was referred to a body that must act; an onboarded agency's to it only",
    ),
    EventSpec(
        LETTER_REQUESTED,
        1,
        LETTERS,
        LetterRequestedV1,
        (REGISTRATION,),
        "a Go-TKI letter (family permission, passport or SKCK recommendation) was requested",
    ),
    EventSpec(
        LETTER_ACKNOWLEDGED,
        1,
        LETTERS,
        LetterAcknowledgedV1,
        (REGISTRATION,),
        "the worker's village office acknowledged (or refused) the family permission",
    ),
    EventSpec(
        LETTER_ISSUED,
        1,
        LETTERS,
        LetterIssuedV1,
        (REGISTRATION, NOTIFICATIONS, REPORTING),
        "the office issued a letter with its number, signed, checkable by anyone",
    ),
    EventSpec(
        LETTER_REVOKED,
        1,
        LETTERS,
        LetterRevokedV1,
        (REGISTRATION,),
        "the office revoked an issued letter",
    ),
    EventSpec(
        NOTIFICATION_SENT,
        1,
        NOTIFICATIONS,
        NotificationSentV1,
        (REPORTING,),
        "a message was handed to its provider: kind, channel, segments and cost (internal only)",
    ),
)

# The platform's own running, never an agency's business: the agencies service does not receive
# these, and the published contract (``services/agencies/published.py``) leaves them out.
INTERNAL_ONLY = frozenset({NOTIFICATION_SENT})

_BY_KEY = {(spec.event_type, spec.version): spec for spec in CONTRACT}
_LATEST = {spec.event_type: spec for spec in sorted(CONTRACT, key=lambda s: s.version)}


class UnknownEvent(LookupError):
    """An event type or version this contract does not define."""


def spec_for(event_type: str, version: int | None = None) -> EventSpec:
    spec = _LATEST.get(event_type) if version is None else _BY_KEY.get((event_type, version))
    if spec is None:
        raise UnknownEvent(f"unknown event {event_type!r} version {version!r}")
    return spec


def exchange_name(source: str) -> str:
    return f"{source}.events"


def published_by(source: str) -> tuple[EventSpec, ...]:
    return tuple(spec for spec in CONTRACT if spec.source == source)


def handled_by(service: str) -> tuple[EventSpec, ...]:
    """The events ``service`` consumes, each type once, as its latest version: the agencies
    service every one of them but the platform's own (``INTERNAL_ONLY``). A service handling a
    type handles every version of it the contract still lists (``versions_of``): the history,
    archive, backfills and rebuilds, hold the older ones."""
    latest = tuple(spec for spec in CONTRACT if spec.version == _LATEST[spec.event_type].version)
    if service == AGENCIES:
        return tuple(spec for spec in latest if spec.event_type not in INTERNAL_ONLY)
    return tuple(spec for spec in latest if service in spec.handlers)


def versions_of(event_type: str) -> tuple[EventSpec, ...]:
    """Every version of ``event_type`` the contract lists, the oldest first."""
    listed = (spec for spec in CONTRACT if spec.event_type == event_type)
    return tuple(sorted(listed, key=lambda spec: spec.version))


@dataclass(frozen=True)
class LifecycleStep:
    """One row of the lifecycle: the status, its stage, and the service and trigger moving it."""

    stage: str
    status: str
    moved_by: str
    trigger: str


LIFECYCLE: tuple[LifecycleStep, ...] = (
    LifecycleStep(
        "pre_departure",
        "registered",
        REGISTRATION,
        "registration accepted (`POST /workers`); also the way back when a document "
        f"is rejected or expires before departure (`{DOCUMENT_REJECTED}`, "
        f"`{DOCUMENT_EXPIRED}` from {DOCUMENTS})",
    ),
    LifecycleStep(
        "pre_departure",
        "documents_verified",
        DOCUMENTS,
        f"`{DOCUMENTS_COMPLETED}`: every required document verified and unexpired",
    ),
    LifecycleStep(
        "pre_departure",
        "orientation_completed",
        ORIENTATION,
        f"`{ORIENTATION_COMPLETED}`: attended an OPP session, NIK checked",
    ),
    LifecycleStep(
        "pre_departure",
        "cleared_for_departure",
        REGISTRATION,
        "all of the above plus a BPJS number on file (`PATCH /workers/{id}`)",
    ),
    LifecycleStep(
        "abroad",
        "departed",
        REGISTRATION,
        f"departure recorded with the contract abroad (`POST /workers/{{id}}/departure`, "
        f"`{WORKER_DEPARTED}`, `{CONTRACT_RECORDED}`); while abroad the contract may be "
        f"extended (`{CONTRACT_EXTENDED}`), the employer change (`{EMPLOYER_CHANGED}`) and a "
        f"return be expected (`{RETURN_EXPECTED}`), and a passport or work visa be renewed "
        f"(`{DOCUMENT_SUBMITTED}`, `{DOCUMENT_VERIFIED}`); a lapse abroad is a warning for the "
        f"desk (`{DOCUMENT_LAPSED_ABROAD}`), one due to lapse within 60 and 30 days is "
        f"announced (`{DOCUMENT_EXPIRING}`, also before departure); a contract ending within 60 "
        f"days is announced once per end date (`{CONTRACT_ENDING}`, reintegration's outreach); "
        "none of which "
        "moves the status",
    ),
    LifecycleStep(
        "return",
        "returned",
        REGISTRATION,
        f"return recorded (`POST /workers/{{id}}/return`, `{WORKER_RETURNED}`; a reason "
        "`repatriated` when the state brought the worker home, also recorded by a protection case "
        f"resolved as repatriated, `{CASE_OUTCOME_RECORDED}`); or a former worker registered "
        f"with a past placement, without the gates (`POST /former-workers`, "
        f"`{FORMER_WORKER_REGISTERED}`)",
    ),
    LifecycleStep(
        "return", "in_reintegration", REINTEGRATION, f"`{REINTEGRATION_ENROLLED}` of a returnee"
    ),
    LifecycleStep(
        "return", "reintegrated", REINTEGRATION, f"`{REINTEGRATION_COMPLETED}` of a returnee"
    ),
    LifecycleStep(
        "pre_departure",
        "withdrawn",
        REGISTRATION,
        "the worker withdraws before departure (`POST /workers/{id}/withdrawal`); a candidate "
        "who withdrew may still join a programme open to prospective workers "
        f"(`{REINTEGRATION_ENROLLED}`, on the timeline without moving the status)",
    ),
    LifecycleStep(
        "deceased",
        "deceased",
        REGISTRATION,
        f"death recorded from any status (`POST /workers/{{id}}/death`, `{WORKER_DIED}`): final, "
        "no route moves the worker on and the NIK cannot register again; also recorded by a "
        f"protection case resolved as `deceased_remains_repatriated` (`{CASE_OUTCOME_RECORDED}`)",
    ),
)


def lifecycle_markdown() -> str:
    """The README's lifecycle table, generated from ``LIFECYCLE``."""
    lines = ["| stage | status | moved by | when |", "|---|---|---|---|"]
    lines += [f"| {s.stage} | `{s.status}` | {s.moved_by} | {s.trigger} |" for s in LIFECYCLE]
    return "\n".join(lines)


def events_markdown() -> str:
    """The README's event table, generated from ``CONTRACT``."""
    lines = ["| event | version | published to | handled by | meaning |", "|---|---|---|---|---|"]
    lines += [
        f"| `{s.event_type}` | {s.version} | `{exchange_name(s.source)}` | "
        f"{', '.join(s.handlers) or '(agencies)'} | {s.summary} |"
        for s in CONTRACT
    ]
    return "\n".join(lines)
