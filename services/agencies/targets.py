"""Where a process lets webhooks go: the target policy its configuration sets, resolving hosts on
a thread of eventlet's pool (a process without eventlet's green resolver never waits on DNS with
every request it serves)."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import structlog
from eventlet import tpool

from pmi_common.production import is_development

from .domain import TargetPolicy

log = structlog.get_logger(__name__)


def resolve(host: str, port: int) -> list[str]:
    """The host's addresses, asked of the system's resolver on a thread of eventlet's pool: a
    process without eventlet's green resolver (``pmi_common.runner``) never waits on DNS with
    every request it serves."""
    infos = tpool.execute(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def target_policy(config: dict) -> TargetPolicy:
    """The policy a process's config sets: ``WEBHOOK_ALLOWED_TARGETS``, the platform's own hosts
    (the broker's, the database's, the management API's and the gateway's), and plain http only
    in development or where ``WEBHOOK_ALLOW_HTTP`` says so (a test network: logged loudly)."""
    hosts = {
        urlsplit(config.get(key) or "").hostname
        for key in ("AMQP_URI", "DATABASE_URL", "RABBITMQ_MANAGEMENT_URL")
    }
    for key in ("GATEWAY_ADDRESS", "WEB_SERVER_ADDRESS"):
        hosts.add((config.get(key) or "").rpartition(":")[0])
    allow_http = is_development(config)
    if str(config.get("WEBHOOK_ALLOW_HTTP") or "").strip().lower() in ("1", "true", "yes"):
        allow_http = True
        if not is_development(config):
            log.warning(
                "webhook_plain_http_allowed",
                detail="WEBHOOK_ALLOW_HTTP: webhooks may be sent over plain http, in clear and "
                "unauthenticated; for a test network only, never in production",
            )
    return TargetPolicy.from_config(
        config.get("WEBHOOK_ALLOWED_TARGETS"),
        {h for h in hosts if h},
        allow_http=allow_http,
        resolver=resolve,
    )
