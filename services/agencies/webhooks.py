"""Webhooks: an agency's second way to receive what its agreement grants, over HTTP.

An agency's endpoint has a URL, the event types it wants (within its agreement), and one or two
signing secrets (``whsec_`` and base64, Standard Webhooks): during a rotation the new secret and
the old one both sign, until the old one expires. What an endpoint receives is decided by the
same ``disclose`` as the agency's queue; this module holds the rest of the rules, in plain
Python: the retry schedule, which targets may be called, and what an answer means.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import random
import secrets as _secrets
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import structlog
from eventlet import tpool

from pmi_common.errors import InvalidInput
from pmi_common.production import is_development

log = structlog.get_logger(__name__)

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
ENABLED, DISABLED = "enabled", "disabled"
# a delivery: waiting (or retrying), delivered, given up after the horizon, withheld (the
# agreement ended before it left)
PENDING, DELIVERED, EXPIRED, WITHHELD = "pending", "delivered", "expired", "withheld"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(SECRET_BYTES)).decode()


@dataclass(frozen=True)
class Secret:
    value: str  # sealed (``pmi_common.sealing``): opened only to sign a delivery
    expires_at: dt.datetime | None = None  # the old secret of a rotation

    def valid(self, now: dt.datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class Endpoint:
    id: str
    agency: str
    url: str
    event_types: tuple[str, ...]
    secrets: tuple[Secret, ...]
    status: str = ENABLED
    disabled_reason: str | None = None
    failing_since: dt.datetime | None = None
    description: str = ""

    @property
    def enabled(self) -> bool:
        return self.status == ENABLED

    def wants(self, event_type: str) -> bool:
        return self.enabled and event_type in self.event_types

    def signing_secrets(self, now: dt.datetime) -> list[str]:
        """The secrets that sign now, sealed: the newest first, and the old one during a
        rotation."""
        return [s.value for s in self.secrets if s.valid(now)]


def rotated(
    current: tuple[Secret, ...], new: str, now: dt.datetime, overlap: dt.timedelta
) -> tuple[Secret, ...]:
    """The secrets after a rotation: ``new``, and the newest valid one until ``overlap`` ends
    (two at most: a third rotation within the overlap drops the oldest)."""
    valid = [s for s in current if s.valid(now)]
    kept = (Secret(valid[0].value, now + overlap),) if valid and overlap > dt.timedelta(0) else ()
    return (Secret(new), *kept)


def check_event_types(wanted: Iterable[str], granted: Iterable[str]) -> tuple[str, ...]:
    """The endpoint's event types: each must be granted by the agency's agreement."""
    wanted = tuple(dict.fromkeys(wanted))
    refused = sorted(set(wanted) - set(granted))
    if not wanted:
        raise InvalidInput("no event types", {"events": ["name at least one event type"]})
    if refused:
        raise InvalidInput(
            "the agreement does not grant these events",
            {"events": [f"not granted: {', '.join(refused)}"]},
        )
    return wanted


# retries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: the n-th retry waits a random time up to
    ``first * 2**(n-1)`` seconds (at most ``longest``), or the fixed ``schedule`` when one is
    configured; a delivery is given up once ``horizon`` has passed since it was queued."""

    first: float = 5.0
    longest: float = 6 * 3600.0
    horizon: float = 3 * 24 * 3600.0
    schedule: tuple[float, ...] = ()  # fixed delays (the last repeats), instead of backoff
    jitter: Callable[[float], float] = field(default=lambda top: random.uniform(top / 2, top))

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (1 for the first)."""
        if self.schedule:
            return self.schedule[min(attempts, len(self.schedule)) - 1]
        return self.jitter(min(self.longest, self.first * 2 ** (attempts - 1)))

    def next_attempt(
        self, queued_at: dt.datetime, attempts: int, now: dt.datetime
    ) -> dt.datetime | None:
        """When to try again, or None: the horizon has passed."""
        at = now + dt.timedelta(seconds=self.delay(attempts))
        if at - queued_at > dt.timedelta(seconds=self.horizon):
            return None
        return at


def parse_schedule(text: str | None) -> tuple[float, ...]:
    """``5,30,300`` or ``5s,5m,1h``: seconds between attempts (the last repeats)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    delays = []
    for part in (text or "").split(","):
        part = part.strip().lower()
        if not part:
            continue
        scale = units.get(part[-1], 1)
        number = part[:-1] if part[-1] in units else part
        try:
            delays.append(float(number) * scale)
        except ValueError:
            raise ValueError(f"not a delay: {part!r} (seconds, or 30s, 5m, 2h, 1d)") from None
    return tuple(delays)


# what an answer means ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    gone: bool = False  # 410: the receiver says the endpoint no longer exists


def outcome_of(status: int | None) -> Outcome:
    """Any 2xx is delivered; 410 disables the endpoint; anything else (no answer, a redirect,
    4xx, 5xx) is retried."""
    if status is not None and 200 <= status < 300:
        return Outcome(delivered=True)
    return Outcome(delivered=False, gone=status == 410)


# where a webhook may go ----------------------------------------------------------------------


class TargetRefused(ValueError):
    pass


class Unresolved(TargetRefused):
    """The host does not resolve (from here, now)."""


Resolve = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """The host's addresses, asked of the system's resolver on a thread of eventlet's pool: a
    process without eventlet's green resolver (``pmi_common.runner``) never waits on DNS with
    every request it serves."""
    infos = tpool.execute(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


@dataclass(frozen=True)
class TargetPolicy:
    """Which URLs a webhook may call. Only http(s); never the platform's own hosts; never a
    private, loopback, link-local, multicast or reserved address, unless ``allowed`` (networks
    or host names, from configuration) names it; plain http only where ``allow_http``."""

    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()
    platform_hosts: frozenset[str] = frozenset()
    allow_http: bool = True
    resolver: Resolve = resolve  # the system's resolver (tests give their own)

    @classmethod
    def from_config(
        cls, allowed: str | None, platform_hosts: Iterable[str], allow_http: bool = True
    ) -> TargetPolicy:
        networks, hosts = [], set()
        for item in (allowed or "").split(","):
            item = item.strip().lower()
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.add(item)
        return cls(
            tuple(networks),
            frozenset(hosts),
            frozenset(h.lower() for h in platform_hosts if h),
            allow_http,
        )

    def check_url(self, url: str) -> tuple[str, int]:
        """The host and port of a well-formed webhook URL (``TargetRefused`` otherwise)."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise TargetRefused(f"not a URL: {exc}") from None
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise TargetRefused("a webhook URL is https://host/path (or http:// where allowed)")
        if parts.scheme == "http" and not self.allow_http:
            raise TargetRefused("only https webhook URLs are accepted")
        if parts.username or parts.password:
            raise TargetRefused("credentials in a webhook URL are refused")
        host = parts.hostname.lower()
        if host in self.platform_hosts and not self.allows(host):
            raise TargetRefused(f"{host} is one of the platform's own hosts")
        return host, port

    def allows(self, host_or_address: str) -> bool:
        """Whether the allow-list names this host or an address's network."""
        if host_or_address in self.allowed_hosts:
            return True
        try:
            ip = ipaddress.ip_address(host_or_address.split("%")[0])
        except ValueError:
            return False
        return any(ip in network for network in self.allowed_networks)

    def check(self, url: str, resolver: Resolve | None = None) -> list[str]:
        """The addresses ``url`` may be called at, or ``TargetRefused`` saying why not."""
        resolver = resolver or self.resolver
        host, port = self.check_url(url)
        if host in self.allowed_hosts:
            return resolver(host, port)
        try:
            addresses = resolver(host, port)
        except OSError as exc:
            raise Unresolved(f"{host} does not resolve: {exc}") from None
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if self.allows(address):
                continue
            if not ip.is_global or ip.is_multicast:
                raise TargetRefused(
                    f"{host} resolves to {ip}, a private, loopback, link-local or reserved address"
                )
            inner = embedded_ipv4(ip)
            if inner is not None and (not inner.is_global or inner.is_multicast):
                raise TargetRefused(
                    f"{host} resolves to {ip}, which carries {inner}, a private, loopback, "
                    "link-local or reserved address"
                )
        return addresses


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address in the last 32 bits


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches through a translator or a tunnel: IPv4-mapped
    (``::ffff:a.b.c.d``), 6to4 (``2002::/16``) or NAT64 (``64:ff9b::/96``); None otherwise."""
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


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
        config.get("WEBHOOK_ALLOWED_TARGETS"), {h for h in hosts if h}, allow_http=allow_http
    )
