"""NIK-like numbers in text: the one reading the scrubber, the log masker and the edge share.

A NIK is 16 digits, and typed into free text it comes grouped in every way a keyboard allows.
Text is read in Unicode NFKC (full-width, superscript and circled digits become 0-9, a no-break
space a space) without format characters (category Cf: zero-width space, soft hyphen, joiners,
direction marks). Digits joined by runs of at most three characters that are neither letters
nor digits (spaces, tabs, newlines, ``/ , . _ -``, dashes) are one number, and a number of 16
digits or more is NIK-like. A UUID standing alone (an id: no letter or digit touches it) is
left whole even where its digits run on; a number right after it is read on its own.

Ordinary numbers stay: a date, an amount, a phone number has fewer than 16 digits. Two of them
joined only by punctuation are one number (``12/03/2024 - 15/03/2024`` has 16 digits): written
with a word between them they stay apart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

NIK_DIGITS = 16
_NUMBER = re.compile(r"\d(?:[\W_]{0,3}\d)*")
_UUID = re.compile(r"(?<![^\W_])[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(?![^\W_])")


def normalise(text: str) -> str:
    """``text`` in NFKC without format characters: how every check here reads it."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def digits_of(number: str) -> str:
    """The digits of a number as read here, as ASCII."""
    return "".join(str(unicodedata.digit(ch)) for ch in number if ch.isdigit())


def _numbers(text: str):
    """The NIK-like numbers of normalised ``text``: (start, end, digits), left to right."""
    position = 0
    for uuid in (*_UUID.finditer(text), None):
        stop = uuid.start() if uuid else len(text)
        for number in _NUMBER.finditer(text, position, stop):
            if number.end() - number.start() >= NIK_DIGITS:
                digits = digits_of(number.group())
                if len(digits) >= NIK_DIGITS:
                    yield number.start(), number.end(), digits
        position = uuid.end() if uuid else stop


def contains(text: str) -> bool:
    """Whether ``text`` holds a NIK-like number."""
    return next(_numbers(normalise(text)), None) is not None


def replace(text: str, replacement: Callable[[str], str]) -> str:
    """``text`` with each NIK-like number replaced by ``replacement(its digits)``; read
    normalised when it held one, unchanged when it held none."""
    read = normalise(text)
    found = list(_numbers(read))
    if not found:
        return text
    parts, position = [], 0
    for start, end, digits in found:
        parts += [read[position:start], replacement(digits)]
        position = end
    parts.append(read[position:])
    return "".join(parts)


def masked(digits: str) -> str:
    """A NIK-like number as logs may show it: ``PPRRDD******SSSS`` (region and sequence, not
    the birth date) for 16 digits; a longer number, where the NIK may start anywhere, in stars."""
    if len(digits) == NIK_DIGITS:
        return f"{digits[:6]}{'*' * 6}{digits[-4:]}"
    return "*" * len(digits)
