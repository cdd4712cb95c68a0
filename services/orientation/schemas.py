"""What the orientation service accepts and returns."""

from __future__ import annotations

import datetime as dt

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from pmi_common.fields import NIK, TICKET, Longest, Most
from pmi_common.validation import text_field

MAX_CAPACITY = Most.SESSION_SEATS


class ScheduleSession(Schema):
    class Meta:
        unknown = RAISE

    starts_at = fields.AwareDateTime(required=True, format="iso")
    location = text_field(Longest.LOCATION, required=True)
    capacity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_CAPACITY)
    )
    topics = fields.List(
        text_field(Longest.TOPIC), load_default=list, validate=validate.Length(max=Most.TOPICS)
    )

    def __init__(self, now: dt.datetime, **kwargs):
        super().__init__(**kwargs)
        self.now = now

    @validates("starts_at")
    def _in_the_future(self, value: dt.datetime, **_kwargs) -> None:
        if value <= self.now:
            raise ValidationError("must be in the future")


class CancelSession(Schema):
    class Meta:
        unknown = RAISE

    reason = text_field(Longest.REASON, required=True)


class EnrolWorker(Schema):
    class Meta:
        unknown = RAISE

    worker_id = fields.UUID(required=True)


class RecordAttendance(Schema):
    """The worker checked in by her id, or by the ticket in her app (its QR), with the NIK
    she presents."""

    class Meta:
        unknown = RAISE

    worker_id = fields.UUID()
    ticket = fields.String(validate=TICKET)
    nik = fields.String(required=True, validate=NIK)

    @validates_schema
    def _one_of_them(self, data: dict, **_kwargs) -> None:
        if ("worker_id" in data) == ("ticket" in data):
            raise ValidationError("give worker_id or ticket (one of them)", "worker_id")


class ListSessions(Schema):
    class Meta:
        unknown = EXCLUDE

    upcoming = fields.Boolean(load_default=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=Most.PAGE))
    cursor = fields.String(validate=validate.Length(max=200))


class ListIncidents(Schema):
    class Meta:
        unknown = EXCLUDE

    session_id = fields.String(validate=validate.Length(max=36))
    worker_id = fields.String(validate=validate.Length(max=36))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=Most.PAGE))
    cursor = fields.String(validate=validate.Length(max=200))


class SessionView(Schema):
    id = fields.String()
    starts_at = fields.DateTime(format="iso")
    location = fields.String()
    capacity = fields.Integer()
    topics = fields.List(fields.String())
    enrolled = fields.Integer()
    seats_left = fields.Integer()
    status = fields.String()
    cancelled_reason = fields.String(allow_none=True)


class EnrolmentView(Schema):
    session_id = fields.String(attribute="sitting_id")
    worker_id = fields.String()
    status = fields.String()
    enrolled_at = fields.DateTime(format="iso")
    ticket = fields.String(allow_none=True)


class TicketView(Schema):
    """The seat the worker holds, as her app shows it: the sitting and the ticket's code."""

    session = fields.Nested(SessionView, attribute="sitting")
    status = fields.String()
    enrolled_at = fields.DateTime(format="iso")
    ticket = fields.String(allow_none=True)


class CompletionView(Schema):
    worker_id = fields.String()
    session_id = fields.String(attribute="sitting_id")
    certificate_number = fields.String()
    completed_at = fields.DateTime(format="iso")


class IncidentView(Schema):
    id = fields.Integer()
    kind = fields.String()  # identity_mismatch, or nik_attempts_exhausted: the trainer stopped
    session_id = fields.String(attribute="sitting_id")
    worker_id = fields.String()
    occurred_at = fields.DateTime(format="iso")
    presented_nik_masked = fields.String()
