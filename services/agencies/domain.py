"""The agencies' rules, in plain Python (no broker, no database, no framework).

- **Agreements**: an agency's data-sharing agreement (``pmi_common.published.Agreement``, the
  value the gateway reads too) names the event types it receives, the published fields of each,
  the purpose and the legal basis of the processing (UU 27/2022 on personal data protection,
  article 20), who approved it, and from when until when it holds; here, what makes one complete
  and what a change records. A placement company's agreement also names the company as workers'
  ``placement_agency`` spells it: it receives events about its own recruits only.
- **What an agency may receive**: never a sensitive protection case, a referral only to the
  agency it names (``published.disclose`` applies these rules, and the published contract's
  scrubber and pseudonyms, to an event).
- **Webhooks**: an endpoint's secrets and their rotation, the retry schedule, which targets may
  be called, and what an answer means.
- **Settings and notices**: how an agency's queue carries events, its contact, and what the
  platform tells it when it disables an endpoint.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import random
import re
import secrets as _secrets
import socket
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit, urlunsplit

from pmi_common import names as c
from pmi_common.agreement import CASE_EVENTS, PLATFORM, QUEUE_FORMATS, Agreement
from pmi_common.errors import InvalidInput

# Agreements ---------------------------------------------------------------------------------

# UU 27/2022 article 20(2): the lawful bases of processing personal data
LEGAL_BASES = {
    "consent": "explicit consent of the worker (art. 20(2)a)",
    "contract": "fulfilling an agreement the worker is party to (art. 20(2)b)",
    "legal_obligation": "a legal obligation of the controller (art. 20(2)c)",
    "vital_interest": "protecting the worker's vital interests (art. 20(2)d)",
    "public_task": "a task in the public interest or official authority (art. 20(2)e)",
    "legitimate_interest": "a legitimate interest, balanced against the worker's (art. 20(2)f)",
}


# the terms of an agreement a change is recorded for (who, when, each term before and after)
AGREEMENT_TERMS = (
    "fields",
    "purpose",
    "legal_basis",
    "approved_by",
    "valid_from",
    "valid_until",
    "placement_agency",
)


def changed_terms(before: Agreement | None, after: Agreement) -> dict[str, list]:
    """Each term ``after`` changes of ``before`` (every term of a new agreement), as its value
    before and after, in plain JSON; empty when nothing changes."""
    was = _terms(before) if before is not None else {}
    return {
        name: [_plain(was.get(name)), _plain(value)]
        for name, value in _terms(after).items()
        if was.get(name) != value
    }


def _terms(agreement: Agreement) -> dict:
    values = asdict(agreement)
    return {name: values[name] for name in AGREEMENT_TERMS}


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: list(v) for k, v in value.items()}
    return value


def check_terms(
    purpose: str | None,
    legal_basis: str | None,
    approved_by: str | None,
    valid_from: dt.datetime,
    valid_until: dt.datetime | None,
) -> None:
    problems: dict[str, list[str]] = {}
    if not purpose or not purpose.strip():
        problems["purpose"] = ["say what the agency processes the data for"]
    if legal_basis not in LEGAL_BASES:
        problems["legal_basis"] = [f"one of {', '.join(LEGAL_BASES)} (UU 27/2022 art. 20)"]
    if not approved_by or not approved_by.strip():
        problems["approved_by"] = ["name who approved the agreement"]
    if valid_until is not None and valid_until <= valid_from:
        problems["valid_until"] = ["must come after valid_from"]
    if problems:
        raise InvalidInput("the agreement is incomplete", problems)


# What an agency may receive ----------------------------------------------------------------

ENVELOPE_FIELDS = (
    "event_id",
    "event_type",
    "event_version",
    "occurred_at",
    "source",
    "worker_id",
    "sequence",
    "correlation_id",
    "actor",
    "data",
)


def referred_to(envelope: dict) -> str | None:
    """The onboarded agency a referral (``case_referred``) names, or None (another event, or a
    referral to a body not on the platform)."""
    if envelope.get("event_type") != c.CASE_REFERRED:
        return None
    return (envelope.get("data") or {}).get("referred_agency")


def referred_elsewhere(envelope: dict, agency: str) -> bool:
    """A referral goes to the one agency it names: to any other agency (whatever its agreement
    grants), and to every agency when it names none, it is withheld."""
    return envelope.get("event_type") == c.CASE_REFERRED and referred_to(envelope) != agency


def sensitive_case(envelope: dict, agency: str | None = None) -> bool:
    """An event about a sensitive protection case (violence, trafficking) that ``agency`` may
    not receive: none of such a case's events reaches any agency, except its referral, which
    reaches the agency referred to."""
    if envelope.get("event_type") not in CASE_EVENTS:
        return False
    if (envelope.get("data") or {}).get("sensitive") is False:
        return False
    return agency is None or referred_to(envelope) != agency


# Webhooks -----------------------------------------------------------------------------------

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


def system_resolve(host: str, port: int) -> list[str]:
    """The host's addresses, from the system's resolver (blocking: the processes give the policy
    one that waits on a thread, ``targets.resolve``)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


@dataclass(frozen=True)
class TargetPolicy:
    """Which URLs a webhook may call. Only http(s); never the platform's own hosts; never a
    private, loopback, link-local, multicast or reserved address, unless ``allowed`` (networks
    or host names, from configuration) names it; plain http only where ``allow_http``."""

    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()
    platform_hosts: frozenset[str] = frozenset()
    allow_http: bool = True
    resolver: Resolve = system_resolve  # blocking: a process gives eventlet's pool's

    @classmethod
    def from_config(
        cls,
        allowed: str | None,
        platform_hosts: Iterable[str],
        allow_http: bool = True,
        resolver: Resolve = system_resolve,
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
            resolver,
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
            # an IPv6 address that carries an IPv4 one reaches that host: it is judged by it
            # alone (whether the 6to4 and NAT64 ranges themselves count as global differs between
            # Python releases, as ipaddress follows IANA's registry)
            inner = embedded_ipv4(ip)
            if inner is not None:
                if not inner.is_global or inner.is_multicast:
                    raise TargetRefused(
                        f"{host} resolves to {ip}, which carries {inner}, a private, loopback, "
                        "link-local or reserved address"
                    )
                continue
            if not ip.is_global or ip.is_multicast:
                raise TargetRefused(
                    f"{host} resolves to {ip}, a private, loopback, link-local or reserved address"
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


# Agencies' settings and the notices sent to them ---------------------------------------------

# one address, no display name: local@domain.tld (what a mail server accepts, loosely)
EMAIL = re.compile(
    r"^[^@\s<>,;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
UNSET = object()


@dataclass(frozen=True)
class AgencySettings:
    agency: str
    queue_format: str = PLATFORM
    contact_email: str | None = None

    def view(self) -> dict:
        return {
            "agency": self.agency,
            "queue_format": self.queue_format,
            "contact_email": self.contact_email,
        }


def check_queue_format(value) -> str:
    if value not in QUEUE_FORMATS:
        raise InvalidInput(
            "unknown queue format", {"queue_format": [f"one of {', '.join(QUEUE_FORMATS)}"]}
        )
    return value


def check_contact_email(value) -> str | None:
    """An address, or None (``""`` removes it)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 320 or not EMAIL.match(value.strip()):
        raise InvalidInput(
            "invalid contact e-mail",
            {"contact_email": ["one address, like integrasi@bpjs.example"]},
        )
    return value.strip()


ENDPOINT_DISABLED = "webhook_endpoint_disabled"  # the one kind of notice today
# a notice: waiting to be mailed (or retried), mailed, or with nobody to mail it to
NOTICE_PENDING, NOTICE_MAILED, NOTICE_UNADDRESSED = "pending", "mailed", "unaddressed"


def shown_url(url: str) -> str:
    """A URL without its query or fragment (where a receiver may keep a token)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def endpoint_disabled(endpoint: Endpoint, why: str) -> dict:
    """The subject and body of the notice for an endpoint the platform disabled."""
    named = f" ({endpoint.description})" if endpoint.description else ""
    body = "\n".join(
        [
            f"The PMI lifecycle platform stopped delivering to a webhook endpoint of agency "
            f"{endpoint.agency}.",
            "",
            f"endpoint:  {endpoint.id}{named}",
            f"address:   {shown_url(endpoint.url)}",
            f"why:       {why}",
            "",
            "Nothing is lost: the events waiting for this endpoint are kept, and are delivered in "
            "order, from where delivery stopped, once it is enabled again.",
            "Fix the receiver, then ask the platform's operators to enable it "
            f"(pmi agency webhook enable {endpoint.id}).",
        ]
    )
    return {
        "kind": ENDPOINT_DISABLED,
        "agency": endpoint.agency,
        "endpoint_id": endpoint.id,
        "subject": f"PMI platform: webhook endpoint of {endpoint.agency} disabled",
        "body": body,
    }
