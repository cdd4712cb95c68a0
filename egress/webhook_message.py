"""What a webhook request carries: the published event as a CloudEvent (structured mode,
``application/cloudevents+json``, built with the CloudEvents SDK), signed the Standard Webhooks
way (``standardwebhooks``): ``webhook-id`` (the event id: the same on every retry and replay, so
a receiver drops repeats by it), ``webhook-timestamp`` and ``webhook-signature``, with one
signature per valid secret during a rotation.

The CloudEvent's attributes map the published envelope one to one, and add nothing to it:

| attribute | from |
|---|---|
| ``id`` | ``event_id`` |
| ``source`` | ``/pmi/<source service>`` |
| ``type`` | ``event_type`` (as in the catalogue and the AMQP channel) |
| ``subject`` | ``worker_id`` |
| ``time`` | ``occurred_at`` |
| ``dataschema`` | the message of this type and version in the AsyncAPI catalogue |
| ``eventversion`` | ``event_version`` |
| ``workersequence`` | ``sequence`` (per worker and source: order by it) |
| ``correlationid`` | ``correlation_id`` |
| ``actorrole``, ``actoragency``, ``actorsubject`` | ``actor`` (staff as a pseudonym) |
| ``data`` | ``data``: the fields the agreement grants |
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from cloudevents.core.bindings.http import to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from standardwebhooks.webhooks import Webhook

DEFAULT_CATALOGUE_URL = "http://127.0.0.1:8000/api/v1/asyncapi.json"
CONTENT_TYPE = "application/cloudevents+json"


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
        "dataschema": dataschema(catalogue_url, published["event_type"],
                                 published["event_version"]),
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


@dataclass(frozen=True)
class Request:
    headers: dict[str, str]
    body: bytes


def signed_request(published: dict, secrets: list[str], now: dt.datetime,
                   catalogue_url: str) -> Request:
    """The body and headers of one attempt: signed with every secret given."""
    if not secrets:
        raise ValueError("an endpoint without a valid secret cannot be signed for")
    message = to_structured(cloud_event(published, catalogue_url), JSONFormat())
    body = message.body
    msg_id = published["event_id"]
    text = body.decode()
    signatures = " ".join(Webhook(secret).sign(msg_id, now, text) for secret in secrets)
    headers = {
        "content-type": CONTENT_TYPE,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
    }
    return Request(headers, body)


def data_of(body: bytes) -> dict:
    """The CloudEvent's data, read back (for logs and tests)."""
    return json.loads(body)["data"]
