"""The read model rebuilt from history: emptied, then every event it counts replayed from the
services that published it (each service's ``history``: its outbox and its archive), a page at
a time, through the inbox as if heard live; each page in one transaction, its facts and
profiles written in a few statements for all its events (``handlers.apply_all``).

Going through the inbox makes a rebuild safe beside the running service: an event heard live
while the rebuild runs is applied once, by whichever comes first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine

from pmi_common import contract as c
from pmi_common.events import parse_event
from pmi_common.store import Store, messaging_tables

from . import domain as d
from .handlers import EVENTS, apply_all
from .models import metadata
from .repository import ReportingRepository

SINCE = "1970-01-01T00:00:00+00:00"
PAGE = 500
# registration first: a worker's profile is kept before the other services' facts about them
# (the figures join them when read, so this only keeps the rebuild's work in a natural order)
SOURCES = tuple(dict.fromkeys(c.spec_for(t).source for t in EVENTS))

# (source, event types, after) -> a page of history: {"events": [...], "after": id or None}
History = Callable[[str, list[str], int], dict]


def store_over(engine: Engine) -> Store:
    """The reporting database's door, outside a nameko container (the ``pmi`` command)."""
    return Store(
        engine,
        messaging_tables(metadata),
        c.REPORTING,
        correlation_id=f"rebuild-{dt.datetime.now(dt.UTC).isoformat()}",
        actor={"role": "admin", "agency": None, "subject": "pmi reports rebuild"},
        wake_relay=lambda: None,
        repository=ReportingRepository,
    )


def rebuild(store: Store, history: History, zone: str = d.DISTRICT_TIMEZONE) -> dict[str, int]:
    """Empty the read model and replay every service's history into it: the events read from
    each source."""
    with store.transaction() as uow:
        uow.repository.clear(store.tables.inbox)
    read: dict[str, int] = {}
    for source in SOURCES:
        types = [t for t in EVENTS if c.spec_for(t).source == source]
        after, read[source] = 0, 0
        while True:
            page = history(source, types, after)
            events = [parse_event(envelope) for envelope in page["events"]]
            with store.applying(events):
                # the page's unit of work for each event not applied yet (heard live: None)
                units = {e.event_id: store.apply_once(e, lambda uow: uow) for e in events}
                claimed = [e for e in events if units[e.event_id] is not None]
                if claimed:  # the page's facts and profiles in a few statements
                    apply_all(units[claimed[0].event_id], claimed, zone)
            read[source] += len(events)
            if page["after"] is None or not events:
                break
            after = page["after"]
    return read


def history_over_rpc(cluster) -> History:
    """``History`` through a ``ClusterRpcProxy``: each service answers for its own events."""

    def page(source: str, types: list[str], after: int) -> dict:
        return getattr(cluster, source).history(types, SINCE, after, PAGE)

    return page
