"""Publishing contract events by hand, as another service would, for integration tests."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from functools import cache

from kombu import Connection, Exchange

from pmi_common.contract import EventSpec, exchange_name, spec_for


@cache
def _schema(spec: EventSpec):
    """One payload schema per event (building one costs more than checking a payload with it:
    a seed of thousands of workers' events would spend most of its time there)."""
    return spec.schema()


# what version 2 of worker_registered adds to version 1 (a registration from the history)
REGISTERED_V2 = {"birth_year": 1994, "village_code": "35.05.12.2001"}


def envelope(
    event_type: str,
    worker_id: str | None,
    data: dict,
    sequence: int = 1,
    version: int | None = None,
    **overrides,
) -> dict:
    """An event of ``event_type`` in ``version`` (by default the one the services publish)."""
    spec = spec_for(event_type, version)
    body = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "event_version": spec.version,
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "source": spec.source,
        "worker_id": worker_id,
        "sequence": sequence,
        "correlation_id": str(uuid.uuid4()),
        "actor": {"role": "verifier", "agency": "ltsa-blitar", "subject": "desk-1"},
        "data": _schema(spec).dump(_schema(spec).load(_json_ready(data))),
    }
    body.update(overrides)
    return body


def _json_ready(data: dict) -> dict:
    """Dates and datetimes as ISO strings, as they travel."""
    return json.loads(json.dumps(data, default=lambda value: value.isoformat()))


def publish(
    amqp_uri: str,
    body,
    routing_key: str | None = None,
    source: str | None = None,
    raw: bytes | None = None,
    content_type: str = "application/json",
) -> None:
    """Publish an envelope (or raw bytes) to its source's exchange."""
    if isinstance(body, dict):
        routing_key = routing_key or body["event_type"]
        source = source or body["source"]
    with Connection(amqp_uri) as connection:
        producer = connection.Producer()
        producer.publish(
            raw if raw is not None else json.dumps(body),
            exchange=Exchange(exchange_name(source), type="topic", durable=True),
            routing_key=routing_key,
            content_type=content_type,
            content_encoding="utf-8",
            delivery_mode=2,
            retry=True,
        )
