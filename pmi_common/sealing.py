"""What the platform must keep but never store readable, sealed with a key from the environment:
the signing secrets of agencies' webhooks (``WEBHOOK_SECRET_KEY``) and the answers the gateway
keeps for ``Idempotency-Key`` retries (``IDEMPOTENCY_ANSWER_KEY``).

One construction for both: AES-256-GCM (authenticated: a seal altered, or made under another
key or for another purpose, is refused, never opened to garbage) with a fresh 96-bit nonce per
seal, under a key derived with HKDF-SHA256 from the secret and the purpose, so one secret never
opens another purpose's seals. A seal may be bound to what it belongs to (associated data: the
gateway binds a kept answer to its row), and opens only there. Each key is any secret of 32+
characters, as ``make secrets`` writes them; development has fixed keys, like its other secrets,
and elsewhere a key must be set and strong (``production.key_problem``).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .production import DEVELOPMENT_WEBHOOK_SECRET_KEY, is_development, key_problem

KEY_NAME = "WEBHOOK_SECRET_KEY"
WEBHOOK_SECRETS = b"pmi webhook secrets at rest"
NONCE = 12


class Unsealable(ValueError):
    """A seal that was not made with this key and purpose (or was altered, or moved)."""


class Sealer:
    """Seals and opens for one secret and one purpose."""

    def __init__(self, secret: str, purpose: bytes = WEBHOOK_SECRETS, name: str = KEY_NAME):
        if not secret:
            raise ValueError(f"{name} is not set")
        self.name = name
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
            secret.encode()
        )
        self._aead = AESGCM(derived)

    def seal_bytes(self, plain: bytes, bound: bytes = b"") -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self._aead.encrypt(nonce, plain, bound)

    def open_bytes(self, sealed: bytes, bound: bytes = b"") -> bytes:
        try:
            return self._aead.decrypt(sealed[:NONCE], sealed[NONCE:], bound)
        except (InvalidTag, ValueError) as exc:
            raise Unsealable(
                f"a seal does not open with this {self.name} (another key, or altered)"
            ) from exc

    def seal(self, text: str) -> str:
        """``text`` sealed, as text (URL-safe base64) for a JSON column."""
        return base64.urlsafe_b64encode(self.seal_bytes(text.encode())).decode()

    def open(self, token: str) -> str:
        try:
            sealed = base64.urlsafe_b64decode(token.encode())
        except (binascii.Error, ValueError, AttributeError) as exc:
            raise Unsealable(f"a seal does not open with this {self.name} (not a seal)") from exc
        return self.open_bytes(sealed).decode()


def webhook_sealer(config: Mapping) -> Sealer:
    """The sealer of a process's config: ``WEBHOOK_SECRET_KEY``, the development key in
    development only; ``ValueError`` outside it when the key is missing or weak."""
    key = config.get(KEY_NAME) or ""
    if is_development(config):
        return Sealer(key or DEVELOPMENT_WEBHOOK_SECRET_KEY)
    problem = key_problem(KEY_NAME, key)
    if problem:
        raise ValueError(problem)
    return Sealer(key)
