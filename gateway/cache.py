"""The gateway's read cache: worker reads answered from memory, kept fresh by the event stream.

Each gateway instance listens to every ``<service>.events`` exchange on a private queue. An event
about a worker drops that worker's cached reads; an event from the registration service also drops
the lists and statistics. A write through this gateway drops the worker's reads before it answers,
so a caller always reads its own writes. Entries also expire after ``READ_CACHE_SECONDS`` (default
2): a change with no event of its own, or one announced before the owning service applied it, is
visible after at most that long, as eventual consistency already allows. ``0`` turns it off.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import structlog
from kombu import Exchange, Queue
from kombu.mixins import ConsumerMixin
from nameko.extensions import DependencyProvider

from pmi_common import contract as c
from pmi_common.amqp import broker_connection

log = structlog.get_logger(__name__)

MAX_ENTRIES = 10_000
GLOBAL = "*"  # the scope of reads that any registration event may change (lists, statistics)


class ReadCache:
    """A bounded map of (scope, key) to answers, with per-scope generations so an answer
    computed before an invalidation is never stored after it.

    Entries leave when they expire (the least recently used first, as answers are stored), when
    an event forgets their scope, or beyond ``max_entries``: so the cache holds about what was
    read in the last ``ttl`` seconds, and forgetting a scope touches only that scope's entries."""

    def __init__(self, ttl: float, max_entries: int = MAX_ENTRIES):
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()
        self._scopes: dict[str, set[tuple]] = {}
        self._generations: dict[str, int] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def read(self, scope: str, key: tuple, load: Callable[[], Any]) -> Any:
        if self.ttl <= 0:
            return load()
        entry_key = (scope, *key)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(entry_key)
            if entry and entry[0] > now:
                self._entries.move_to_end(entry_key)
                self.hits += 1
                return entry[1]
            generation = self._generations.get(scope, 0)
        self.misses += 1
        value = load()
        with self._lock:
            if self._generations.get(scope, 0) == generation:
                self._entries[entry_key] = (now + self.ttl, value)
                self._entries.move_to_end(entry_key)
                self._scopes.setdefault(scope, set()).add(entry_key)
                self._evict(now)
        return value

    def _evict(self, now: float) -> None:
        entries = self._entries
        while entries:
            oldest, (expires, _) = next(iter(entries.items()))
            if expires > now and len(entries) <= self.max_entries:
                return
            self._drop(oldest)

    def _drop(self, entry_key: tuple) -> None:
        del self._entries[entry_key]
        keys = self._scopes.get(entry_key[0])
        if keys is not None:
            keys.discard(entry_key)
            if not keys:
                del self._scopes[entry_key[0]]

    def forget(self, scope: str) -> None:
        with self._lock:
            self._generations[scope] = self._generations.get(scope, 0) + 1
            for entry_key in self._scopes.pop(scope, ()):
                del self._entries[entry_key]

    def clear(self) -> None:
        with self._lock:
            for scope in set(self._scopes) | set(self._generations):
                self._generations[scope] = self._generations.get(scope, 0) + 1
            self._entries.clear()
            self._scopes.clear()

    def event_seen(self, body: dict) -> None:
        worker_id = body.get("worker_id")
        if worker_id:
            self.forget(worker_id)
        if body.get("source") == c.REGISTRATION or not worker_id:
            self.forget(GLOBAL)


class _Invalidations(ConsumerMixin):
    def __init__(self, amqp_uri: str, cache: ReadCache):
        self.connection = broker_connection(amqp_uri)
        self.cache = cache
        name = f"gateway.cache.{uuid.uuid4().hex[:12]}"
        self.queue = Queue(name, exclusive=True, auto_delete=True, durable=False, bindings=[])
        self.exchanges = [
            Exchange(c.exchange_name(s), type="topic", durable=True) for s in c.SERVICES
        ]

    def get_consumers(self, consumer_cls, channel):
        queue = self.queue(channel)
        queue.declare()
        for exchange in self.exchanges:
            exchange(channel).declare()
            queue.bind_to(exchange=exchange.name, routing_key="#")
        return [
            consumer_cls(
                queues=[queue],
                callbacks=[self.on_message],
                accept=["json"],
                no_ack=True,
                on_decode_error=lambda m, e: None,
            )
        ]

    def on_connection_revived(self):
        # events may have passed while disconnected: nothing cached can be trusted
        self.cache.clear()

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        self.cache.clear()

    def on_message(self, body, message):
        if isinstance(body, bytes | str):
            try:
                body = json.loads(body)
            except ValueError:
                return
        if isinstance(body, dict):
            self.cache.event_seen(body)


class Reads(DependencyProvider):
    """The cache as a dependency: ``read(scope, key, load)`` and ``forget(scope)``."""

    def setup(self):
        ttl = float(self.container.config.get("READ_CACHE_SECONDS", 2))
        self.cache = ReadCache(ttl)
        self.listener = _Invalidations(self.container.config["AMQP_URI"], self.cache)

    def start(self):
        if self.cache.ttl > 0:
            self.container.spawn_managed_thread(self.listener.run, identifier="read-cache")

    def stop(self):
        self.listener.should_stop = True

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx) -> ReadCache:
        return self.cache
