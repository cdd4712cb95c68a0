"""Identity numbers: masking for logs and events, and a keyed digest to compare without sharing;
a name as its initials, what a public check shows of a holder."""

from __future__ import annotations

import hashlib
import hmac

from . import nik_like
from .production import nik_digest_key


def mask_nik(nik: str) -> str:
    """``PPRRDDddmmyySSSS`` -> ``PPRRDD******SSSS``: region and sequence stay, birth date goes."""
    if len(nik) != 16:
        return mask_number(nik)
    return f"{nik[:6]}{'*' * 6}{nik[-4:]}"


def mask_number(number: str) -> str:
    """Any other identity number (passport, BPJS, document numbers): the last 3 characters only."""
    if not number:
        return number
    keep = 3 if len(number) > 6 else 1
    return "*" * (len(number) - keep) + number[-keep:]


def mask_niks_in_text(text: str) -> str:
    """Every NIK-like number in ``text`` (``nik_like``, however it is grouped) masked."""
    return nik_like.replace(text, nik_like.masked)


def nik_digest(nik: str, key: str | None = None) -> str:
    """A keyed digest of a NIK, so services can compare a presented NIK without holding it.
    The key is ``NIK_DIGEST_KEY``; only in development may it fall back to a development key."""
    secret = (key or nik_digest_key()).encode()
    return hmac.new(secret, nik.strip().encode(), hashlib.sha256).hexdigest()


def initials(full_name: str) -> str:
    """``Siti Nur'aini binti Ahmad`` -> ``S. N. A.``: what a letter's or a certificate's public
    check says of its holder (the patronymic's *binti*/*bin* left out)."""
    words = [w for w in full_name.split() if w.lower() not in ("bin", "binti")]
    firsts = [next((ch for ch in w if ch.isalpha()), "") for w in words]
    return " ".join(f"{ch.upper()}." for ch in firsts if ch)
