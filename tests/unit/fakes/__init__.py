"""Fakes for the seam between handlers and storage: a unit of work over in-memory repositories.

``FakeUnitOfWork`` records what a handler publishes as the real one would (an envelope with its
per-stream sequence) and keeps nothing of it unless the handler returns normally: ``run`` is the
transaction boundary, like ``Store.command``.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pmi_common.events import build_envelope

R = TypeVar("R")
T = TypeVar("T")


class FakeUnitOfWork(Generic[R]):
    def __init__(
        self,
        repository: R,
        source: str = "test",
        actor: dict | None = None,
        correlation_id: str = "test-correlation",
    ):
        self.repository = repository
        self.source = source
        self.actor = actor
        self.correlation_id = correlation_id
        self.published: list[dict] = []
        self._sequences: dict[str, int] = {}

    def publish(
        self,
        event_type: str,
        data: dict,
        *,
        worker_id: str | None = None,
        stream_id: str | None = None,
    ) -> dict:
        stream = stream_id or worker_id
        if stream is None:
            raise ValueError("an event needs a worker_id or a stream_id")
        self._sequences[stream] = self._sequences.get(stream, 0) + 1
        envelope = build_envelope(
            event_type=event_type,
            source=self.source,
            data=data,
            worker_id=worker_id,
            sequence=self._sequences[stream],
            correlation_id=self.correlation_id,
            actor=self.actor,
            occurred_at=dt.datetime.now(dt.UTC),
        )
        self.published.append(envelope)
        return envelope

    def run(self, handler: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``handler(self, ...)`` as one transaction: if it raises, the repository's state
        and the published events are as they were before."""
        saved = copy.deepcopy(self.repository.__dict__)
        published = len(self.published)
        sequences = dict(self._sequences)
        try:
            return handler(self, *args, **kwargs)
        except BaseException:
            self.repository.__dict__.clear()
            self.repository.__dict__.update(saved)
            del self.published[published:]
            self._sequences = sequences
            raise

    def types(self) -> list[str]:
        """The types of the events published so far, in order."""
        return [envelope["event_type"] for envelope in self.published]
