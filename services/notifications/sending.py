"""Sending from the service's own outbox (the ``messages`` table), a round at a time.

Each channel's round runs on its own: the due messages are taken (held for a lease, skipping any
another sender holds) in one short transaction, handed to the provider one by one outside any
transaction, and each outcome is written in a transaction of its own (a message sent, with its
``notification_sent`` event: kind, channel, segments, cost; the reporting service counts them).
A provider that is down
fails the one message it was given (tried again later, with backoff) and the channel's other
messages wait for the next round; the other channels go on. A sender that dies between taking a
message and recording it leaves it to be taken again once its lease ends: a message is sent at
least once, and only an attempt whose outcome was lost can be repeated (with the same
idempotency key where the provider takes one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import structlog

from pmi_common import contract as c

from . import domain as d
from .channels import Channel, ProviderDown, Refused

log = structlog.get_logger(__name__)
ROUND_SIZE = 50


@dataclass
class Round:
    sent: int = 0
    failed: int = 0
    waiting: int = 0
    down: list[str] = field(default_factory=list)
    error: str | None = None


def send_due(
    transaction: Callable[[], AbstractContextManager],
    channel: Channel,
    now: Callable[[], dt.datetime],
    delays: tuple[float, ...] = d.DEFAULT_RETRY_DELAYS,
    limit: int = ROUND_SIZE,
    costs: Mapping[str, float] | None = None,
) -> Round:
    """One round of ``channel``: its due messages sent, until its provider fails (``costs``:
    the office's price per message or SMS segment, ``NOTIFY_COST_*``, told with each sent)."""
    outcome = Round()
    started = now()
    with transaction() as uow:
        taken = uow.repository.take_due(channel.channel, started, started + d.LEASE, limit)
    for position, message in enumerate(taken):
        try:
            provider_id = channel.send(message)
        except ProviderDown as exc:
            _record(
                transaction,
                message.id,
                lambda m, e=str(exc): m.attempt_failed(e, now(), delays=delays),
            )
            rest = [m.id for m in taken[position + 1 :]]
            with transaction() as uow:
                uow.repository.put_back(rest, now())
            outcome.waiting, outcome.down = len(rest) + 1, [channel.provider]
            outcome.error = str(exc)[:200]
            log.warning(
                "notification_provider_down",
                channel=channel.channel,
                provider=channel.provider,
                error=str(exc),
                waiting=len(rest) + 1,
            )
            return outcome
        except Refused as exc:
            _record(
                transaction,
                message.id,
                lambda m, e=str(exc): m.attempt_failed(e, now(), permanent=True),
            )
            outcome.failed += 1
            log.warning("notification_refused", message_id=message.id, provider=channel.provider)
            continue
        _record(
            transaction,
            message.id,
            lambda m, p=provider_id: m.delivered(channel.provider, p, now()),
            costs,
        )
        outcome.sent += 1
        log.info(
            "notification_sent",
            message_id=message.id,
            kind=message.kind,
            channel=channel.channel,
            provider=channel.provider,
            segments=message.segments,
        )
    return outcome


MOST_ROUNDS = 20  # rounds one after the other in a tick: the channel's health is told between


def send_backlog(
    transaction: Callable[[], AbstractContextManager],
    channel: Channel,
    now: Callable[[], dt.datetime],
    delays: tuple[float, ...] = d.DEFAULT_RETRY_DELAYS,
    limit: int = ROUND_SIZE,
    most: int = MOST_ROUNDS,
    costs: Mapping[str, float] | None = None,
) -> Round:
    """Rounds of ``channel`` one after the other while each takes a full batch, so a backlog
    goes at the provider's pace rather than a batch a tick; it ends at a round that is not
    full, finds the provider down, or after ``most`` rounds. What they did, summed."""
    total = Round()
    for _ in range(most):
        done = send_due(transaction, channel, now, delays, limit, costs)
        total.sent, total.failed = total.sent + done.sent, total.failed + done.failed
        total.waiting, total.down, total.error = done.waiting, done.down, done.error
        if done.down or done.sent + done.failed < limit:
            break
    return total


def _record(
    transaction,
    message_id: str,
    change: Callable[[d.Message], None],
    costs: Mapping[str, float] | None = None,
) -> None:
    with transaction() as uow:
        message = uow.repository.message(message_id, lock=True)
        if message is not None and message.status == d.PENDING:
            change(message)
            if message.status == d.SENT:
                _told_sent(uow, message, costs)


def _told_sent(uow, message: d.Message, costs: Mapping[str, float] | None) -> None:
    """``notification_sent`` with the message's sending, in its transaction."""
    uow.publish(
        c.NOTIFICATION_SENT, d.sent_event(message, costs or {}), worker_id=message.worker_id
    )


def send_now(
    transaction: Callable[[], AbstractContextManager],
    channel: Channel,
    message: d.Message,
    kept: d.Message,
    now: Callable[[], dt.datetime],
    costs: Mapping[str, float] | None = None,
) -> bool:
    """Send ``message`` at once, outside the outbox, and store ``kept`` (what may be kept of it:
    a sign-in code's text with the code blanked) as sent or failed. Never tried again: a code
    lives minutes, and the worker asks for another. Whether the provider took it."""
    try:
        provider_id = channel.send(message)
    except (ProviderDown, Refused) as exc:
        kept.attempt_failed(str(exc), now(), permanent=True)
        log.warning(
            "notification_failed",
            message_id=message.id,
            kind=message.kind,
            provider=channel.provider,
            error=str(exc)[:200],
        )
    else:
        kept.delivered(channel.provider, provider_id, now())
        log.info(
            "notification_sent",
            message_id=message.id,
            kind=message.kind,
            channel=channel.channel,
            provider=channel.provider,
            segments=message.segments,
        )
    with transaction() as uow:
        uow.repository.add_message(kept)
        if kept.status == d.SENT:
            _told_sent(uow, kept, costs)
    return kept.status == d.SENT
