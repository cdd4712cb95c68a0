"""What the reintegration service accepts and returns."""

from __future__ import annotations

import datetime as dt

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from pmi_common.contract import AUDIENCES, FOLLOW_UP_MONTHS, INCOME_BANDS
from pmi_common.fields import Longest, Most
from pmi_common.validation import text_field

from .domain import Participant, Programme, funnel_problems

BUSINESS_FIELDS = ("business_name", "sector", "regency")


def _count(**kwargs) -> fields.Integer:
    return fields.Integer(
        strict=True, validate=validate.Range(min=1, max=Most.PROGRAM_PLACES), **kwargs
    )


class RoundInput(Schema):
    class Meta:
        unknown = RAISE

    name = text_field(Longest.PROGRAM_NAME, required=True)
    advance = _count(required=True)


class CreateProgram(Schema):
    class Meta:
        unknown = RAISE

    name = text_field(Longest.PROGRAM_NAME, required=True)
    audience = fields.String(required=True, validate=validate.OneOf(AUDIENCES))
    capacity = _count(required=True)
    starts_on = fields.Date(required=True)
    rounds = fields.List(
        fields.Nested(RoundInput), required=True, validate=validate.Length(min=1, max=Most.ROUNDS)
    )

    @validates_schema
    def _funnel(self, data: dict, **_kwargs) -> None:
        problems = funnel_problems(data["capacity"], [r["advance"] for r in data["rounds"]])
        if problems:
            raise ValidationError(problems, field_name="rounds")


class ListPrograms(Schema):
    class Meta:
        unknown = EXCLUDE

    open = fields.Boolean(load_default=False)
    audience = fields.String(validate=validate.OneOf(AUDIENCES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=Most.PAGE))
    cursor = fields.String()


class Enrol(Schema):
    class Meta:
        unknown = RAISE

    worker_id = fields.UUID(required=True)


class RecordRoundResult(Schema):
    class Meta:
        unknown = RAISE

    worker_id = fields.UUID(required=True)
    round = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    advanced = fields.Boolean(required=True)
    score = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=100)
    )
    note = text_field(Longest.NOTE, load_default=None, allow_none=True)


class CompleteParticipant(Schema):
    class Meta:
        unknown = RAISE

    worker_id = fields.UUID(required=True)
    business_started = fields.Boolean(required=True)
    business_name = text_field(Longest.ORGANISATION, load_default=None, allow_none=True)
    sector = text_field(Longest.PLACE, load_default=None, allow_none=True)
    regency = text_field(Longest.PLACE, load_default=None, allow_none=True)

    @validates_schema
    def _business(self, data: dict, **_kwargs) -> None:
        started = data["business_started"]
        errors = {}
        for name in BUSINESS_FIELDS:
            if started and data.get(name) is None:
                errors[name] = ["required when business_started is true"]
            if not started and data.get(name) is not None:
                errors[name] = ["only with business_started true"]
        if errors:
            raise ValidationError(errors)


class RecordFollowUp(Schema):
    class Meta:
        unknown = RAISE

    worker_id = fields.UUID(required=True)
    months = fields.Integer(required=True, strict=True, validate=validate.OneOf(FOLLOW_UP_MONTHS))
    business_running = fields.Boolean(required=True)
    income_band = fields.String(required=True, validate=validate.OneOf(INCOME_BANDS))
    migrated_again = fields.Boolean(required=True)


# views --------------------------------------------------------------------------------------


class RoundView(Schema):
    name = fields.String()
    advance = fields.Integer()


class ProgramView(Schema):
    """A programme as callers see it; ``status`` and ``seats_left`` as of ``today``."""

    id = fields.String()
    name = fields.String()
    audience = fields.String()
    capacity = fields.Integer()
    starts_on = fields.Date()
    rounds = fields.List(fields.Nested(RoundView))
    enrolled = fields.Integer()
    seats_left = fields.Integer()
    status = fields.Method("_status")

    def __init__(self, today: dt.date, **kwargs):
        super().__init__(**kwargs)
        self.today = today

    def _status(self, programme: Programme) -> str:
        return programme.status(self.today)


class ParticipantView(Schema):
    program_id = fields.String()
    worker_id = fields.String()
    participant_kind = fields.String()
    status = fields.String()
    enrolled_at = fields.DateTime()
    results = fields.Method("_results")
    awarded = fields.Boolean()
    outcome = fields.Method("_outcome")
    follow_ups = fields.Method("_follow_ups")

    def _results(self, participant: Participant) -> list[dict]:
        rounds = participant.programme.rounds
        return [
            {
                "round": r.round,
                "name": rounds[r.round - 1].name,
                "advanced": r.advanced,
                "score": r.score,
                "note": r.note,
                "recorded_at": r.recorded_at.isoformat(),
            }
            for r in participant.results
        ]

    def _outcome(self, participant: Participant) -> dict | None:
        if participant.completed_at is None:
            return None
        return {
            "business_started": participant.business_started,
            "business_name": participant.business_name,
            "sector": participant.sector,
            "regency": participant.regency,
            "completed_at": participant.completed_at.isoformat(),
        }

    def _follow_ups(self, participant: Participant) -> list[dict]:
        return [
            {
                "months": f.months,
                "business_running": f.business_running,
                "income_band": f.income_band,
                "migrated_again": f.migrated_again,
                "recorded_at": f.recorded_at.isoformat() if f.recorded_at else None,
            }
            for f in participant.follow_ups
        ]
