"""What the documents service accepts and returns."""

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

from pmi_common.contract import DOCUMENT_TYPES
from pmi_common.fields import DOCUMENT_NUMBER, Longest, Most
from pmi_common.validation import text_field

from .domain import BadFile, date_problems, read_scan


class FileUpload(Schema):
    class Meta:
        unknown = RAISE

    content_base64 = fields.String(required=True)
    filename = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=Longest.FILENAME)
    )


class SubmitDocument(Schema):
    """A submission; ``file`` comes out as a checked ``ScannedFile`` (or None)."""

    class Meta:
        unknown = RAISE

    type = fields.String(required=True, validate=validate.OneOf(DOCUMENT_TYPES))
    number = fields.String(required=True, validate=DOCUMENT_NUMBER)
    issued_on = fields.Date(required=True)
    expires_on = fields.Date(load_default=None, allow_none=True)
    file = fields.Nested(FileUpload, load_default=None, allow_none=True)

    def __init__(self, today: dt.date, **kwargs):
        super().__init__(**kwargs)
        self.today = today

    @validates_schema
    def _dates(self, data: dict, **_kwargs) -> None:
        problems = date_problems(
            data["type"], data["issued_on"], data.get("expires_on"), self.today
        )
        if problems:
            raise ValidationError(problems)

    @post_load
    def _scan(self, data: dict, **_kwargs) -> dict:
        if data.get("file") is not None:
            try:
                data["file"] = read_scan(data["file"]["content_base64"])
            except BadFile as exc:
                raise ValidationError({"file": [str(exc)]}) from exc
        data["number"] = data["number"].strip()
        return data


class VerifyDocument(Schema):
    class Meta:
        unknown = RAISE

    note = text_field(Longest.NOTE, load_default=None)


class RejectDocument(Schema):
    class Meta:
        unknown = RAISE

    reason = text_field(Longest.REASON, required=True)
    note = text_field(Longest.NOTE, load_default=None)


class DeskQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    type = fields.String(validate=validate.OneOf(DOCUMENT_TYPES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=Most.PAGE))
    cursor = fields.String(validate=validate.Length(max=200))


class LapsedAbroadQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=Most.PAGE))
    cursor = fields.String(validate=validate.Length(max=200))  # an expiry date and an id


class LapsedAbroadView(Schema):
    """A passport or work visa that lapsed while its worker is abroad, not yet renewed."""

    document_id = fields.String(attribute="id")
    worker_id = fields.String()
    type = fields.String(attribute="document_type")
    expired_on = fields.Date(attribute="expires_on")
    expired_at = fields.DateTime(allow_none=True)  # when the expiry check found it lapsed


class DocumentView(Schema):
    id = fields.String()
    worker_id = fields.String()
    type = fields.String(attribute="document_type")
    number = fields.String()
    issued_on = fields.Date()
    expires_on = fields.Date(allow_none=True)
    status = fields.String()
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    submitted_at = fields.DateTime()
    submitted_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    file_sha256 = fields.String(allow_none=True)
    replaces = fields.String(allow_none=True)
    replaced_by = fields.String(allow_none=True)


class ChecklistItemView(Schema):
    type = fields.String()
    status = fields.String()
    document = fields.Nested(DocumentView, allow_none=True)


class ChecklistView(Schema):
    worker_id = fields.String()
    complete = fields.Boolean()
    items = fields.List(fields.Nested(ChecklistItemView))
