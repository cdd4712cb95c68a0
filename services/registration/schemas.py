"""What the registration service accepts and returns."""

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
    validates,
    validates_schema,
)

from pmi_common.contract import (
    DEATH_CAUSES,
    INFORMATION_SOURCES,
    RELATIONS,
    RETURN_REASONS,
    STAGES,
    STATUSES,
)
from pmi_common.fields import (
    BPJS,
    COUNTRY,
    PHONE,
    POSTAL_CODE,
    SEXES,
    VILLAGE_CODE,
    Longest,
    Most,
)
from pmi_common.validation import not_blank, person_name, text_field

from .countries import ISO_3166_ALPHA2
from .domain import age_problem
from .nik import nik_problems

DEPARTURE_HORIZON_DAYS = 90
OUTREACH_DAYS = 90  # the reintegration desk reaches out this long before a contract ends
LONGEST_OUTREACH_DAYS = 730


class Address(Schema):
    class Meta:
        unknown = RAISE

    street = text_field(Longest.STREET, load_default=None)
    village = text_field(Longest.PLACE, load_default=None)
    # the village's code in the Ministry of Home Affairs' list: the village office that serves
    # the worker (its Go-TKI acknowledgements), and the village in the planning office's figures
    village_code = fields.String(load_default=None, validate=VILLAGE_CODE)
    district = text_field(Longest.PLACE, load_default=None)
    regency = text_field(Longest.PLACE, required=True)
    province = text_field(Longest.PLACE, load_default=None)
    postal_code = fields.String(validate=POSTAL_CODE, load_default=None)


class RegisterWorker(Schema):
    class Meta:
        unknown = RAISE

    nik = fields.String(required=True)
    full_name = text_field(
        Longest.FULL_NAME,
        required=True,
        validate=[validate.Length(min=1, max=Longest.FULL_NAME), not_blank, person_name],
    )
    birth_date = fields.Date(required=True)
    sex = fields.String(required=True, validate=validate.OneOf(SEXES))
    phone = fields.String(required=True, validate=PHONE)
    address = fields.Nested(Address, required=True)
    destination_country = fields.String(required=True)
    occupation = text_field(Longest.OCCUPATION, required=True)
    placement_agency = text_field(Longest.ORGANISATION, required=True)

    def __init__(self, today: dt.date, **kwargs):
        super().__init__(**kwargs)
        self.today = today

    @validates("destination_country")
    def _country(self, value: str, **_kwargs) -> None:
        if value not in ISO_3166_ALPHA2:
            raise ValidationError("must be an ISO 3166-1 alpha-2 code such as MY, HK, TW")
        if value == "ID":
            raise ValidationError("must be a country abroad, not ID")

    @validates("birth_date")
    def _adult(self, value: dt.date, **_kwargs) -> None:
        problem = age_problem(value, self.today)
        if problem:
            raise ValidationError(problem)

    @validates_schema(skip_on_field_errors=False)
    def _nik(self, data: dict, **_kwargs) -> None:
        problems = nik_problems(data.get("nik"), data.get("birth_date"), data.get("sex"))
        if problems:
            raise ValidationError(problems, field_name="nik")


class RegisterFormerWorker(RegisterWorker):
    """A former worker: who they are, and the placement abroad (``destination_country``, the
    years, the employer when known, who told the desk). The occupation and the placement
    agency may be unknown."""

    occupation = text_field(Longest.OCCUPATION, load_default="")
    placement_agency = text_field(Longest.ORGANISATION, load_default="")
    from_year = fields.Integer(required=True, validate=validate.Range(min=1950))
    to_year = fields.Integer(required=True, validate=validate.Range(min=1950))
    employer = text_field(Longest.ORGANISATION, load_default=None)
    source = fields.String(required=True, validate=validate.OneOf(INFORMATION_SOURCES))


class RecordNonProceduralWorker(RegisterWorker):
    """A worker abroad who left outside the procedure: who they are, where they are
    (``destination_country``), when they left and the employer if known, and what the family
    knows. The occupation and the placement agency may be unknown."""

    occupation = text_field(Longest.OCCUPATION, load_default="")
    placement_agency = text_field(Longest.ORGANISATION, load_default="")
    left_on = fields.Date(load_default=None)
    employer = text_field(Longest.ORGANISATION, load_default=None)
    family_account = text_field(Longest.NOTE, load_default=None)
    source = fields.String(required=True, validate=validate.OneOf(INFORMATION_SOURCES))


class UpdateWorker(Schema):
    class Meta:
        unknown = RAISE

    phone = fields.String(validate=PHONE)
    address = fields.Nested(Address)
    bpjs_number = fields.String(validate=BPJS)

    @post_load
    def _something(self, data: dict, **_kwargs) -> dict:
        if not data:
            raise ValidationError("give at least one of phone, address, bpjs_number")
        return data


class RecordDeparture(Schema):
    class Meta:
        unknown = RAISE

    departed_on = fields.Date(required=True)
    destination_country = fields.String(required=True)
    employer = text_field(Longest.ORGANISATION, required=True)
    # the contract abroad: it starts on the departure unless given; its end, when known
    contract_starts_on = fields.Date(load_default=None)
    contract_ends_on = fields.Date(load_default=None)

    def __init__(self, today: dt.date, horizon_days: int = DEPARTURE_HORIZON_DAYS, **kwargs):
        super().__init__(**kwargs)
        self.today = today
        self.horizon_days = horizon_days

    @validates("departed_on")
    def _not_far_ahead(self, value: dt.date, **_kwargs) -> None:
        latest = self.today + dt.timedelta(days=self.horizon_days)
        if value > latest:
            raise ValidationError(
                f"must be within {self.horizon_days} days from today "
                f"({latest} at the latest): record a departure when it is near"
            )

    @validates("destination_country")
    def _country(self, value: str, **_kwargs) -> None:
        if value not in ISO_3166_ALPHA2 or value == "ID":
            raise ValidationError("must be an ISO 3166-1 alpha-2 code of a country abroad")


class RecordReturn(Schema):
    class Meta:
        unknown = RAISE

    returned_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(RETURN_REASONS))
    note = text_field(Longest.NOTE, load_default=None)

    def __init__(self, today: dt.date, **kwargs):
        super().__init__(**kwargs)
        self.today = today

    @validates("returned_on")
    def _not_in_future(self, value: dt.date, **_kwargs) -> None:
        if value > self.today:
            raise ValidationError(f"must not be in the future (today is {self.today})")


class ExtendContract(Schema):
    class Meta:
        unknown = RAISE

    ends_on = fields.Date(required=True)


class ChangeEmployer(Schema):
    class Meta:
        unknown = RAISE

    employer = text_field(Longest.ORGANISATION, required=True)
    changed_on = fields.Date(required=True)
    reason = text_field(Longest.REASON, required=True)
    occupation = text_field(Longest.OCCUPATION, load_default=None)

    def __init__(self, today: dt.date, **kwargs):
        super().__init__(**kwargs)
        self.today = today

    @validates("changed_on")
    def _not_in_future(self, value: dt.date, **_kwargs) -> None:
        if value > self.today:
            raise ValidationError(f"must not be in the future (today is {self.today})")


class ExpectReturn(Schema):
    class Meta:
        unknown = RAISE

    expected_return_on = fields.Date(required=True)


class ContractsEnding(Schema):
    class Meta:
        unknown = EXCLUDE

    within_days = fields.Integer(
        load_default=OUTREACH_DAYS, validate=validate.Range(min=0, max=LONGEST_OUTREACH_DAYS)
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=Most.PAGE))
    cursor = fields.String(validate=validate.Length(max=120))  # an end date and an id


class FamilyMemberDetails(Schema):
    """A family member as the desk or the worker gives them; every field may change later."""

    class Meta:
        unknown = RAISE

    full_name = text_field(
        Longest.FULL_NAME,
        validate=[validate.Length(min=1, max=Longest.FULL_NAME), not_blank, person_name],
    )
    relation = fields.String(validate=validate.OneOf(RELATIONS))
    phone = fields.String(allow_none=True, validate=PHONE)
    village = text_field(Longest.PLACE, allow_none=True)
    district = text_field(Longest.PLACE, allow_none=True)
    heir = fields.Boolean()
    emergency_contact = fields.Boolean()
    consent_to_contact = fields.Boolean()


class AddFamilyMember(FamilyMemberDetails):
    @validates_schema
    def _who(self, data: dict, **_kwargs) -> None:
        missing = {
            name: ["Missing data for required field."]
            for name in ("full_name", "relation")
            if name not in data
        }
        if missing:
            raise ValidationError(missing)


class ChangeFamilyMember(FamilyMemberDetails):
    @post_load
    def _something(self, data: dict, **_kwargs) -> dict:
        if not data:
            raise ValidationError("give at least one detail to change")
        return data


class RecordDeath(Schema):
    class Meta:
        unknown = RAISE

    died_on = fields.Date(required=True)
    country = fields.String(required=True)  # where the worker died; ID when at home
    cause = fields.String(required=True, validate=validate.OneOf(DEATH_CAUSES))
    remains_repatriated = fields.Boolean(required=True)
    remains_arrive_on = fields.Date(load_default=None)  # when known; may be ahead
    heirs = fields.List(fields.String(validate=validate.Length(max=36)), load_default=list)
    note = text_field(Longest.NOTE, load_default=None)

    def __init__(self, today: dt.date, **kwargs):
        super().__init__(**kwargs)
        self.today = today

    @validates("died_on")
    def _not_in_future(self, value: dt.date, **_kwargs) -> None:
        if value > self.today:
            raise ValidationError(f"must not be in the future (today is {self.today})")

    @validates("country")
    def _country(self, value: str, **_kwargs) -> None:
        if value not in ISO_3166_ALPHA2:
            raise ValidationError("must be an ISO 3166-1 alpha-2 code (ID when at home)")


class Withdraw(Schema):
    class Meta:
        unknown = RAISE

    reason = text_field(Longest.REASON, required=True)


class ListWorkers(Schema):
    class Meta:
        unknown = EXCLUDE

    stage = fields.String(validate=validate.OneOf(STAGES))
    status = fields.String(validate=validate.OneOf(STATUSES))
    regency = text_field(Longest.PLACE)
    destination_country = fields.String(validate=COUNTRY)
    # a placement company's own recruits (case-insensitive)
    placement_agency = text_field(Longest.ORGANISATION)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=Most.PAGE))
    cursor = fields.String(validate=validate.Length(max=64))


class WorkerView(Schema):
    id = fields.String()
    nik = fields.String()
    full_name = fields.String()
    birth_date = fields.Date()
    sex = fields.String()
    phone = fields.String()
    address = fields.Dict()
    destination_country = fields.String()
    occupation = fields.String()
    placement_agency = fields.String()
    bpjs_number = fields.String(allow_none=True)
    cycle = fields.Integer()
    status = fields.String()
    stage = fields.String()
    documents_complete = fields.Boolean()
    orientation_completed = fields.Boolean()
    departed_on = fields.Date(allow_none=True)
    employer = fields.String(allow_none=True)
    contract_starts_on = fields.Date(allow_none=True)
    contract_ends_on = fields.Date(allow_none=True)
    sector = fields.String(allow_none=True)
    expected_return_on = fields.Date(allow_none=True)
    returned_on = fields.Date(allow_none=True)
    return_reason = fields.String(allow_none=True)
    died_on = fields.Date(allow_none=True)
    death_country = fields.String(allow_none=True)
    death_cause = fields.String(allow_none=True)
    remains_repatriated = fields.Boolean(allow_none=True)
    remains_arrive_on = fields.Date(allow_none=True)
    heirs = fields.List(fields.String())
    past_placement = fields.Dict(allow_none=True)
    non_procedural = fields.Boolean()
    family_account = fields.String(allow_none=True)
    registered_at = fields.DateTime()
    updated_at = fields.DateTime()


class FamilyMemberView(Schema):
    id = fields.String()
    worker_id = fields.String()
    full_name = fields.String()
    relation = fields.String()
    phone = fields.String(allow_none=True)
    village = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    heir = fields.Boolean()
    emergency_contact = fields.Boolean()
    consent_to_contact = fields.Boolean()
    contactable = fields.Boolean()
    added_at = fields.DateTime()
    updated_at = fields.DateTime()


class TimelineEntryView(Schema):
    occurred_at = fields.DateTime()
    cycle = fields.Integer()
    event_type = fields.String()
    source = fields.String()
    event_id = fields.String(allow_none=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    stage = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    actor = fields.Method("_actor")
    correlation_id = fields.String(allow_none=True)
    details = fields.Dict()

    def _actor(self, row) -> dict | None:
        if not row.actor_role:
            return None
        return {"role": row.actor_role, "agency": row.actor_agency, "subject": row.actor_subject}
