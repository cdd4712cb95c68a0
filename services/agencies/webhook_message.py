"""What a webhook request carries: the published event as a CloudEvent (structured mode,
``application/cloudevents+json``, built with the CloudEvents SDK), signed the Standard Webhooks
way (``standardwebhooks``): ``webhook-id`` (the event id: the same on every retry and replay, so
a receiver drops repeats by it), ``webhook-timestamp`` and ``webhook-signature``, with one
signature per valid secret during a rotation.

The CloudEvent is built by ``cloud_events.cloud_event``, as for an agency's queue.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from cloudevents.core.bindings.http import to_structured
from cloudevents.core.formats.json import JSONFormat
from standardwebhooks.webhooks import Webhook

from .cloud_events import STRUCTURED_CONTENT_TYPE, cloud_event

CONTENT_TYPE = STRUCTURED_CONTENT_TYPE


@dataclass(frozen=True)
class Request:
    headers: dict[str, str]
    body: bytes


def signed_request(
    published: dict, secrets: list[str], now: dt.datetime, catalogue_url: str
) -> Request:
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
