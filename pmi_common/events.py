"""An event as a handler sees it: the envelope, with its payload loaded by the contract's schema."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

from marshmallow import Schema, ValidationError

from .contract import Envelope, EventSpec, UnknownEvent, spec_for


class MalformedEvent(ValueError):
    """A message that is not an event of this contract; it goes to the dead letters as it is."""


@dataclass(frozen=True)
class Event:
    event_id: str
    event_type: str
    event_version: int
    occurred_at: dt.datetime
    source: str
    worker_id: str | None
    sequence: int
    correlation_id: str
    actor: dict | None
    data: dict[str, Any]


_envelope = Envelope()


@cache
def _payload_schema(spec: EventSpec) -> Schema:
    """One instance of each payload schema, reused for every event (a schema keeps no state
    between loads and dumps; building one is most of what checking a small payload costs)."""
    return spec.schema()


def parse_event(body: Any) -> Event:
    """Validate an envelope and its payload; raise ``MalformedEvent`` with the reason."""
    if not isinstance(body, dict):
        raise MalformedEvent(f"event body is {type(body).__name__}, not an object")
    try:
        envelope = _envelope.load(body)
    except ValidationError as exc:
        raise MalformedEvent(f"invalid envelope: {exc.messages}") from exc
    try:
        spec = spec_for(envelope["event_type"], envelope["event_version"])
    except UnknownEvent as exc:
        raise MalformedEvent(str(exc)) from exc
    if spec.source != envelope["source"]:
        raise MalformedEvent(
            f"{spec.event_type} comes from {spec.source}, not {envelope['source']}"
        )
    try:
        data = _payload_schema(spec).load(envelope["data"])
    except ValidationError as exc:
        raise MalformedEvent(f"invalid {spec.event_type} payload: {exc.messages}") from exc
    return Event(
        event_id=str(envelope["event_id"]),
        event_type=envelope["event_type"],
        event_version=envelope["event_version"],
        occurred_at=envelope["occurred_at"],
        source=envelope["source"],
        worker_id=envelope["worker_id"],
        sequence=envelope["sequence"],
        correlation_id=envelope["correlation_id"],
        actor=envelope["actor"],
        data=data,
    )


def build_envelope(
    *,
    event_type: str,
    source: str,
    data: dict,
    worker_id: str | None,
    sequence: int,
    correlation_id: str,
    actor: dict | None,
    occurred_at: dt.datetime,
) -> dict:
    """A JSON-ready envelope; the payload is checked against the contract before it is stored."""
    spec = spec_for(event_type)
    if spec.source != source:
        raise UnknownEvent(f"{source} does not publish {event_type}")
    schema = _payload_schema(spec)
    payload = schema.dump(data)
    errors = schema.validate(payload)
    if errors:
        raise ValueError(f"{event_type} payload breaks the contract: {errors}")
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "event_version": spec.version,
        "occurred_at": occurred_at.astimezone(dt.UTC).isoformat(),
        "source": source,
        "worker_id": worker_id,
        "sequence": sequence,
        "correlation_id": correlation_id,
        "actor": actor,
        "data": payload,
    }


def envelope_of(event: Event) -> dict:
    """An event back as the JSON-ready envelope it travelled as."""
    spec = spec_for(event.event_type, event.event_version)
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "event_version": event.event_version,
        "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat(),
        "source": event.source,
        "worker_id": event.worker_id,
        "sequence": event.sequence,
        "correlation_id": event.correlation_id,
        "actor": event.actor,
        "data": _payload_schema(spec).dump(event.data),
    }
