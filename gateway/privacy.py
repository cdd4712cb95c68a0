"""What of a worker each role sees.

Staff who act on a worker's record (operator, verifier, admin) and the worker themself see it
whole. Roles that only need to know who someone is and where they stand (agency, trainer) and
anonymous callers (the public certificate check) get identity numbers masked and the private
details (birth date, phone, street address, scans) left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pmi_common.identity import mask_nik, mask_number

from .roles import MASKED

MASKS: dict[str, Callable[[str], str]] = {
    "nik": mask_nik,
    "nik_presented": mask_nik,
    "number": mask_number,
    "document_number": mask_number,
    "passport_number": mask_number,
    "bpjs_number": mask_number,
}
WITHHELD = frozenset({"birth_date", "phone", "content_base64"})
ADDRESS_KEPT = frozenset({"regency", "province"})


def needs_shaping(role: str | None) -> bool:
    return role is None or role in MASKED


def shape(value: Any, role: str | None) -> Any:
    """``value`` as ``role`` may see it (None: an anonymous caller)."""
    if not needs_shaping(role):
        return value
    return _limited(value)


def _limited(value: Any, key: str | None = None) -> Any:
    if isinstance(value, str) and key in MASKS:
        return MASKS[key](value)
    if isinstance(value, dict):
        if key == "address":
            return {k: v for k, v in value.items() if k in ADDRESS_KEPT}
        return {k: _limited(v, k) for k, v in value.items() if k not in WITHHELD}
    if isinstance(value, list):
        return [_limited(item) for item in value]
    return value
