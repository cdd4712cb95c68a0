"""What the notifications service accepts and returns."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from pmi_common.fields import PHONE

from .domain import CHANNELS, DELIVERY_STATUSES, LANGUAGES, Message, masked_address


class Choices(Schema):
    """A person's choices: the channel, the language, consent; an e-mail address for e-mail."""

    class Meta:
        unknown = RAISE

    channel = fields.String(validate=validate.OneOf(CHANNELS))
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    consent = fields.Boolean()
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))

    @validates_schema
    def at_least_one(self, data, **kwargs):
        if not data:
            raise ValidationError("give at least one of channel, language, consent, email")


class Reply(Schema):
    """A reply to a message, as the provider's relay forwards it, signed with the inbound key:
    ``signature`` is the hex HMAC-SHA256 of ``timestamp.from.text`` (``domain.reply_signature``)."""

    class Meta:
        unknown = RAISE

    sender = fields.String(required=True, data_key="from", validate=PHONE)
    text = fields.String(required=True, validate=validate.Length(max=1600))
    timestamp = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{1,12}$"))
    signature = fields.String(required=True, validate=validate.Length(max=80))
    message_id = fields.String(load_default=None, validate=validate.Length(max=128))


class DeliveryReport(Schema):
    """A provider's status callback for a sent message, as its relay forwards it, signed with
    the inbound key: ``signature`` is the hex HMAC-SHA256 of
    ``timestamp.provider_message_id.status`` (``domain.report_signature``)."""

    class Meta:
        unknown = RAISE

    provider_message_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    status = fields.String(required=True, validate=validate.OneOf(DELIVERY_STATUSES))
    error = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    timestamp = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{1,12}$"))
    signature = fields.String(required=True, validate=validate.Length(max=80))


class TwilioCall(Schema):
    """A call of Twilio's webhook as the gateway received it: every POST parameter as sent
    (all are signed), and the ``X-Twilio-Signature`` header."""

    class Meta:
        unknown = RAISE

    params = fields.Dict(
        required=True,
        keys=fields.String(),
        values=fields.String(validate=validate.Length(max=1600)),
    )
    signature = fields.String(required=True, validate=validate.Length(max=80))


class UsageQuery(Schema):
    class Meta:
        unknown = RAISE

    month = fields.String(required=True, validate=validate.Regexp(r"^20[0-9]{2}-(0[1-9]|1[0-2])$"))


class MessagesQuery(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


def message_view(message: Message) -> dict:
    """A message in a worker's log: what was said, how, when and what became of it; the address
    masked (the desk and the worker know it already)."""
    return {
        "id": message.id,
        "event_id": message.event_id,
        "kind": message.kind,
        "channel": message.channel,
        "language": message.language,
        "body": message.body,
        "to": masked_address(message.address) if message.address else None,
        "segments": message.segments,
        "encoding": message.encoding,
        "status": message.status,
        "due_at": message.due_at.isoformat(),
        "created_at": message.created_at.isoformat(),
        "sent_at": message.sent_at.isoformat() if message.sent_at else None,
        "attempts": message.attempts,
        "provider": message.provider,
        "provider_message_id": message.provider_message_id,
        "last_error": message.last_error,
        "delivery_status": message.delivery_status,
        "delivery_reported_at": message.delivery_reported_at.isoformat()
        if message.delivery_reported_at
        else None,
        "delivery_error": message.delivery_error,
    }


def choices_view(person) -> dict:
    return {
        "worker_id": person.worker_id,
        "channel": person.channel,
        "language": person.language,
        "consent": person.consent,
        "opted_out": person.opted_out_at is not None,
        "email": masked_address(person.email) if person.email else None,
    }
