"""Secrets sealed at rest: what the platform must keep but never store readable (the signing
secrets of agencies' webhooks), encrypted with a key from the environment.

``Sealer(key).seal(text)`` gives a Fernet token (AES-128-CBC with an HMAC-SHA256: authenticated,
so a token altered or sealed under another key is refused, never opened to garbage);
``open(token)`` gives the text back. The Fernet key is derived from ``WEBHOOK_SECRET_KEY`` (any
secret of 32+ characters, as ``make secrets`` writes them). In development the key has a fixed
default, like the other development secrets; elsewhere it must be set and strong
(``production.key_problem``).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken

from .production import DEVELOPMENT_WEBHOOK_SECRET_KEY, is_development, key_problem

KEY_NAME = "WEBHOOK_SECRET_KEY"
_CONTEXT = b"pmi webhook secrets at rest\x00"


class Unsealable(ValueError):
    """A token that was not sealed with this key (or was altered)."""


class Sealer:
    def __init__(self, key: str):
        if not key:
            raise ValueError(f"{KEY_NAME} is not set")
        digest = hashlib.sha256(_CONTEXT + key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except (InvalidToken, ValueError, AttributeError) as exc:
            raise Unsealable(
                f"a sealed secret does not open with this {KEY_NAME} (another key, or altered)"
            ) from exc


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
