"""The API's field rules, defined once: the format of each code and number a caller sends, and
the longest text and largest count each field takes.

The gateway's schemas check them at the edge (so the OpenAPI document shows them: a ``Pattern``
is a ``pattern``, a ``Longest`` a ``maxLength``); the services' schemas check the same rules
again, with the business rules the gateway leaves to them (a NIK's birth date, a country code's
existence, a document's dates).

The edge's own field types are here too: strict JSON types (a body's JSON types are the
contract, so ``"3"`` is not an integer and ``1`` is not a boolean, which marshmallow's defaults
would accept) and ``text``, free text without markup.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable
from typing import Any, cast

from marshmallow import ValidationError, fields, validate

from .validation import Text, person_name, safe_text


class Pattern(validate.Regexp):
    """``Regexp`` that must match the whole value (``$`` alone lets a trailing newline in)."""

    def matches(self, value: str) -> bool:
        return cast("re.Pattern[str]", self.regex).fullmatch(value) is not None

    def __call__(self, value: str) -> str:  # type: ignore[override]  # text, never bytes
        if not self.matches(value):
            raise ValidationError(self._format_error(value))
        return value


NIK = Pattern(r"^[0-9]{16}$", error="must be exactly 16 digits")
# an orientation seat's ticket (the QR in the worker's app): T, then ten of Crockford's base 32
TICKET = Pattern(r"^T-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$", error="not a ticket code")
PHONE = Pattern(r"^\+?[0-9]{8,15}$", error="must be 8 to 15 digits, optionally after +")
COUNTRY = Pattern(r"^[A-Z]{2}$", error="must be an ISO 3166-1 alpha-2 code such as MY, HK, TW")
BPJS = Pattern(r"^[0-9]{11,13}$", error="a BPJS Ketenagakerjaan number has 11 to 13 digits")
DOCUMENT_NUMBER = Pattern(
    r"^[A-Za-z0-9][A-Za-z0-9./ -]{0,63}$",
    error="must be 1 to 64 letters, digits, spaces or . / -, starting with a letter or digit",
)
POSTAL_CODE = Pattern(r"^[0-9]{5}$", error="must be 5 digits")
AGENCY_NAME = Pattern(r"^[a-z0-9][a-z0-9-]{0,39}$", error="an agency name: a-z, 0-9 and -")
# a village's code in the Ministry of Home Affairs' list (kode wilayah): province, regency,
# district, village
VILLAGE_CODE = Pattern(
    r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$",
    error="a village code (kode wilayah) such as 35.05.01.2001",
)
# a protection case's number (``PGD-2026-7K3M9Q2B``) and the code its reporter was given
CASE_NUMBER = Pattern(
    r"^PGD-[0-9]{4}-[0-9A-Z]{8}$", error="a case number such as PGD-2026-7K3M9Q2B"
)
CASE_CODE = Pattern(r"^[A-Za-z0-9]{10}$", error="the 10 letters and digits given at filing")
# who a member of staff is: a token's subject
SUBJECT = Pattern(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,199}$", error="a login: letters, digits, . _ @ -")
SEXES = ("F", "M")


class Longest:
    """The longest text each field takes, in characters."""

    FULL_NAME = 300
    STREET = 300
    PLACE = 100  # village, district, regency, province; a business's regency and sector
    OCCUPATION = 200
    ORGANISATION = 200  # a placement agency, an employer, a business
    REASON = 500
    NOTE = 1000
    LOCATION = 300
    TOPIC = 200
    PROGRAM_NAME = 200  # a programme's and a round's
    FILENAME = 255
    CASE_SUMMARY = 4000


class Most:
    """The largest count each field takes."""

    SESSION_SEATS = 500
    TOPICS = 50
    PROGRAM_PLACES = 100_000  # a programme's capacity, a round's advance
    ROUNDS = 20
    PAGE = 200


# the edge's field types ---------------------------------------------------------------------


class StrictInteger(fields.Integer):
    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictNumber(fields.Float):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    truthy = {True}
    falsy = {False}


def text(max_length: int, name: bool = False, **kwargs) -> fields.String:
    """A free-text field of 1 to ``max_length`` characters in NFC, without markup, invisible or
    control characters; ``name=True`` for a person's name."""
    rules: list[Callable[[Any], Any]] = [validate.Length(min=1, max=max_length), safe_text]
    if name:
        rules.append(person_name)
    return Text(validate=rules, **kwargs)
