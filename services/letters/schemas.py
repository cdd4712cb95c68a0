"""What the letters service accepts and returns."""

from __future__ import annotations

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
)

from pmi_common.contract import LETTER_DECISIONS, LETTER_STATUSES, LETTER_TYPES
from pmi_common.fields import VILLAGE_CODE
from pmi_common.scans import BadFile, read_scan
from pmi_common.validation import text_field

from .domain import TYPE_LABELS

NOTE = 500  # the longest purpose or reason


class RequestLetter(Schema):
    """A letter asked for: a family permission goes to the worker's village office
    (``village_code``, Kemendagri's *kode wilayah*: the one on her record unless given)."""

    class Meta:
        unknown = RAISE

    letter_type = fields.String(required=True, validate=validate.OneOf(LETTER_TYPES))
    village_code = fields.String(load_default=None, validate=VILLAGE_CODE)
    purpose = text_field(NOTE, load_default=None)


class DecideFamilyPermission(Schema):
    """The village office's decision: acknowledged with the permission giver (a family member's
    id from the worker's family list) and the day the permission was given, or refused why."""

    class Meta:
        unknown = RAISE

    decision = fields.String(required=True, validate=validate.OneOf(LETTER_DECISIONS))
    family_member_id = fields.UUID(load_default=None)
    given_on = fields.Date(load_default=None)
    reason = text_field(NOTE, load_default=None)


class UploadForm(Schema):
    """Offline: the printed form's scan (a PDF, JPEG or PNG of at most 5 MiB, by its content),
    with the permission giver and the day written on it."""

    class Meta:
        unknown = RAISE

    content_base64 = fields.String(required=True)
    family_member_id = fields.UUID(required=True)
    given_on = fields.Date(required=True)

    @post_load
    def _scan(self, data: dict, **_kwargs) -> dict:
        try:
            data["file"] = read_scan(data.pop("content_base64"))
        except BadFile as exc:
            raise ValidationError({"content_base64": [str(exc)]}) from exc
        return data


class RefuseForm(Schema):
    class Meta:
        unknown = RAISE

    reason = text_field(NOTE, required=True, validate=validate.Length(min=3, max=NOTE))


class RevokeLetter(Schema):
    class Meta:
        unknown = RAISE

    reason = text_field(NOTE, required=True, validate=validate.Length(min=3, max=NOTE))


class ListLetters(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(load_default=None, validate=validate.OneOf(LETTER_STATUSES))
    letter_type = fields.String(load_default=None, validate=validate.OneOf(LETTER_TYPES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class LetterView(Schema):
    """A letter as the desk, the worker and the village office see it (never its PDF: that is
    ``GET .../pdf``)."""

    id = fields.String()
    worker_id = fields.String()
    letter_type = fields.String()
    letter_type_label = fields.Function(lambda letter: TYPE_LABELS[letter.letter_type])
    status = fields.String()
    village_code = fields.String(allow_none=True)
    purpose = fields.String(allow_none=True)
    requested_at = fields.DateTime()
    requested_by = fields.String(allow_none=True)
    requested_role = fields.String(allow_none=True)
    permission_giver_id = fields.String(allow_none=True)
    permission_giver_relation = fields.String(allow_none=True)
    permission_given_on = fields.Date(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    refusal_reason = fields.String(allow_none=True)
    form_scan_sha256 = fields.String(allow_none=True)
    form_uploaded_by = fields.String(allow_none=True)
    form_uploaded_at = fields.DateTime(allow_none=True)
    form_refused_at = fields.DateTime(allow_none=True)
    form_refused_by = fields.String(allow_none=True)
    form_refusal_reason = fields.String(allow_none=True)
    number = fields.String(allow_none=True)
    issued_at = fields.DateTime(allow_none=True)
    issued_on = fields.Date(allow_none=True)
    issued_by = fields.String(allow_none=True)
    verification_code = fields.String(allow_none=True)
    pdf_sha256 = fields.String(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    revoked_by = fields.String(allow_none=True)
    revocation_reason = fields.String(allow_none=True)
    updated_at = fields.DateTime()


class Giver(Schema):
    """A family member who may give the family permission, as the village office chooses."""

    id = fields.String()
    full_name = fields.String()
    relation = fields.String()
