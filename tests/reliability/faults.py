"""The fault-injection run: workers through the whole lifecycle while processes are killed and
the broker and the database restart; then the audit."""

from __future__ import annotations

import itertools
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import eventlet

from pmi_common.topology import dead_letter_queue
from tests.reliability import audit as audit_module
from tests.reliability.driver import Driver, StepFailed, journey, prepare
from tests.reliability.platform import Platform
from tests.servers import Servers

# journeys kept under way, past the ``workers`` first, while faults remain to come
KEEP_UNDER_WAY = 2
FAULTS = (
    "registration",
    "documents",
    "orientation",
    "reintegration",
    "gateway",
    "rabbitmq",
    "postgresql",
)


@dataclass
class RunReport:
    workers: int
    faults: list = field(default_factory=list)
    seconds: float = 0.0
    recovery_seconds: float = 0.0
    findings: audit_module.Findings | None = None
    driver_requests: int = 0
    driver_retries: int = 0
    driver_failures: dict = field(default_factory=dict)
    restarts: int = 0
    observed: object = None
    status_orders: dict = field(default_factory=dict)
    under_way_at_faults: list = field(default_factory=list)  # as each fault began
    journeys_started: int = 0
    journeys_finished: int = 0
    journey_failures: list = field(default_factory=list)  # (index, reason)

    def lines(self) -> list[str]:
        f = self.findings
        return [
            f"workers: {self.workers} (final statuses: {dict(f.final_statuses)})",
            f"faults injected: {len(self.faults)} ({', '.join(name for name, _ in self.faults)})",
            f"process restarts by the supervisor: {self.restarts}",
            f"run time: {self.seconds:.1f}s; recovery after the last fault: "
            f"{self.recovery_seconds:.1f}s",
            f"HTTP requests: {self.driver_requests}, retried after a failure: "
            f"{self.driver_retries} {self.driver_failures}",
            f"events recorded in outboxes: {f.events_recorded}; received by the outside "
            f"subscriber: {f.events_received}",
            f"lost: {f.lost}; duplicates on the wire: {f.duplicates_on_wire} "
            f"(dropped by event_id); duplicated effects: {len(f.duplicated_effects)}",
            f"dead letters: {f.dead_letters}",
            f"journeys that gave up: {len(self.journey_failures)}"
            + (f" (first: {self.journey_failures[0][1]})" if self.journey_failures else ""),
        ]


def run(
    servers: Servers,
    workers: int,
    fault_interval: float | None,
    concurrency: int,
    log_dir: Path,
    instances: int = 1,
    observe=None,
    spread: float | None = None,
    more_while_observing: int = 0,
    fault_rounds: int | None = None,
) -> RunReport:
    """Run ``workers`` journeys on ``servers``; a fault every ``fault_interval`` seconds (None:
    no faults); ``observe(platform, report)`` is called once the journeys have begun, before the
    audit. The journeys start spread over ``spread`` seconds (by default the time every kind of
    fault takes to happen once), so the faults hit workers at every step of the lifecycle.
    ``more_while_observing``: up to that many more journeys start at the same pace, whenever
    fewer than ``KEEP_UNDER_WAY`` are under way, while ``observe`` runs and until every kind of
    fault has happened once, so whatever they do, however long it takes, lands on journeys
    under way. ``fault_rounds``: how many times each kind of fault comes at most (None: faults
    go on in turn until the journeys end)."""
    secret = uuid.uuid4().hex
    platform = Platform(servers, secret, log_dir, instances=instances)
    platform.create()
    audit_module.declare_audit_queue(platform.amqp_uri)
    report = RunReport(workers=workers)
    background = []
    try:
        platform.start()
        driver = Driver(platform.base_urls, secret)
        setup = prepare(driver, workers + more_while_observing)
        started = time.monotonic()
        watcher = eventlet.spawn(_supervise, platform)
        background.append(watcher)
        pool = eventlet.GreenPool(concurrency)
        if spread is None:
            spread = (fault_interval or 0) * len(FAULTS)
        stagger = spread / max(workers, 1)
        journeys_done = eventlet.event.Event()
        every_fault = eventlet.event.Event()
        injector = (
            eventlet.spawn(
                _inject, platform, fault_interval, report, journeys_done, every_fault, fault_rounds
            )
            if fault_interval
            else None
        )
        background += [injector] if injector else []
        # the pool holds ``concurrency`` journeys: spawning blocks while it is full, so the
        # journeys are spawned from a thread of their own, the faults meanwhile from another
        observed = eventlet.event.Event()

        def under_way():
            return report.journeys_started - report.journeys_finished

        def faults_over():
            return observed.ready() and (every_fault.ready() or not injector)

        def spawn_journeys():
            journeys = []
            for i in range(workers + more_while_observing):
                eventlet.sleep(max(0.0, started + i * stagger - time.monotonic()))
                while i >= workers and under_way() >= KEEP_UNDER_WAY and not faults_over():
                    eventlet.sleep(0.2)  # enough journeys under way for the faults still to come
                if i >= workers and faults_over():
                    break
                journeys.append(pool.spawn(_journey, driver, setup, i, report))
            return journeys

        spawner = eventlet.spawn(spawn_journeys)
        if observe:
            report.observed = observe(platform, report)
        observed.send(True)
        journeys = spawner.wait()
        report.workers = len(journeys)
        worker_ids = [worker_id for result in journeys if (worker_id := result.wait()) is not None]
        journeys_done.send(True)
        if injector:
            injector.wait()
        last_fault = report.faults[-1][1] if report.faults else started
        audit_module.wait_drained(platform.urls)
        report.recovery_seconds = time.monotonic() - last_fault
        report.seconds = time.monotonic() - started
        statuses = {w: (driver.worker(w) or {}).get("status") for w in worker_ids}
        report.findings = audit_module.audit(
            platform.urls, platform.amqp_uri, worker_ids, statuses, _dead_letters(platform)
        )
        report.status_orders = audit_module.status_orders(platform.urls, worker_ids)
        report.driver_requests = driver.stats.requests
        report.driver_retries = driver.stats.retried
        report.driver_failures = driver.stats.failures
        report.restarts = platform.supervisor.restarts
    finally:
        for thread in background:  # nothing restarts or kills a process once we stop
            thread.kill()
        platform.stop()
        if not os.environ.get("PMI_KEEP_FAULT_STATE"):
            platform.destroy()
    return report


def _journey(driver, setup, index: int, report: RunReport) -> str | None:
    """One journey; one that gives up is reported (and fails the run), the others go on."""
    report.journeys_started += 1
    try:
        return journey(driver, setup, index)
    except StepFailed as exc:
        report.journey_failures.append((index, str(exc)))
        print(f"journey {index} gave up: {exc}", flush=True)
        return None
    finally:
        report.journeys_finished += 1


def _supervise(platform: Platform) -> None:
    while True:
        platform.supervisor.check()
        eventlet.sleep(0.2)


def _inject(
    platform: Platform,
    interval: float,
    report: RunReport,
    journeys_done,
    every_fault,
    rounds: int | None = None,
) -> None:
    """Faults in turn, each kind at least once, until the journeys end or each kind has come
    ``rounds`` times: ``interval`` seconds after the one before, and once the platform is whole
    again, so every fault lands on a working platform however slow the machine (on a loaded
    machine, faults every ``interval`` seconds regardless outpaced the restarts, and the journeys
    stood still for minutes)."""
    started = time.monotonic()
    for fault in itertools.cycle(FAULTS):
        eventlet.sleep(interval)
        _wait_whole(platform)
        if journeys_done.ready() and len(report.faults) >= len(FAULTS):
            return
        wait_under_way(report)
        # journeys under way as the fault begins (once it is done they may all have ended: how
        # long a server takes to restart is the machine's, not the platform's)
        under_way = report.journeys_started - report.journeys_finished
        if fault == "rabbitmq":
            platform.servers.broker.restart()
        elif fault == "postgresql":
            platform.servers.database.restart()
        else:
            platform.kill(fault)
        report.faults.append((fault, time.monotonic()))
        report.under_way_at_faults.append(under_way)
        if len(report.faults) == len(FAULTS):
            every_fault.send(True)
        print(
            f"{time.monotonic() - started:7.0f}s fault {len(report.faults)}: {fault}; journeys "
            f"under way: {under_way}, finished: {report.journeys_finished}",
            flush=True,
        )
        if rounds is not None and len(report.faults) >= rounds * len(FAULTS):
            return


def wait_under_way(report, timeout: float = 120) -> None:
    """Until a journey is under way, so that the fault about to come lands on one: the driver
    keeps journeys starting, but between one ending and the next beginning none may be."""
    deadline = time.monotonic() + timeout
    while report.journeys_started - report.journeys_finished <= 0:
        if time.monotonic() > deadline:
            return  # the fault comes all the same; the test's check on it says so
        eventlet.sleep(0.05)


def _wait_whole(platform: Platform, timeout: float = 120) -> None:
    """Until every process is back and answers (the supervisor restarts them); after
    ``timeout`` seconds the next fault comes all the same, and the journeys' own deadlines
    tell whether the platform recovered."""
    deadline = time.monotonic() + timeout
    while not platform.whole() and time.monotonic() < deadline:
        eventlet.sleep(0.2)


def _dead_letters(platform: Platform) -> dict:
    from pmi_common.topology import consuming_services

    counts = {}
    for service in consuming_services():
        queue = dead_letter_queue(service)
        info = platform.management("GET", f"/queues/{platform.vhost}/{queue}").json()
        counts[queue] = info.get("messages", 0)
    return counts
