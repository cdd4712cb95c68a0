"""The answers a service keeps a day for its keyed commands (``Store.command``), sealed.

A keyed command's answer is what its retry gets again: often a worker's record, NIK included.
Its ``command_answers`` row keeps it as ``{"sealed": ..., "about": [...]}``:

- ``sealed``: the answer as JSON, sealed with AES-256-GCM (``pmi_common.sealing``) under a key
  derived from ``IDEMPOTENCY_ANSWER_KEY`` for this service alone (its name in the HKDF info, so
  neither the gateway's seals nor another service's open here), bound to the row's key (the
  associated data), so a seal moved to another row does not open;
- ``about``: a keyed digest (HMAC-SHA256 under another key derived for the same service) of each
  id the answer names, so the worker's export finds the answers that name her
  (``operations.rows_about``) while the row itself names nobody.

A row kept in clear before the answers were sealed (any JSON that is not a seal) is honoured as
it is until it expires (``IDEMPOTENCY_TTL``, a day, then retention deletes it): a retry across
the upgrade gets its first answer and is not applied twice. A seal that does not open (the key
was changed, or the row altered or moved) is refused with ``AnswerUnreadable``: the command was
applied, and running it again would apply it twice.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import AnswerUnreadable
from .production import DEVELOPMENT_ANSWER_KEY, answer_key_problem, secret_setting
from .sealing import Sealer, Unsealable

KEY_NAME = "IDEMPOTENCY_ANSWER_KEY"
SEALED = "sealed"
ABOUT = "about"
KEYS = frozenset({SEALED, ABOUT})
DIGEST_BYTES = 16


def is_sealed(kept: Any) -> bool:
    """Whether a kept answer is a seal (else: an answer kept in clear before sealing began)."""
    return isinstance(kept, dict) and isinstance(kept.get(SEALED), str) and set(kept) <= KEYS


class KeptAnswers:
    """Seals and opens the answers one service keeps, and digests the ids they name."""

    def __init__(self, secret: str, service: str):
        self.service = service
        self._sealer = Sealer(secret, b"pmi kept answers of " + service.encode(), KEY_NAME)
        self._digest_key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=b"pmi ids named by kept answers of " + service.encode(),
        ).derive(secret.encode())

    def seal(self, key: str, answer: Any) -> dict:
        """What the row of ``key`` keeps for ``answer`` (a JSON-ready value)."""
        plain = json.dumps(answer, separators=(",", ":")).encode()
        sealed = self._sealer.seal_bytes(plain, key.encode())
        return {
            SEALED: base64.urlsafe_b64encode(sealed).decode(),
            ABOUT: sorted({self.digest(value) for value in ids_in(answer)}),
        }

    def open(self, key: str, kept: Any) -> Any:
        """The answer the row of ``key`` keeps: opened, or as it is when kept in clear;
        ``AnswerUnreadable`` when its seal does not open here."""
        if not is_sealed(kept):
            return kept
        try:
            sealed = base64.urlsafe_b64decode(kept[SEALED].encode())
            return json.loads(self._sealer.open_bytes(sealed, key.encode()))
        except (Unsealable, binascii.Error, ValueError) as exc:
            raise AnswerUnreadable(
                "perintah ini sudah dijalankan dengan Idempotency-Key yang sama, tetapi "
                "jawabannya tidak dapat dibuka lagi; bacalah data yang diubahnya (this command "
                f"was carried out before with this key; the {self.service} service can no "
                "longer open its answer, sealed under another IDEMPOTENCY_ANSWER_KEY or "
                "altered: read the record it changed)"
            ) from exc

    def digest(self, value: str) -> str:
        """The keyed digest an answer naming the id ``value`` keeps in ``about``."""
        canonical = str(uuid.UUID(value))
        mac = hmac.new(self._digest_key, canonical.encode(), hashlib.sha256)
        return mac.hexdigest()[: 2 * DIGEST_BYTES]

    def names(self, kept: Any, worker_id: str) -> bool:
        """Whether a sealed answer names ``worker_id`` (by its digests, without opening it)."""
        if not (is_sealed(kept) and _is_id(worker_id)):
            return False
        return self.digest(worker_id) in kept.get(ABOUT, ())


def ids_in(value: Any) -> Iterator[str]:
    """Every string in a JSON value that reads as an id (a UUID, the form worker ids take)."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from ids_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from ids_in(item)
    elif isinstance(value, str) and _is_id(value):
        yield value


def _is_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def kept_answers(config: Mapping, service: str) -> KeptAnswers:
    """The kept answers of ``service`` under its config's ``IDEMPOTENCY_ANSWER_KEY``: the
    development key in development only; elsewhere a missing or weak key is a ``ValueError``
    (``production.answer_key_problem``; a production process refuses to start before)."""
    return KeptAnswers(
        secret_setting(config, KEY_NAME, DEVELOPMENT_ANSWER_KEY, answer_key_problem), service
    )
