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

from pmi_common.contract import RETURN_REASONS, STAGES, STATUSES
from pmi_common.validation import not_blank, person_name, text_field

from .countries import ISO_3166_ALPHA2
from .domain import age_problem
from .nik import nik_problems

PHONE = validate.Regexp(r"^\+?[0-9]{8,15}$", error="must be 8 to 15 digits, optionally after +")
DEPARTURE_HORIZON_DAYS = 90


class Address(Schema):
    class Meta:
        unknown = RAISE

    street = text_field(300, load_default=None)
    village = text_field(100, load_default=None)
    district = text_field(100, load_default=None)
    regency = text_field(100, required=True)
    province = text_field(100, load_default=None)
    postal_code = fields.String(validate=validate.Regexp(r"^[0-9]{5}$"), load_default=None)


class RegisterWorker(Schema):
    class Meta:
        unknown = RAISE

    nik = fields.String(required=True)
    full_name = text_field(300, required=True,
                      validate=[validate.Length(min=1, max=300), not_blank, person_name])
    birth_date = fields.Date(required=True)
    sex = fields.String(required=True, validate=validate.OneOf(("F", "M")))
    phone = fields.String(required=True, validate=PHONE)
    address = fields.Nested(Address, required=True)
    destination_country = fields.String(required=True)
    occupation = text_field(200, required=True)
    placement_agency = text_field(200, required=True)

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


class UpdateWorker(Schema):
    class Meta:
        unknown = RAISE

    phone = fields.String(validate=PHONE)
    address = fields.Nested(Address)
    bpjs_number = fields.String(validate=validate.Regexp(
        r"^[0-9]{11,13}$", error="a BPJS Ketenagakerjaan number has 11 to 13 digits"))

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
    employer = text_field(200, required=True)

    def __init__(self, today: dt.date, horizon_days: int = DEPARTURE_HORIZON_DAYS, **kwargs):
        super().__init__(**kwargs)
        self.today = today
        self.horizon_days = horizon_days

    @validates("departed_on")
    def _not_far_ahead(self, value: dt.date, **_kwargs) -> None:
        latest = self.today + dt.timedelta(days=self.horizon_days)
        if value > latest:
            raise ValidationError(f"must be within {self.horizon_days} days from today "
                                  f"({latest} at the latest): record a departure when it is near")

    @validates("destination_country")
    def _country(self, value: str, **_kwargs) -> None:
        if value not in ISO_3166_ALPHA2 or value == "ID":
            raise ValidationError("must be an ISO 3166-1 alpha-2 code of a country abroad")


class RecordReturn(Schema):
    class Meta:
        unknown = RAISE

    returned_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(RETURN_REASONS))
    note = text_field(1000, load_default=None)

    def __init__(self, today: dt.date, **kwargs):
        super().__init__(**kwargs)
        self.today = today

    @validates("returned_on")
    def _not_in_future(self, value: dt.date, **_kwargs) -> None:
        if value > self.today:
            raise ValidationError(f"must not be in the future (today is {self.today})")


class Withdraw(Schema):
    class Meta:
        unknown = RAISE

    reason = text_field(500, required=True)


class ListWorkers(Schema):
    class Meta:
        unknown = EXCLUDE

    stage = fields.String(validate=validate.OneOf(STAGES))
    status = fields.String(validate=validate.OneOf(STATUSES))
    regency = text_field(100)
    destination_country = fields.String(validate=validate.Length(equal=2))
    placement_agency = text_field(200)  # a placement company's own recruits (case-insensitive)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
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
    returned_on = fields.Date(allow_none=True)
    return_reason = fields.String(allow_none=True)
    registered_at = fields.DateTime()
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
