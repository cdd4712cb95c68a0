"""The event catalogue agencies read is the published contract the platform enforces, and cannot
drift from it."""

import copy

import jsonschema_rs
import pytest
import yaml
from marshmallow import Schema, fields, validate

from pmi_common import contract as c
from pmi_common.events import parse_event
from pmi_common.published import PUBLISHED
from pmi_tools import catalogue
from services.agencies import asyncapi

DOCUMENT = asyncapi.document()


def payload_validator(spec: c.EventSpec):
    """A JSON Schema validator of one message's body, resolving the document's references."""
    message = DOCUMENT["components"]["messages"][asyncapi.message_id(spec)]
    root = {**copy.deepcopy(message["payload"]), "components": DOCUMENT["components"]}
    return jsonschema_rs.validator_for(root)


def example_of(spec: c.EventSpec) -> dict:
    message = DOCUMENT["components"]["messages"][asyncapi.message_id(spec)]
    return copy.deepcopy(message["examples"][0]["payload"])


def test_the_committed_catalogue_is_the_one_the_contract_generates():
    committed = catalogue.DOCUMENT_PATH.read_text(encoding="utf-8")
    assert yaml.safe_load(committed) == DOCUMENT, "docs/asyncapi.yaml is stale: run `pmi asyncapi`"
    assert committed == catalogue.render()


def test_every_event_of_the_contract_has_a_channel_on_its_exchange_and_a_message_per_version():
    for spec in asyncapi.CATALOGUED:
        channel = DOCUMENT["channels"][spec.event_type]
        assert channel["address"] == spec.event_type
        assert channel["bindings"]["amqp"]["queue"]["name"] == "agency.<name>.events"
        assert "exchange" not in channel["bindings"]["amqp"]
        assert asyncapi.message_id(spec) in channel["messages"]
        operation = DOCUMENT["operations"][spec.event_type]
        assert operation["action"] == "send"
        assert operation["channel"] == {"$ref": f"#/channels/{spec.event_type}"}
    assert set(DOCUMENT["channels"]) == {spec.event_type for spec in asyncapi.CATALOGUED}
    assert len(DOCUMENT["components"]["messages"]) == len(asyncapi.CATALOGUED)


@pytest.mark.parametrize("spec", asyncapi.CATALOGUED, ids=asyncapi.message_id)
def test_each_example_is_what_the_platform_publishes_of_an_event_the_services_accept(spec):
    internal = asyncapi.example_envelope(spec, seed=asyncapi.message_id(spec))
    event = parse_event(internal)
    assert (event.event_type, event.event_version, event.source) == (
        spec.event_type,
        spec.version,
        spec.source,
    )
    published = example_of(spec)
    assert published["event_id"] == internal["event_id"]
    assert set(published["data"]) == set(PUBLISHED[spec.event_type].fields)
    assert published["actor"]["subject"] != internal["actor"]["subject"]


@pytest.mark.parametrize("spec", asyncapi.CATALOGUED, ids=asyncapi.message_id)
def test_each_example_satisfies_its_published_json_schema(spec):
    validator = payload_validator(spec)
    errors = [error.message for error in validator.iter_errors(example_of(spec))]
    assert errors == []


@pytest.mark.parametrize("spec", asyncapi.CATALOGUED, ids=asyncapi.message_id)
def test_the_json_schema_refuses_what_the_contract_refuses(spec):
    validator = payload_validator(spec)
    extra_field = example_of(spec)
    extra_field["data"]["nik"] = "3505125703940001"
    other_version = example_of(spec)
    other_version["event_version"] = PUBLISHED[spec.event_type].version + 1
    for body in (extra_field, other_version):
        assert not validator.is_valid(body)
    fewer_fields = example_of(spec)  # an agreement may grant any subset
    fewer_fields["data"] = dict(list(fewer_fields["data"].items())[:1])
    assert validator.is_valid(fewer_fields)


def test_a_registration_is_catalogued_as_published_version_1_whatever_the_services_publish():
    assert c.spec_for(c.WORKER_REGISTERED).version == 2  # birth year and village: internal
    channel = DOCUMENT["channels"][c.WORKER_REGISTERED]
    assert list(channel["messages"]) == ["worker_registered.v1"]
    message = DOCUMENT["components"]["messages"]["worker_registered.v1"]
    assert message["headers"]["properties"]["event_version"]["const"] == 1
    schema = DOCUMENT["components"]["schemas"]["WorkerRegisteredV1Published"]
    version_1 = set(c.WorkerRegisteredV1().fields) - {"nik_masked", "nik_digest"}
    assert set(schema["properties"]) == version_1
    assert "WorkerRegisteredV2Published" not in DOCUMENT["components"]["schemas"]
    text = catalogue.render()
    assert "birth_year" not in text and "village_code" not in text


def test_payload_schemas_name_exactly_the_published_fields_and_require_none():
    schemas = DOCUMENT["components"]["schemas"]
    for spec in asyncapi.CATALOGUED:
        published = schemas[asyncapi.payload_schema_name(spec)]
        assert list(published["properties"]) == list(PUBLISHED[spec.event_type].fields)
        assert "required" not in published
        assert published["additionalProperties"] is False
        assert "nik_digest" not in published["properties"]


def test_field_types_choices_and_nulls_become_json_schema():
    class Sample(Schema):
        when = fields.AwareDateTime(required=True)
        day = fields.Date(allow_none=True)
        kind = fields.String(validate=validate.OneOf(("a", "b")), allow_none=True)
        count = fields.Integer(validate=validate.Range(min=1))
        tags = fields.List(fields.String())
        ident = fields.UUID()

    schema = asyncapi.object_schema(Sample)
    assert schema["required"] == ["when"]
    assert "additionalProperties" in schema and schema["additionalProperties"] is False
    props = schema["properties"]
    assert props["when"] == {"type": "string", "format": "date-time"}
    assert props["day"] == {"type": ["string", "null"], "format": "date"}
    assert props["kind"] == {"type": ["string", "null"], "enum": ["a", "b", None]}
    assert props["count"] == {"type": "integer", "minimum": 1}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["ident"] == {"type": "string", "format": "uuid"}


def test_a_field_type_the_converter_does_not_know_is_refused_rather_than_guessed():
    with pytest.raises(TypeError, match="Decimal"):
        asyncapi.field_schema(fields.Decimal())
