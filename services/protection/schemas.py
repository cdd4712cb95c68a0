"""What the protection service accepts and returns."""

from __future__ import annotations

import datetime as dt

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from pmi_common.contract import (
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
)
from pmi_common.fields import (
    AGENCY_NAME,
    CASE_CODE,
    CASE_NUMBER,
    COUNTRY,
    SUBJECT,
    VILLAGE_CODE,
    Longest,
    Most,
)
from pmi_common.scans import BadFile, read_scan
from pmi_common.validation import text_field

from .domain import (
    ANSWERED,
    DECEASED,
    ONBOARDED,
    RECEIVED,
    REPATRIATED,
    STATUS_LABELS,
    WAGES_RECOVERED,
    Case,
    Step,
)
from .domain import Referral as Referred

PERSON_FIELDS = ("person_name", "village_code", "destination_country", "employer")


class OpenCase(Schema):
    """A case about a registered worker (``worker_id``) or about someone not registered
    (``person_name``, ``village_code``, ``destination_country``, ``employer`` if known)."""

    class Meta:
        unknown = RAISE

    worker_id = fields.UUID(load_default=None)
    person_name = text_field(Longest.FULL_NAME, load_default=None)
    village_code = fields.String(load_default=None, validate=VILLAGE_CODE)
    destination_country = fields.String(load_default=None, validate=COUNTRY)
    employer = text_field(Longest.ORGANISATION, load_default=None)
    reporter_kind = fields.String(required=True, validate=validate.OneOf(CASE_REPORTERS))
    family_member_id = fields.UUID(load_default=None)
    reporter_name = text_field(Longest.FULL_NAME, load_default=None)
    channel = fields.String(required=True, validate=validate.OneOf(CASE_CHANNELS))
    aspect = fields.String(required=True, validate=validate.OneOf(CASE_ASPECTS))
    case_type = fields.String(required=True, validate=validate.OneOf(CASE_TYPES))
    urgency = fields.String(required=True, validate=validate.OneOf(CASE_URGENCIES))
    summary = text_field(Longest.CASE_SUMMARY, required=True)
    notes = text_field(Longest.CASE_SUMMARY, load_default=None)

    @validates_schema
    def _about_whom(self, data: dict, **_kwargs) -> None:
        errors: dict[str, list[str]] = {}
        if data.get("worker_id") is not None:
            for name in ("person_name", "village_code", "destination_country"):
                if data.get(name) is not None:
                    errors[name] = ["only for someone not registered: the worker's record says it"]
        else:
            for name in ("person_name", "village_code", "destination_country"):
                if data.get(name) is None:
                    errors[name] = ["required when the case names no worker_id"]
        family = data.get("reporter_kind") == "family_member"
        if family and data.get("family_member_id") is None:
            errors["family_member_id"] = ["required when a family member reports"]
        if family and data.get("worker_id") is None:
            errors["worker_id"] = ["a family member is one of a registered worker's family"]
        if not family and data.get("family_member_id") is not None:
            errors["family_member_id"] = ["only when a family member reports"]
        if data.get("reporter_kind") == "agency" and data.get("reporter_name") is None:
            errors["reporter_name"] = ["name the agency that reports"]
        if errors:
            raise ValidationError(errors)


class AssignCase(Schema):
    class Meta:
        unknown = RAISE

    caseworker = fields.String(required=True, validate=SUBJECT)
    note = text_field(Longest.NOTE, load_default=None)


CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="must be an ISO 4217 code such as HKD, MYR, IDR")
# the details each outcome may give (and must, where ``required``)
DETAILS_OF: dict[str, tuple[str, ...]] = {
    WAGES_RECOVERED: ("amount", "currency"),
    REPATRIATED: ("returned_on",),
    DECEASED: ("died_on", "died_in", "death_cause", "remains_arrive_on"),
}
REQUIRED_DETAILS: dict[str, tuple[str, ...]] = {
    WAGES_RECOVERED: ("amount", "currency"),
    DECEASED: ("died_on", "death_cause"),
}


class Outcome(Schema):
    """How a case ended: ``wages_recovered`` with the ``amount`` and ``currency``;
    ``repatriated`` with the day home (``returned_on``, the day resolved if not given);
    ``deceased_remains_repatriated`` with ``died_on``, ``death_cause``, ``died_in`` (the case's
    destination country if not given) and ``remains_arrive_on`` when known."""

    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.OneOf(CASE_OUTCOMES))
    amount = fields.Decimal(
        load_default=None, places=2, validate=validate.Range(min=0, min_inclusive=False)
    )
    currency = fields.String(load_default=None, validate=CURRENCY)
    returned_on = fields.Date(load_default=None)
    died_on = fields.Date(load_default=None)
    died_in = fields.String(load_default=None, validate=COUNTRY)
    death_cause = fields.String(load_default=None, validate=validate.OneOf(DEATH_CAUSES))
    remains_arrive_on = fields.Date(load_default=None)

    @validates_schema
    def _details_of_kind(self, data: dict, **_kwargs) -> None:
        kind = data["kind"]
        allowed = DETAILS_OF.get(kind, ())
        errors = {
            name: [f"not a detail of the outcome {kind}"]
            for name in self.fields
            if name != "kind" and name not in allowed and data.get(name) is not None
        }
        errors.update(
            {
                name: [f"required for the outcome {kind}"]
                for name in REQUIRED_DETAILS.get(kind, ())
                if data.get(name) is None
            }
        )
        if errors:
            raise ValidationError(errors)


class Referral(Schema):
    """Whom a case is referred to (the domain says what each kind needs)."""

    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.OneOf(CASE_REFERRAL_KINDS))
    name = text_field(Longest.ORGANISATION, load_default=None)
    country = fields.String(load_default=None, validate=COUNTRY)
    agency = fields.String(load_default=None, validate=AGENCY_NAME)
    # what the referral letter tells a body outside the platform, as the caseworker confirms it
    summary = text_field(Longest.CASE_SUMMARY, load_default=None)


class ReferralAnswer(Schema):
    """A body's answer on a referral, as the caseworker records it: who answered, when (now if
    not given), where it stands and what they said."""

    class Meta:
        unknown = RAISE

    status = fields.String(required=True, validate=validate.OneOf(CASE_AGENCY_ANSWERS))
    answered_by = text_field(Longest.FULL_NAME, required=True)
    answered_at = fields.AwareDateTime(load_default=None)
    note = text_field(Longest.NOTE, load_default=None)


class AgencyUpdate(Schema):
    """What an agency a case was referred to answers about it."""

    class Meta:
        unknown = RAISE

    status = fields.String(required=True, validate=validate.OneOf(CASE_AGENCY_ANSWERS))
    note = text_field(Longest.NOTE, load_default=None)


class MoveCase(Schema):
    class Meta:
        unknown = RAISE

    to = fields.String(
        required=True, validate=validate.OneOf([s for s in CASE_STATUSES if s != RECEIVED])
    )
    note = text_field(Longest.NOTE, load_default=None)
    public = fields.Boolean(load_default=False)
    outcome = fields.Nested(Outcome, load_default=None)  # when, and only when, resolving
    referral = fields.Nested(Referral, load_default=None)  # when, and only when, referring

    @validates_schema
    def _public_note(self, data: dict, **_kwargs) -> None:
        if data["public"] and data.get("note") is None:
            raise ValidationError(["a public note needs its text"], field_name="note")


class LinkCase(Schema):
    class Meta:
        unknown = RAISE

    worker_id = fields.UUID(required=True)
    note = text_field(Longest.NOTE, load_default=None)


class AttachFile(Schema):
    """A scan or photo for a case: base64 content, judged by the documents desk's rule (a PDF,
    JPEG or PNG of at most 5 MiB, by its content)."""

    class Meta:
        unknown = RAISE

    content_base64 = fields.String(required=True)
    filename = fields.String(load_default=None, validate=validate.Length(max=Longest.FILENAME))
    description = text_field(Longest.NOTE, load_default=None)

    @post_load
    def _scan(self, data: dict, **_kwargs) -> dict:
        try:
            data["file"] = read_scan(data.pop("content_base64"))
        except BadFile as exc:
            raise ValidationError({"content_base64": [str(exc)]}) from exc
        return data


class ListCases(Schema):
    class Meta:
        unknown = EXCLUDE

    urgency = fields.String(validate=validate.OneOf(CASE_URGENCIES))
    overdue = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=Most.PAGE))


class PublicLookup(Schema):
    class Meta:
        unknown = RAISE

    number = fields.String(required=True, validate=CASE_NUMBER)
    code = fields.String(required=True, validate=CASE_CODE)


# views --------------------------------------------------------------------------------------


class StepView(Schema):
    action = fields.String()
    at = fields.DateTime()
    by = fields.String()
    role = fields.String()
    from_status = fields.String()
    to_status = fields.String()
    assigned_to = fields.String()
    note = fields.String()
    public = fields.Boolean()
    outcome = fields.String(allow_none=True)
    referral = fields.Dict(allow_none=True)
    agency = fields.String(allow_none=True)
    answer = fields.String(allow_none=True)
    referral_id = fields.String(allow_none=True)
    answered_by = fields.String(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)


class AnswerView(Schema):
    """A body's answer on a referral's thread, as the console lists it: who, when, where it
    stands (the note is read on the case)."""

    status = fields.String(attribute="answer")
    answered_by = fields.String(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    recorded_by = fields.String(attribute="by", allow_none=True)
    recorded_at = fields.DateTime(attribute="at")


class ReferralView(Schema):
    """A referral: to whom, when, how its letter reaches the body, and the body's answers."""

    id = fields.String()
    kind = fields.String()
    name = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    agency = fields.String(allow_none=True)
    referred_at = fields.DateTime()
    referred_by = fields.String(allow_none=True)
    delivery = fields.String()
    email = fields.String(allow_none=True)
    mailed_at = fields.DateTime(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    letter = fields.Method("_letter")

    def _letter(self, referral: Referred) -> bool:
        return referral.kind != ONBOARDED


def referrals_view(case: Case, with_summary: bool = False) -> list[dict]:
    """A case's referrals, each with its thread of answers (the summary its letter gives only
    where the whole case is read)."""
    dumped = []
    for referral in case.referrals:
        one = ReferralView().dump(referral)
        thread = [s for s in case.steps if s.referral_id == referral.id and s.action == ANSWERED]
        one["answers"] = AnswerView(many=True).dump(thread)
        if with_summary:
            one["summary"] = referral.summary
        dumped.append(one)
    return dumped


class AttachmentView(Schema):
    id = fields.String()
    sha256 = fields.String()
    media_type = fields.String()
    size = fields.Integer()
    filename = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    added_at = fields.DateTime()
    added_by = fields.String(allow_none=True)


class AsOf(Schema):
    """A view of cases as they stand at ``now``: which time limits each has passed."""

    def __init__(self, now: dt.datetime, **kwargs):
        super().__init__(**kwargs)
        self.now = now

    def _overdue(self, case: Case) -> list[str]:
        return case.overdue(self.now)


class CaseView(AsOf):
    """A case as the desk sees it; ``overdue`` names the limits passed as of ``now``."""

    id = fields.String()
    number = fields.String()
    worker_id = fields.String(allow_none=True)
    person_name = fields.String(allow_none=True)
    village_code = fields.String(allow_none=True)
    destination_country = fields.String(allow_none=True)
    employer = fields.String(allow_none=True)
    reporter_kind = fields.String()
    family_member_id = fields.String(allow_none=True)
    reporter_name = fields.String(allow_none=True)
    channel = fields.String()
    aspect = fields.String()
    case_type = fields.String()
    urgency = fields.String()
    sensitive = fields.Boolean()
    summary = fields.String()
    notes = fields.String(allow_none=True)
    status = fields.String()
    assigned_to = fields.String(allow_none=True)
    assigned_at = fields.DateTime(allow_none=True)
    received_at = fields.DateTime()
    acknowledge_by = fields.DateTime()
    act_by = fields.DateTime()
    acknowledged_at = fields.DateTime(allow_none=True)
    acted_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    outcome = fields.String(allow_none=True)
    outcome_details = fields.Dict(allow_none=True)
    overdue = fields.Method("_overdue")
    steps = fields.List(fields.Nested(StepView))
    attachments = fields.List(fields.Nested(AttachmentView))
    referrals = fields.Method("_referrals")

    def _referrals(self, case: Case) -> list[dict]:
        return referrals_view(case, with_summary=True)


def answer_view(case: Case, step: Step) -> dict:
    """What an agency reads back of its answer: the step it made, nothing else of the case."""
    return {
        "case_id": case.id,
        "status": step.answer,
        "note": step.note,
        "at": step.at.isoformat(),
        "agency": step.agency,
    }


def public_view(case: Case) -> dict:
    """What a family reads with the case's number and code: its status and the public notes."""
    return {
        "number": case.number,
        "status": case.status,
        "status_label": STATUS_LABELS[case.status],
        "received_at": case.received_at.isoformat(),
        "updated_at": (case.updated_at or case.received_at).isoformat(),
        "notes": [_public_note(step) for step in case.public_notes()],
    }


def _public_note(step: Step) -> dict:
    return {"at": step.at.isoformat(), "status": step.to_status, "note": step.note}


class OverviewCaseView(AsOf):
    """An open case as the console lists it: what it is about and how long it has waited,
    never its summary, notes, reporter or the person's name."""

    id = fields.String()
    number = fields.String()
    case_type = fields.String()
    aspect = fields.String()
    urgency = fields.String()
    sensitive = fields.Boolean()
    status = fields.String()
    destination_country = fields.String(allow_none=True)
    assigned_to = fields.String(allow_none=True)
    received_at = fields.DateTime()
    age_seconds = fields.Method("_age")
    overdue = fields.Method("_overdue")
    referrals = fields.Method("_referrals")

    def _referrals(self, case: Case) -> list[dict]:
        return referrals_view(case)

    def _age(self, case: Case) -> int:
        return int((self.now - case.received_at).total_seconds())
