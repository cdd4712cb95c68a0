"""Input loading: marshmallow errors become one named error; NUL characters never pass; text is
normalised and holds no invisible characters."""

import unicodedata

import pytest
from marshmallow import Schema, fields

from pmi_common.errors import InvalidInput
from pmi_common.validation import load
from services.registration.schemas import Withdraw


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


# text rules -----------------------------------------------------------------------------------


def _address(street: str):
    from gateway.schemas import Address

    return load(Address(), {"street": street, "regency": "Blitar"})


def test_an_address_with_ordinary_punctuation_is_accepted():
    for street in (
        "Jl. Mawar 3; RT 03/RW 05",
        "Gg. Melati (belakang masjid) #2, Kel. Sukorejo",
        "Dsn. Krajan: rumah no. 7 & 8",
    ):
        assert _address(street)["street"] == street


@pytest.mark.parametrize("hidden", ["\u202e", "\u200b", "\u200d", "\ufeff", "\u2066", "\x85"])
def test_invisible_formatting_characters_are_refused_in_any_text(hidden):
    with pytest.raises(InvalidInput) as refused:
        _address(f"Jl. Mawar{hidden} 3")
    assert "invisible" in str(refused.value.details["street"])
    with pytest.raises(InvalidInput):
        load(Withdraw(), {"reason": f"pindah{hidden} kerja"})


def test_text_is_normalised_to_one_encoding_per_character():
    decomposed = "Jl. Pe\u0301mude\u0301 1"  # e + combining acute
    assert _address(decomposed)["street"] == unicodedata.normalize("NFC", decomposed)
    assert load(Withdraw(), {"reason": "re\u0301sume\u0301"})["reason"] == "r\u00e9sum\u00e9"


def test_markup_is_still_refused_at_the_edge():
    with pytest.raises(InvalidInput):
        _address("<script>alert(1)</script>")
