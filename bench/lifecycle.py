"""Lifecycle throughput, two ways.

- ``journeys``: desk clients drive workers through the whole lifecycle over HTTP, as the desk apps
  do (register, eight documents submitted and verified, orientation enrolment and attendance,
  BPJS number, departure, return, reintegration enrolment and completion), each waiting for the
  status the events bring before the next step. Figures: workers through the whole lifecycle per
  second, and the lifecycle events published and applied per second meanwhile (from the services'
  outbox and inbox tables).
- ``backlog``: the event pipeline at capacity. A bulk import commits ``count`` registrations in one
  transaction (registration's own handler, as ``pmi import`` does, events into the outbox); the
  figure is how fast the relay publishes them and the other services apply them, from the commit
  to the last event applied.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from pmi_common.contract import spec_for
from pmi_common.relay import BATCH_SIZE
from pmi_common.store import Store, messaging_tables
from services.registration import handlers
from services.registration.models import metadata as registration_metadata
from services.registration.nik import encode_nik
from services.registration.regions import regions
from services.registration.repository import RegistrationRepository
from tests.reliability import driver as desk

from .journey import ABORT, NAMES, DeskDriver, journey
from .platform import Platform
from .processes import CpuMeter, wait_until

CONSUMERS = ("registration", "documents", "orientation", "reintegration")
DISTRICTS = sorted(regions().districts)  # real district codes: the NIK rule checks them


def _counts(platform: Platform) -> dict[str, dict[str, int]]:
    counts = {}
    for service in CONSUMERS:
        tables = messaging_tables(_metadata(service))
        with platform.engine(service).connect() as conn:
            counts[service] = {
                "applied": conn.execute(select(func.count()).select_from(tables.inbox)).scalar(),
                "published": conn.execute(
                    select(func.count())
                    .select_from(tables.outbox)
                    .where(tables.outbox.c.published_at.is_not(None))
                ).scalar(),
                "outbox": conn.execute(select(func.count()).select_from(tables.outbox)).scalar(),
            }
    return counts


def _metadata(service: str):
    import importlib

    return importlib.import_module(f"services.{service}.models").metadata


def _totals(counts: dict) -> dict[str, int]:
    return {key: sum(c[key] for c in counts.values()) for key in ("applied", "published", "outbox")}


def journeys(platform: Platform, workers: int, concurrency: int) -> dict:
    driver = DeskDriver(platform.base_url, platform.secret)
    setup = desk.prepare(driver, workers)
    wait_until(lambda: _quiet(platform), 60, "the setup's events")
    before = _totals(_counts(platform))
    meter = CpuMeter(platform.pids()).start()
    started = time.monotonic()
    failed: list[str] = []

    def one(index: int) -> str | None:
        try:
            return journey(driver, setup, index)
        except desk.StepFailed as exc:
            failed.append(str(exc))
            return None

    pool = ThreadPoolExecutor(concurrency)
    try:
        ids = [wid for wid in pool.map(one, range(workers)) if wid]
    except BaseException:
        ABORT.set()
        pool.shutdown(cancel_futures=True)
        raise
    pool.shutdown()
    wait_until(lambda: _quiet(platform), 120, "the journeys' last events")
    seconds = time.monotonic() - started
    after = _totals(_counts(platform))
    applied = after["applied"] - before["applied"]
    published = after["published"] - before["published"]
    return {
        "workers": len(ids),
        "concurrency": concurrency,
        "seconds": round(seconds, 2),
        "workers_per_second": len(ids) / seconds,
        "events_published": published,
        "events_per_worker": published / max(len(ids), 1),
        "events_published_per_second": published / seconds,
        "events_applied": applied,
        "events_applied_per_second": applied / seconds,
        "cpu": meter.stop(),
        "http_requests": driver.stats.requests,
        "http_retried": driver.stats.retried,
        "failed": failed[:10],
        "failed_count": len(failed),
        "worker_ids": ids,
    }


def _quiet(platform: Platform) -> bool:
    """Every event published and every queue drained (two looks a moment apart agree)."""
    first = _counts(platform)
    time.sleep(0.3)
    second = _counts(platform)
    totals = _totals(second)
    return first == second and totals["published"] == totals["outbox"]


def backlog(platform: Platform, count: int) -> dict:
    """Commit ``count`` registrations at once; how fast their events flow to every subscriber."""
    # this process registers as the registration service would: with the platform's NIK key
    os.environ["NIK_DIGEST_KEY"] = platform.nik_digest_key
    before = _counts(platform)
    outbox = messaging_tables(registration_metadata).outbox
    with platform.engine("registration").connect() as conn:
        last_id = conn.execute(select(func.coalesce(func.max(outbox.c.id), 0))).scalar()
    meter = CpuMeter(platform.pids())
    store = Store(
        platform.engine("registration"),
        messaging_tables(registration_metadata),
        "registration",
        correlation_id=f"bench-import-{uuid.uuid4()}",
        actor={"role": "operator", "agency": "bulk-import", "subject": "bench"},
        wake_relay=lambda: None,
        repository=RegistrationRepository,
    )
    now = dt.datetime.now(dt.UTC)
    with store.transaction() as uow:
        for index in range(count):
            handlers.register_worker(uow, _import_row(index), now)
        published_types = [envelope["event_type"] for envelope in uow.published]
    committed = time.monotonic()
    meter.start()
    expected = {
        service: sum(service in spec_for(t).handlers for t in published_types)
        for service in CONSUMERS
    }
    published_at, drained_at = None, {}
    deadline = committed + 600
    while len(drained_at) < len(CONSUMERS) and time.monotonic() < deadline:
        counts = _counts(platform)
        now_s = time.monotonic()
        totals = _totals(counts)
        if published_at is None and totals["published"] == totals["outbox"]:
            published_at = now_s
        for service in CONSUMERS:
            if (
                service not in drained_at
                and counts[service]["applied"] - before[service]["applied"] >= expected[service]
            ):
                drained_at[service] = now_s
        time.sleep(0.2)
    if len(drained_at) < len(CONSUMERS) or published_at is None:
        raise TimeoutError("the imported workers' events were not all applied in 600 s")
    cpu = meter.stop()
    with platform.engine("registration").connect() as conn:
        first, last = conn.execute(
            select(func.min(outbox.c.published_at), func.max(outbox.c.published_at)).where(
                outbox.c.id > last_id
            )
        ).one()
    after_first_batch = len(published_types) - BATCH_SIZE
    relay_rate = (
        after_first_batch / (last - first).total_seconds()
        if after_first_batch > 0 and last > first
        else None
    )
    applied = sum(expected.values())
    seconds = max(drained_at.values()) - committed
    return {
        "registrations": count,
        "events_published": len(published_types),
        "events_applied": applied,
        "publish_seconds": round(published_at - committed, 2),
        "seconds": round(seconds, 2),
        "events_published_per_second": len(published_types) / (published_at - committed),
        "relay_events_per_second": relay_rate,
        "events_applied_per_second": applied / seconds,
        "by_service": {
            service: {
                "applied": expected[service],
                "seconds": round(drained_at[service] - committed, 2),
                "per_second": round(expected[service] / (drained_at[service] - committed), 1),
            }
            for service in CONSUMERS
            if expected[service]
        },
        "cpu": cpu,
    }


def _import_row(index: int) -> dict:
    birth = dt.date(1988, 1, 1) + dt.timedelta(days=index % 3000)
    return {
        "nik": encode_nik(DISTRICTS[index // 9999 % len(DISTRICTS)], birth, "F", index % 9999 + 1),
        "full_name": NAMES[index % len(NAMES)],
        "birth_date": birth.isoformat(),
        "sex": "F",
        "phone": "+6281234567890",
        "address": {
            "village": "Sukorejo",
            "district": "Sukorejo",
            "regency": "Blitar",
            "province": "Jawa Timur",
        },
        "destination_country": "TW",
        "occupation": "factory worker",
        "placement_agency": "PT Sinar Jaya",
    }
