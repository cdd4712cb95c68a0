"""What the gateway's own endpoints read: its request metrics, its database and the broker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider

from .http import GatewayWebServer
from .idempotency import IdempotencyKeys
from .metrics import RequestMetrics


@dataclass(frozen=True)
class GatewayState:
    metrics: RequestMetrics
    ping_database: Callable[[], None]
    amqp_uri: str


class Gateway(DependencyProvider):
    server = GatewayWebServer()
    keys = IdempotencyKeys()

    def get_dependency(self, worker_ctx) -> GatewayState:
        return GatewayState(self.server.metrics, self.keys.ping,
                            self.container.config["AMQP_URI"])


def gather(calls: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Make every call at once; each name gets its answer or the exception it raised."""

    def run(name: str) -> Any:
        try:
            return calls[name]()
        except Exception as exc:  # noqa: BLE001 - the caller decides what a failure means
            return exc

    pool = eventlet.GreenPool(len(calls) or 1)
    return dict(zip(calls, pool.imap(run, calls), strict=True))
