"""What the reporting service's queries accept."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

MONTH = validate.Regexp(r"^20[0-9]{2}-(0[1-9]|1[0-2])$", error="must be a month: YYYY-MM")


class MonthlyQuery(Schema):
    class Meta:
        unknown = RAISE

    from_ = fields.String(data_key="from", attribute="from", validate=MONTH)
    to = fields.String(validate=MONTH)

    @validates_schema
    def _in_order(self, data, **_kwargs) -> None:
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            raise ValidationError("must not be before from", "to")
