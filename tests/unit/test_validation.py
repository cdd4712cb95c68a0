"""Input loading: marshmallow errors become one named error; NUL characters never pass."""

import pytest
from marshmallow import Schema, fields

from pmi_common.errors import InvalidInput
from pmi_common.validation import load


class Payload(Schema):
    name = fields.String(required=True)
    address = fields.Dict()


def test_a_nul_character_anywhere_is_refused_naming_where():
    with pytest.raises(InvalidInput) as refused:
        load(Payload(), {"name": "Siti", "address": {"regency": "Bli\x00tar"}})
    assert refused.value.details == {"address.regency": ["must not contain NUL characters"]}


def test_every_invalid_field_is_named():
    with pytest.raises(InvalidInput) as refused:
        load(Payload(), {"address": "nowhere", "extra": 1})
    assert set(refused.value.details) == {"name", "address", "extra"}


@pytest.mark.parametrize("payload", [None, [], "text", 3])
def test_anything_but_an_object_is_refused(payload):
    with pytest.raises(InvalidInput):
        load(Payload(), payload)


def test_a_valid_payload_loads():
    assert load(Payload(), {"name": "Ni Luh Putu"}) == {"name": "Ni Luh Putu"}
