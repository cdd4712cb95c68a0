"""A worker met before the news of them: a service asked about a worker id it has not heard of
learns the worker from registration, at once, as if registration's events had arrived.

Registration's events reach the other services through the broker, eventually (a second or two
under load). A desk that registers a worker and submits the first document straight away must
not hear "no such worker" meanwhile: so when ``documents``, ``orientation`` or ``reintegration``
meets an unknown worker id in a command (or the checklist read), it asks registration over RPC
for that worker's events (``worker_events``: registration's committed envelopes, published yet or
not) and applies them through its own handlers and inbox. When the broker delivers the same events
later, the inbox knows their ids: they change nothing. An id registration does not know stays
unknown (the command's own ``NotFound``). When registration cannot be asked (not running, or no
answer within ``RPC_TIMEOUT``), the command goes on with what this service knows, as it did before
this existed, and the miss is logged: a desk never waits on registration to reach a worker the
service already knows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import structlog

from .events import Event, parse_event
from .rpc import ServiceUnavailable
from .store import is_id

log = structlog.get_logger(__name__)


def meet_worker(
    worker_id: str,
    known: Callable[[str], bool],
    registration: Any,
    handlers: Mapping[str, Callable[[Event], Any]],
) -> bool:
    """Make sure this service knows ``worker_id`` if registration does; True when it learned
    of the worker now."""
    if not is_id(worker_id) or known(worker_id):
        return False
    try:
        envelopes = registration.worker_events(worker_id)
    except ServiceUnavailable as exc:
        log.warning("worker_not_met", worker_id=worker_id, reason=str(exc))
        return False
    for body in envelopes:
        event = parse_event(body)
        handler = handlers.get(event.event_type)
        if handler is not None:
            handler(event)
    return bool(envelopes)
