"""A published event as a CloudEvent 1.0: the one construction both channels use, so an agency
reads the same event from its webhook and from its queue (and one library reads both).

The CloudEvent's attributes map the published envelope one to one, and add nothing to it:

| attribute | from |
|---|---|
| ``id`` | ``event_id`` |
| ``source`` | ``/pmi/<source service>`` |
| ``type`` | ``event_type`` (as in the catalogue and the AMQP channel) |
| ``subject`` | ``worker_id`` |
| ``time`` | ``occurred_at`` |
| ``datacontenttype`` | ``application/json`` |
| ``dataschema`` | the message of this type and version in the AsyncAPI catalogue |
| ``eventversion`` | ``event_version`` |
| ``workersequence`` | ``sequence`` (per worker and source: order by it) |
| ``correlationid`` | ``correlation_id`` |
| ``actorrole``, ``actoragency``, ``actorsubject`` | ``actor`` (staff as a pseudonym) |
| ``data`` | ``data``: the fields the agreement grants |

On an agency's queue (AMQP 0-9-1, RabbitMQ) an agency chooses the platform's own form or one of
the two content modes of the CloudEvents AMQP protocol binding, built with the SDK
(``cloudevents.core.bindings.amqp``) and carried the way RabbitMQ carries AMQP 1.0 messages to
0-9-1 consumers and back: the AMQP 1.0 ``content-type`` property is the 0-9-1 ``content_type``,
and the ``application-properties`` are the 0-9-1 ``headers``:

- ``cloudevents-binary``: ``content_type`` is ``datacontenttype`` (``application/json``), the
  body is ``data``, and every other attribute is a header ``cloudEvents_<name>`` (the binding's
  JMS-friendly prefix). Integers travel as integers; ``time`` as its canonical RFC 3339 string
  (the binding allows it; a 0-9-1 timestamp holds whole seconds only).
- ``cloudevents-structured``: ``content_type`` is ``application/cloudevents+json`` and the body
  is the whole event, byte for byte the body of the same event's webhook.

Either way the message keeps ``message_id`` (the event id), ``type`` and ``correlation_id``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from cloudevents.core.bindings import amqp as ce_amqp
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from pmi_common.agreement import BINARY, PLATFORM, QUEUE_FORMATS, STRUCTURED

DEFAULT_CATALOGUE_URL = "http://127.0.0.1:8000/api/v1/asyncapi.json"
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"


def dataschema(catalogue_url: str, event_type: str, version: int) -> str:
    return f"{catalogue_url}#/components/messages/{event_type}.v{version}"


def cloud_event(published: dict, catalogue_url: str) -> CloudEvent:
    """The published envelope as a CloudEvent."""
    attributes = {
        "id": published["event_id"],
        "source": f"/pmi/{published['source']}",
        "type": published["event_type"],
        "time": dt.datetime.fromisoformat(published["occurred_at"]),
        "datacontenttype": "application/json",
        "dataschema": dataschema(
            catalogue_url, published["event_type"], published["event_version"]
        ),
        "eventversion": published["event_version"],
    }
    if published.get("worker_id"):
        attributes["subject"] = published["worker_id"]
    if published.get("sequence") is not None:
        attributes["workersequence"] = published["sequence"]
    if published.get("correlation_id"):
        attributes["correlationid"] = published["correlation_id"]
    for key, value in (published.get("actor") or {}).items():
        if value:
            attributes[f"actor{key}"] = value
    return CloudEvent(attributes, published.get("data") or {})


def _rfc3339(moment: dt.datetime) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@dataclass(frozen=True)
class QueueMessage:
    """What one event is on an agency's queue: body, content type and headers."""

    body: bytes
    content_type: str
    headers: dict


def queue_message(published: dict, queue_format: str, catalogue_url: str) -> QueueMessage:
    """The published event in ``queue_format`` (one of ``QUEUE_FORMATS``)."""
    if queue_format == PLATFORM:
        return QueueMessage(
            json.dumps(published, separators=(",", ":")).encode(),
            "application/json",
            {"event_version": published["event_version"]},
        )
    event = cloud_event(published, catalogue_url)
    if queue_format == STRUCTURED:
        message = ce_amqp.to_structured(event, JSONFormat())
        return QueueMessage(
            message.application_data, message.properties[ce_amqp.CONTENT_TYPE_PROPERTY], {}
        )
    if queue_format == BINARY:
        message = ce_amqp.to_binary(event, JSONFormat())
        headers = dict(message.application_properties)
        # the canonical string: microseconds kept, as in the webhook's body
        headers[ce_amqp.CE_PREFIX_UNDERSCORE + "time"] = _rfc3339(event.get_time())
        return QueueMessage(
            message.application_data, message.properties[ce_amqp.CONTENT_TYPE_PROPERTY], headers
        )
    raise ValueError(f"unknown queue format {queue_format!r}; one of {', '.join(QUEUE_FORMATS)}")
