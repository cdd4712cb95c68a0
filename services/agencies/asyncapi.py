"""The event catalogue for partner agencies: an AsyncAPI 3 document of the published contract.

Agencies receive the published form of events (``published``), not the services' internal ones.
Every event type becomes a channel (the message ``type`` in the agency's own queue
``agency.<name>.events``), a ``send`` operation of the platform, and one message per published
version whose payload is the envelope with that type's published fields (converted from the
marshmallow schemas; an agreement grants some or all of them, so none is required), and an
example: the catalogue's internal example as the platform's filter publishes it. The gateway
serves ``document()`` at ``/api/v1/asyncapi.json``; the committed copy is ``docs/asyncapi.yaml``
(``pmi asyncapi`` writes it: ``pmi_tools.catalogue``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from pmi_common import contract as c
from pmi_common.published import PUBLISHED, PUBLISHED_CONTRACT_VERSION, PublishedSpec

ASYNCAPI_VERSION = "3.0.0"
CATALOGUE_VERSION = f"{PUBLISHED_CONTRACT_VERSION}.9.0"
AMQP_BINDING_VERSION = "0.3.0"
_NAMESPACE = uuid.UUID("6f1c2a52-3d7e-4b8e-9d0a-0c8e6f3b2a11")
# the events the catalogue describes, those the agencies may receive: of each published version
# the internal version the services publish today (an older one, from the history, is published
# the same: ``PublishedSpec.internal_versions``)
CATALOGUED = tuple(published.internal for published in PUBLISHED.values())

# JSON Schema of marshmallow fields -------------------------------------------------------------

_TYPES: dict[type, dict] = {
    fields.UUID: {"type": "string", "format": "uuid"},
    fields.Date: {"type": "string", "format": "date"},
    fields.DateTime: {"type": "string", "format": "date-time"},
    fields.Boolean: {"type": "boolean"},
    fields.Integer: {"type": "integer"},
    fields.Float: {"type": "number"},
    fields.String: {"type": "string"},
    fields.Dict: {"type": "object"},
}


def field_schema(field: fields.Field) -> dict:
    """The JSON Schema of one marshmallow field (the field types the contract uses)."""
    if isinstance(field, fields.Nested):
        schema = object_schema(field.schema)
    elif isinstance(field, fields.List):
        schema = {"type": "array", "items": field_schema(field.inner)}
    elif isinstance(field, fields.Decimal) and field.as_string:
        schema = {"type": "string", "format": "decimal"}  # exact, as text
    else:
        base = next((_TYPES[cls] for cls in type(field).__mro__ if cls in _TYPES), None)
        if base is None:
            raise TypeError(f"no JSON Schema for marshmallow field {type(field).__name__}")
        schema = dict(base)
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            schema["enum"] = list(validator.choices)
        elif isinstance(validator, validate.Range):
            if validator.min is not None:
                schema["minimum"] = validator.min
            if validator.max is not None:
                schema["maximum"] = validator.max
    if field.allow_none:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"].append(None)
    return schema


def object_schema(schema: Schema | type[Schema]) -> dict:
    """The JSON Schema of a marshmallow schema: its fields, which are required, and whether
    other properties are refused."""
    instance = schema() if isinstance(schema, type) else schema
    properties = {
        field.data_key or name: field_schema(field) for name, field in instance.fields.items()
    }
    result: dict[str, Any] = {"type": "object", "properties": properties}
    required = [field.data_key or name for name, field in instance.fields.items() if field.required]
    if required:
        result["required"] = required
    if instance.unknown == RAISE:
        result["additionalProperties"] = False
    return result


# examples -------------------------------------------------------------------------------------

_EXAMPLE_VALUES: dict[str, Any] = {
    "nik_masked": "350512******0001",
    "nik_digest": "4b7f0c2e9a1d6b3f8e5c2a7d9f1b4e6c8a0d3f5b7e9c1a3d5f7b9e1c3a5d7f9b",
    "full_name": "Siti Nur'aini binti Ahmad",
    "sex": "F",
    "regency": "Blitar",
    "destination_country": "HK",
    "occupation": "caregiver",
    "placement_agency": "PT Sinar Jaya",
    "birth_year": 1994,
    "village_code": "35.05.12.2001",
    "from_status": "registered",
    "to_status": "documents_verified",
    "reason": "every required document verified",
    "departed_on": "2026-04-01",
    "employer": "Chan Tai Man",
    "returned_on": "2028-03-31",
    "document_type": "passport",
    "number_masked": "C12****89",
    "issued_on": "2026-01-10",
    "expires_on": "2031-01-09",
    "expired_on": "2031-01-09",
    "earliest_expiry": "2027-01-09",
    "file_sha256": "9e107d9d372bb6826bd81d3542a419d6e277d4d731479571562b82f74494341f",
    "starts_at": "2026-03-10T01:00:00+00:00",
    "completed_at": "2026-03-11T09:00:00+00:00",
    "location": "LTSA PMI Kabupaten Blitar",
    "capacity": 40,
    "topics": ["rights and obligations", "culture of the destination country"],
    "certificate_number": "OPP-2026-0001",
    "name": "PAK CAMAT PMI 2026",
    "audience": "both",
    "starts_on": "2026-05-04",
    "rounds": [{"name": "business model", "advance": 75}, {"name": "pitch", "advance": 50}],
    "participant_kind": "returnee",
    "round": 1,
    "score": 82.5,
    "business_name": "Warung Kopi Bu Siti",
    "sector": "food and beverage",
    "ends_on": "2028-03-31",
    "previous_ends_on": "2028-03-31",
    "expected_return_on": "2028-03-31",
    "previous_employer": "Chan Tai Man",
    "changed_on": "2027-06-01",
    "relation": "parent",
    "phone": "+6281311112222",
    "village": "Kademangan",
    "district": "Kademangan",
    "changed": ["phone"],
    "died_on": "2027-08-14",
    "cause": "illness",
    "remains_repatriated": True,
    "remains_arrive_on": "2027-08-21",
    "country": "MY",
    "from_year": 2009,
    "to_year": 2015,
    "source": "worker",
    "left_on": "2025-07-01",
    "family_account": "left with a sponsor from the next village; calls once a month",
    "case_number": "PGD-2026-7K3M9Q2B",
    "case_type": "unpaid_wages",
    "urgency": "high",
    "sensitive": False,  # a sensitive case's events reach no agency
    "registered": True,
    "reporter_kind": "family_member",
    "channel": "desk",
    "aspect": "economic",
    "acknowledge_by": "2026-03-03T17:00:00+00:00",
    "act_by": "2026-03-05T17:00:00+00:00",
    "assigned_to": "caseworker-1",
    "previously_assigned_to": None,
    "received_at": "2026-03-02T03:15:00+00:00",
    "resolved_at": "2026-03-20T08:00:00+00:00",
    "acknowledged_in_time": True,
    "acted_in_time": True,
    "outcome": "repatriated",
    "amount": None,
    "currency": None,
    "died_in": None,
    "death_cause": None,
    "referred_kind": "agency",
    "referred_agency": "kp2mi-hongkong",
    "letter_type": "passport_recommendation",
    "number": "560/17/RP/409.112/2026",
    "revoked_at": "2026-03-09T02:00:00+00:00",
    "decision": "acknowledged",
    "given_on": "2026-02-27",
}
_TYPE_EXAMPLES: dict[type, Any] = {
    fields.UUID: "3f0e8a52-7c1b-4d2e-9a6f-1b2c3d4e5f60",
    fields.Decimal: "1500.00",
    fields.Date: "2026-03-02",
    fields.DateTime: "2026-03-02T03:15:00+00:00",
    fields.Boolean: True,
    fields.Integer: 1,
    fields.Float: 1.5,
    fields.String: "text",
    fields.Dict: {},
}
_WITHOUT_WORKER = frozenset({c.SESSION_SCHEDULED, c.SESSION_CANCELLED, c.PROGRAM_CREATED})


def example_value(name: str, field: fields.Field, seed: str) -> Any:
    if name.endswith("_id") or name == "document_ids":
        one = str(uuid.uuid5(_NAMESPACE, f"{seed}:{name}"))
        return [one] if isinstance(field, fields.List) else one
    choices = [v.choices for v in field.validators if isinstance(v, validate.OneOf)]
    if choices:
        preferred = _EXAMPLE_VALUES.get(name)
        return preferred if preferred in choices[0] else next(iter(choices[0]))
    if name in _EXAMPLE_VALUES:
        return _EXAMPLE_VALUES[name]
    if isinstance(field, fields.Nested):
        return example_object(field.schema, seed)
    if isinstance(field, fields.List):
        return [example_value(name, field.inner, seed)]
    return next(_TYPE_EXAMPLES[cls] for cls in type(field).__mro__ if cls in _TYPE_EXAMPLES)


def example_object(schema: Schema | type[Schema], seed: str) -> dict:
    instance = schema() if isinstance(schema, type) else schema
    return {
        field.data_key or name: example_value(name, field, seed)
        for name, field in instance.fields.items()
    }


def example_envelope(spec: c.EventSpec, seed: str | None = None) -> dict:
    """An internal event of ``spec``, the same every time for the same ``seed``."""
    seed = seed or f"{spec.event_type}.v{spec.version}"
    return {
        "event_id": str(uuid.uuid5(_NAMESPACE, seed)),
        "event_type": spec.event_type,
        "event_version": spec.version,
        "occurred_at": dt.datetime(2026, 3, 2, 3, 15, tzinfo=dt.UTC).isoformat(),
        "source": spec.source,
        "worker_id": None
        if spec.event_type in _WITHOUT_WORKER
        else str(uuid.uuid5(_NAMESPACE, "worker")),
        "sequence": 3,
        "correlation_id": str(uuid.uuid5(_NAMESPACE, f"{seed}:correlation")),
        "actor": {"role": "operator", "agency": "ltsa-blitar", "subject": "desk-1"},
        "data": example_object(spec.schema, seed),
    }


# the document ---------------------------------------------------------------------------------


def message_id(spec: c.EventSpec) -> str:
    """The message of the published version ``spec`` is published as."""
    return f"{spec.event_type}.v{published_of(spec).version}"


def payload_schema_name(spec: c.EventSpec) -> str:
    camel = "".join(word.capitalize() for word in spec.event_type.split("_"))
    return f"{camel}V{published_of(spec).version}Published"


def published_of(spec: c.EventSpec) -> PublishedSpec:
    return PUBLISHED[spec.event_type]


def published_payload_schema(spec: c.EventSpec) -> dict:
    """The published fields of ``spec``: any subset may be granted, none is required."""
    schema = object_schema(published_of(spec).schema())
    schema.pop("required", None)
    return schema


def published_example(spec: c.EventSpec) -> dict:
    """The internal example as an agency granted every published field receives it."""
    from pmi_common.agreement import Agreement

    from .domain import referred_to
    from .published import disclose

    published = published_of(spec)
    envelope = example_envelope(spec, seed=message_id(spec))
    everything = Agreement(
        # a referral reaches only the agency it names
        agency=referred_to(envelope) or "example",
        fields={spec.event_type: published.fields},
        purpose="catalogue example",
        legal_basis="public_task",
        approved_by="catalogue",
        valid_from=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
    )
    example = disclose(
        envelope,
        everything,
        now=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        pseudonym_key="catalogue-example",
        placement_agency_of=lambda _: None,
    )
    assert example is not None  # every field granted, in force
    return example


def _message(spec: c.EventSpec) -> dict:
    example = published_example(spec)
    return {
        "name": spec.event_type,
        "title": f"{spec.event_type} v{published_of(spec).version}",
        "summary": spec.summary,
        "contentType": "application/json",
        "correlationId": {"$ref": "#/components/correlationIds/correlationId"},
        "headers": {
            "type": "object",
            "properties": {
                "event_version": {"type": "integer", "const": published_of(spec).version}
            },
        },
        "payload": {
            "allOf": [
                {"$ref": "#/components/schemas/Envelope"},
                {
                    "type": "object",
                    "properties": {
                        "event_type": {"const": spec.event_type},
                        "event_version": {"const": published_of(spec).version},
                        "source": {"const": spec.source},
                        "data": {"$ref": f"#/components/schemas/{payload_schema_name(spec)}"},
                    },
                },
            ]
        },
        "bindings": {
            "amqp": {
                "contentEncoding": "utf-8",
                "messageType": spec.event_type,
                "bindingVersion": AMQP_BINDING_VERSION,
            }
        },
        "examples": [
            {
                "name": message_id(spec),
                "summary": spec.summary,
                "headers": {"event_version": published_of(spec).version},
                "payload": example,
            }
        ],
    }


AGENCY_QUEUE = "agency.<name>.events"


def _channel(event_type: str, specs: list[c.EventSpec]) -> dict:
    source = specs[0].source
    return {
        "address": event_type,
        "title": f"{AGENCY_QUEUE} / {event_type}",
        "description": f"Messages of type `{event_type}` (from {source}) in the agency's own "
        f"queue `{AGENCY_QUEUE}`, when its agreement grants them: "
        f"{specs[-1].summary}.",
        "messages": {
            message_id(spec): {"$ref": f"#/components/messages/{message_id(spec)}"}
            for spec in specs
        },
        "bindings": {
            "amqp": {
                "is": "queue",
                "queue": {
                    "name": AGENCY_QUEUE,
                    "durable": True,
                    "exclusive": False,
                    "autoDelete": False,
                    "vhost": "/",
                },
                "bindingVersion": AMQP_BINDING_VERSION,
            }
        },
    }


def _operation(event_type: str, specs: list[c.EventSpec]) -> dict:
    return {
        "action": "send",
        "channel": {"$ref": f"#/channels/{event_type}"},
        "summary": f"{specs[0].source} publishes {event_type}",
        "messages": [
            {"$ref": f"#/channels/{event_type}/messages/{message_id(spec)}"} for spec in specs
        ],
        "bindings": {
            "amqp": {"deliveryMode": 2, "mandatory": False, "bindingVersion": AMQP_BINDING_VERSION}
        },
    }


DESCRIPTION = """\
The lifecycle events of Indonesian migrant workers (PMI), as partner agencies receive them.

This is the published contract, separate from the events the platform's services exchange. A
partner agency receives events in its own durable queue `agency.<name>.events`, filled by the
platform according to its data-sharing agreement (`pmi agency onboard`): only the event types
it grants, only the granted fields of each (any subset of the fields below), and for a
placement company only events about its own recruits. The agency reads only that queue; it
cannot bind to the services' exchanges.

Every body is the envelope: `event_id` (drop repeats: delivery is at least once), `event_type`,
`event_version` (a new shape is a new version; also in the AMQP header `event_version`),
`occurred_at` (UTC), `source`, `worker_id`, `sequence` (increases per worker for each source),
`correlation_id` (the event's own id), `actor` (role, the agency when an agency acted, and
staff as a pseudonymous id) and `data`, whose schema depends on the type and version. No NIK
travels in any form; free text is scrubbed of NIK-like numbers.

An agency without an AMQP consumer receives the same events (the same types, fields and
workers) as HTTP webhooks (`pmi agency webhook add`): each a CloudEvent 1.0 in structured mode
(`application/cloudevents+json`), signed as Standard Webhooks 1.0 (`webhook-id`,
`webhook-timestamp`, `webhook-signature`). Its `id` is the `event_id`, `type` the `event_type`,
`subject` the `worker_id`, `time` the `occurred_at`, `dataschema` this document's message of the
type and version (`#/components/messages/<type>.v<version>`), `data` the same `data`; the
extension attributes `eventversion`, `workersequence`, `correlationid`, `actorrole`,
`actoragency` and `actorsubject` carry the rest of the envelope.

The agency's queue can carry that same CloudEvent instead of the envelope (`pmi agency settings
NAME --queue-format`, or the admin's `PATCH /api/v1/agencies/{agency}/settings`), in a content
mode of the CloudEvents AMQP protocol binding, mapped onto AMQP 0-9-1 as RabbitMQ converts AMQP
1.0 messages (the `content-type` property is `content_type`, the application-properties are the
`headers`): `cloudevents-binary` has `content_type: application/json`, the `data` as the body
and every other attribute as a header `cloudEvents_<name>` (`time` as an RFC 3339 string);
`cloudevents-structured` has `content_type: application/cloudevents+json` and the whole event as
the body, byte for byte a webhook's body. The messages below describe `platform`, the default;
the `data` of the CloudEvents forms is the same `data`. Read both with the CloudEvents SDKs'
AMQP binding.
"""


def document() -> dict:
    """The AsyncAPI 3.0.0 document of every event in the contract the agencies may receive
    (not the platform's own, ``c.INTERNAL_ONLY``)."""
    by_type: dict[str, list[c.EventSpec]] = {}
    for spec in sorted(CATALOGUED, key=lambda s: s.version):
        by_type.setdefault(spec.event_type, []).append(spec)
    ordered = [event_type for event_type in dict.fromkeys(s.event_type for s in CATALOGUED)]
    schemas = {"Envelope": object_schema(c.Envelope)}
    schemas.update(
        {payload_schema_name(spec): published_payload_schema(spec) for spec in CATALOGUED}
    )
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "PMI lifecycle events",
            "version": CATALOGUE_VERSION,
            "description": DESCRIPTION,
        },
        "defaultContentType": "application/json",
        "servers": {
            "broker": {
                "host": "rabbitmq:5672",
                "protocol": "amqp",
                "protocolVersion": "0-9-1",
                "description": "The platform's RabbitMQ; each agency connects as its own user.",
                "security": [{"$ref": "#/components/securitySchemes/agencyUser"}],
            }
        },
        "channels": {t: _channel(t, by_type[t]) for t in ordered},
        "operations": {t: _operation(t, by_type[t]) for t in ordered},
        "components": {
            "schemas": schemas,
            "messages": {message_id(spec): _message(spec) for spec in CATALOGUED},
            "correlationIds": {
                "correlationId": {
                    "description": "The event's own id (the request ids of the platform's callers "
                    "stay inside it).",
                    "location": "$message.payload#/correlation_id",
                }
            },
            "securitySchemes": {
                "agencyUser": {
                    "type": "userPassword",
                    "description": "The agency's RabbitMQ user `agency-<name>`: "
                    "it may read its own "
                    "queues, nothing else.",
                }
            },
        },
    }
