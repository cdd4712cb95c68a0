"""The seam between a service's handlers and its storage.

A handler is a plain function that takes a command (or an event) and a unit of work: it reads and
stores domain objects through ``uow.repository`` and records the events it causes with
``uow.publish``. Whether that is one PostgreSQL transaction with its outbox
(``pmi_common.store.UnitOfWork``) or dictionaries in a unit test (``tests/unit/fakes``) is not the
handler's concern: both commit together or not at all.
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

R = TypeVar("R", covariant=True)


class UnitOfWork(Protocol, Generic[R]):
    """One atomic piece of work: the service's repository, and the events to publish with it."""

    @property
    def repository(self) -> R: ...

    # who asked for the work (the token's subject and role), or None for the platform itself
    actor: dict[str, Any] | None
    # the id that ties this work to the request or event that caused it
    correlation_id: str

    def publish(
        self,
        event_type: str,
        data: dict,
        *,
        worker_id: str | None = None,
        stream_id: str | None = None,
    ) -> dict:
        """Record an event, published after (and only if) this work commits; returns its
        envelope (``event_id``, ``sequence``, ``occurred_at``, ...)."""
        ...
