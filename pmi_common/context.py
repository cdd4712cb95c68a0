"""Who and what a nameko worker acts for: correlation id and actor, carried in nameko's context
data across RPC calls and copied from and into event envelopes."""

from __future__ import annotations

import uuid

import structlog
from nameko.extensions import DependencyProvider

CORRELATION_ID = "correlation_id"
# the gateway's digest of (caller, Idempotency-Key, request): a command sent again with it is
# answered from the service's record of its first answer (``Store.command``)
COMMAND_KEY = "command_key"
ACTOR_KEYS = {
    "role": "actor_role",
    "agency": "actor_agency",
    "subject": "actor_subject",
    "village": "actor_village",  # a village office's token: the village it speaks for
}
SCOPES = ("village",)  # named in an actor only when the caller has one


def correlation_of(worker_ctx) -> str:
    data = worker_ctx.data
    if not data.get(CORRELATION_ID):
        data[CORRELATION_ID] = str(uuid.uuid4())
    return data[CORRELATION_ID]


def command_key_of(worker_ctx) -> str | None:
    return worker_ctx.data.get(COMMAND_KEY) or None


def actor_of(worker_ctx) -> dict | None:
    data = worker_ctx.data
    if not data.get(ACTOR_KEYS["role"]):
        return None
    return {
        field: data.get(key)
        for field, key in ACTOR_KEYS.items()
        if field not in SCOPES or data.get(key)
    }


def actor_context(actor: dict | None) -> dict:
    """Context data entries for an actor (the inverse of ``actor_of``)."""
    if not actor:
        return {}
    return {key: actor.get(field) for field, key in ACTOR_KEYS.items() if actor.get(field)}


class LogContext(DependencyProvider):
    """Binds service, entrypoint and correlation id to every log line a worker writes."""

    def worker_setup(self, worker_ctx):
        structlog.contextvars.bind_contextvars(
            service=self.container.service_name,
            entrypoint=worker_ctx.entrypoint.method_name,
            correlation_id=correlation_of(worker_ctx),
        )

    def worker_teardown(self, worker_ctx):
        structlog.contextvars.unbind_contextvars("entrypoint", "correlation_id")

    def get_dependency(self, worker_ctx):
        return structlog.get_logger(self.container.service_name)
