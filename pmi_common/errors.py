"""The few named errors that cross service boundaries.

Each service raises these in its own domain terms; RPC carries them as themselves (``rpc``
registers them with nameko) and the gateway maps each kind to one HTTP problem, once. Plain
Python: the domain modules raise them.
"""

from __future__ import annotations


class PlatformError(Exception):
    """Base of every error a caller is meant to see. ``details`` is JSON-safe."""

    kind = "error"

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message, details or {})
        self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        return self.message


class InvalidInput(PlatformError):
    """Input failed validation; ``details`` maps each field to its reasons."""

    kind = "invalid_input"


class NotFound(PlatformError):
    kind = "not_found"


class DuplicateRegistration(PlatformError):
    """The NIK already belongs to a worker whose migration is still active."""

    kind = "conflict"


class TransitionRefused(PlatformError):
    """A lifecycle change whose gate is not met (e.g. departure before clearance)."""

    kind = "conflict"


class AlreadyDecided(PlatformError):
    """A decision on something already decided or replaced."""

    kind = "conflict"


class NotEligible(PlatformError):
    kind = "conflict"


class CapacityReached(PlatformError):
    """A session or programme is full; ``details`` may name an alternative."""

    kind = "conflict"


class IdentityMismatch(PlatformError):
    """The identity number presented does not match the worker's."""

    kind = "conflict"


class AnswerUnreadable(PlatformError):
    """A keyed command carried out before whose kept answer no longer opens (sealed under
    another key, or altered): it is not run again, which would apply it twice."""

    kind = "conflict"


class Forbidden(PlatformError):
    kind = "forbidden"


class TooManyAttempts(PlatformError):
    """Stopped after too many failed attempts; ``details["retry_after"]`` in seconds."""

    kind = "too_many_requests"
