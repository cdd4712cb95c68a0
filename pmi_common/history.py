"""What a caller asks of the platform's history: event types (each in the contract) and moments
(an ISO date or date-time): the services' ``history``, backfills and delivery logs read them."""

from __future__ import annotations

import datetime as dt

from .contract import UnknownEvent as _UnknownEvent
from .contract import spec_for
from .errors import InvalidInput


def event_types_of(
    value: str | list[str] | tuple[str, ...], field_name: str = "events"
) -> tuple[str, ...]:
    """Event types from ``a,b,c`` or a list; each must be in the contract (``InvalidInput``
    naming ``field_name`` otherwise)."""
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [name.strip() for name in names if name and name.strip()]
    if not names:
        raise InvalidInput("no event types", {field_name: ["name at least one event type"]})
    unknown = []
    for name in names:
        try:
            spec_for(name)
        except _UnknownEvent:
            unknown.append(name)
    if unknown:
        raise InvalidInput(
            "unknown event types", {field_name: [f"not in the contract: {', '.join(unknown)}"]}
        )
    return tuple(dict.fromkeys(names))


def parse_moment(value: str, field_name: str) -> dt.datetime:
    """An ISO date (midnight UTC) or date-time (UTC when it names no zone)."""
    try:
        if isinstance(value, str) and len(value) == 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
        else:
            moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            "invalid date",
            {
                field_name: [
                    "an ISO 8601 date (2026-03-01) or date-time (2026-03-01T08:00:00+07:00)"
                ]
            },
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def parse_since(value: str) -> dt.datetime:
    return parse_moment(value, "since")
