"""Helpers the tests share: valid inputs, waiting for the broker, listening like an agency."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kombu import Connection, Exchange, Queue
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from pmi_common.clock import district_date
from services.registration.nik import encode_nik

_sequence = itertools.count(1)


def worker_payload(**overrides) -> dict:
    """A valid registration; each call gets a new NIK."""
    birth = overrides.pop("birth_date", dt.date(1994, 3, 17))
    sex = overrides.pop("sex", "F")
    nik = overrides.pop("nik", None) or encode_nik("350512", birth, sex, next(_sequence) % 9999 + 1)
    payload = {
        "nik": nik,
        "full_name": "Siti Nur'aini binti Ahmad",
        "birth_date": birth.isoformat(),
        "sex": sex,
        "phone": "+6281234567890",
        "address": {
            "village": "Kademangan",
            "district": "Kademangan",
            "regency": "Blitar",
            "province": "Jawa Timur",
        },
        "destination_country": "HK",
        "occupation": "caregiver",
        "placement_agency": "PT Sinar Jaya",
    }
    payload.update(overrides)
    return payload


def district_today() -> dt.date:
    """Today where the district is: the day the platform judges dates by."""
    return district_date(dt.datetime.now(dt.UTC))


WAIT_CEILING = 60.0  # seconds: a ceiling, never a budget (a wait ends when its condition holds)


def wait_for(predicate, timeout: float = WAIT_CEILING, interval: float = 0.05, message: str = ""):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds.

    The ceiling is generous on purpose: the suite runs on loaded machines, and a condition
    that holds returns at once, so only a failing test ever waits it out."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}")
        time.sleep(interval)


def wait_for_count(
    count: Callable[[], int],
    target: int,
    stall: float = WAIT_CEILING,
    interval: float = 0.1,
    message: str = "",
    diagnose: Callable[[], str] | None = None,
) -> None:
    """Poll ``count`` until it reaches ``target``; fail once it has not moved for ``stall``
    seconds. For a volume (thousands of events applied): how long all of them take depends on
    the machine, so what is asserted is that they keep being applied until every one is; a
    stuck count fails with what ``diagnose`` says about where the rest are."""
    last, moved = count(), time.monotonic()
    while last < target:
        time.sleep(interval)
        now = count()
        if now != last:
            last, moved = now, time.monotonic()
        elif time.monotonic() - moved > stall:
            where = f"; {diagnose()}" if diagnose else ""
            raise AssertionError(
                f"{message or 'count'} stuck at {last} of {target} for {stall}s{where}"
            )
    assert last == target, f"{message or 'count'}: {last}, more than {target}"


class Subscriber:
    """A plain kombu consumer, bound the way an agency binds its own queue."""

    def __init__(self, amqp_uri: str, exchange: str, routing_keys=("#",)):
        self.connection = Connection(amqp_uri)
        self.queue = Queue(
            f"test-subscriber-{time.monotonic_ns()}",
            exchange=None,
            durable=False,
            auto_delete=True,
        )
        channel = self.connection.channel()
        self.queue = self.queue(channel)
        self.queue.declare()
        for key in routing_keys:
            Exchange(exchange, type="topic", durable=True, channel=channel).declare()
            self.queue.bind_to(exchange=exchange, routing_key=key)
        self.messages: list[dict] = []

    def drain(self, timeout: float = 0.5) -> list[dict]:
        while True:
            message = self.queue.get(no_ack=True)
            if message is None:
                break
            self.messages.append(json.loads(message.body))
        return self.messages

    def wait_for(self, predicate, timeout: float = WAIT_CEILING) -> list[dict]:
        return wait_for(
            lambda: predicate(self.drain()) and self.messages,
            timeout,
            message="subscriber messages",
        )

    def close(self) -> None:
        self.connection.release()


def take_message(amqp_uri: str, queue: str):
    """Take one message from an existing queue (without redeclaring it), or None."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        message = channel.basic_get(queue, no_ack=True)
        if message is None:
            return None
        return message


def inbox_state(container) -> str:
    """What a running service's inbox holds: its batches under way, the events it holds back
    and those that arrived and were not yet begun (a test's diagnosis of a stuck count)."""
    from pmi_common.inbox import ServiceInbox

    inbox = next(e for e in container.subextensions if isinstance(e, ServiceInbox))
    return (
        f"inbox: {len(inbox.in_flight)} workers in batches under way, "
        f"{len(inbox.held_back)} held back, {inbox.arrived.qsize()} arrived, "
        f"{inbox.slots.balance} free slots, {container._worker_pool.running()} workers running"
    )


def database_activity(engine) -> str:
    """The database's sessions other than this one: their state and what they wait on."""
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT state, wait_event_type, wait_event, left(query, 80) FROM "
                "pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).all()
    return "sessions: " + "; ".join(" ".join(str(v) for v in row) for row in rows)


def queue_depth(amqp_uri: str, queue: str) -> int:
    with Connection(amqp_uri) as connection:
        _name, count, _consumers = connection.channel().queue_declare(queue, passive=True)
        return count


@dataclass
class Kept:
    """A repository under its contract test, and ``again()``: what was stored is read back from
    storage from then on (the fake keeps objects; PostgreSQL's session is flushed and expired)."""

    repository: Any
    session: Session | None = None

    def again(self) -> None:
        if self.session is not None:
            self.session.flush()
            self.session.expire_all()


def kept_on(request, fake: Callable[[], Any], real: Callable[[Session], Any], database: str):
    """What a repository contract's ``kept`` fixture yields, for its ``fake`` or ``postgresql``
    param: the in-memory fake the handler tests use, or the real repository in a transaction on
    the suite's ``database`` (rolled back at the end)."""
    if request.param == "fake":
        yield Kept(fake())
        return
    engine = create_engine(request.getfixturevalue("database_urls")[database])
    with Session(engine) as session, session.begin():
        yield Kept(real(session), session)
    engine.dispose()


_SHOWN = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")
_ESCAPED = re.compile(rb"\\(.)")


def pdf_texts(pdf: bytes) -> list[str]:
    """The strings a PDF (fpdf2's, core fonts) shows, page after page in the order drawn: the
    PDF parsed (pyHanko's reader), each page's content stream decoded, its ``(...) Tj``."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf))
    texts = []
    for page in reader.root["/Pages"]["/Kids"]:
        content = page.get_object()["/Contents"].get_object().data
        for shown in _SHOWN.findall(content):
            texts.append(_ESCAPED.sub(rb"\1", shown).decode("latin-1"))
    return texts


def shows_in_a_row(texts: list[str], *expected: str) -> bool:
    """Whether ``texts`` hold ``expected`` one after another (a table's row, a bar's label and
    its count)."""
    wanted = list(expected)
    return any(texts[n : n + len(wanted)] == wanted for n in range(len(texts)))


def pdf_text(pdf: bytes) -> str:
    """What a PDF shows, its strings one to a line (to read what a letter says)."""
    return "\n".join(pdf_texts(pdf))


# How often a test's HTTP server looks whether it is being shut down (socketserver's default
# half second is paid by every test that stops one).
SERVER_POLL_SECONDS = 0.05


def serve_in_background(server) -> threading.Thread:
    """A ``socketserver`` server serving on a thread of its own until ``server.shutdown()``."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": SERVER_POLL_SECONDS}, daemon=True
    )
    thread.start()
    return thread
