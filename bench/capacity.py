"""``python -m bench.capacity``: the capacity plan (docs/capacity.md) from the latest benchmark.

Demand comes from placements a year and the shape of a worker's lifecycle as the benchmark
measured it (events published and applied, desk requests, bytes stored); capacity per instance
comes from the same run. Every assumption is a named constant below.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

from .run import RESULTS

PLACEMENTS_A_YEAR = {  # departures a year, from the national and district figures
    "district (Kabupaten Blitar)": 5_000,
    "province (East Java's top districts)": 30_000,
    "country": 300_000,
}
WORKING_DAYS = 245  # the LTSA desks' days a year
DESK_HOURS = 8  # 08:00-16:00
PEAK_FACTOR = 3  # the busiest desk hour against an average one (Mondays, after Lebaran)
SELF_SERVICE_READS_A_DAY = 1  # a worker before departure or abroad checks the app once a day
SELF_SERVICE_HOURS = 16
PRE_DEPARTURE_YEARS = 4 / 12  # registration to departure
ABROAD_YEARS = 2  # a typical contract
REGISTERED_BUT_NEVER_LEFT = 0.3  # registrations that withdraw or never depart, on top
YEARS_KEPT = 10  # how long the registry keeps everyone
AGENCY_SUBSCRIBERS = 6  # partner agencies' queues (BPJS, immigration, civil registry, ...)
HEADROOM = 0.5  # plan instances to run at most half of what the benchmark measured
MIN_INSTANCES = 2  # every process twice, for availability (docs/deployment.md)
PRUNE_AFTER_DAYS = 30
# of the desk's requests, the writes: register, 8 documents submitted and 8 verified, orientation
# enrolment and attendance, BPJS, departure, return, reintegration enrolment and completion
WRITES_A_WORKER = 24


@dataclass
class Lifecycle:
    events: float  # published per worker through the whole lifecycle
    applications: float  # applied per worker, all subscribers
    desk_requests: float  # HTTP requests per worker, desk clients polling included
    bytes_stored: float  # in all databases, per worker, all history kept
    bytes_kept: float  # the same once published outbox rows, inbox ids and idempotency keys
    # older than PRUNE_AFTER_DAYS are deleted (the timeline keeps the history)


@dataclass
class PerInstance:
    applications_per_second: float  # one consumer process (the slowest service)
    reads_per_second: float  # one gateway + registration pair, reads over the whole registry
    registrations_per_second: float  # POST /workers


def lifecycle(results: dict) -> Lifecycle:
    platform = results["platform"]
    life = platform["lifecycle"]
    workers = life["workers"]
    events = life["events_published"] / workers
    applications = life["events_applied"] / workers
    storage = platform.get("storage", {})

    def row(service: str, table: str, fallback: int) -> float:
        return (
            storage.get(service, {}).get("tables", {}).get(table, {}).get("bytes_per_row")
            or fallback
        )

    # kept: one worker row in registration and a copy in each of the three other services; a
    # timeline entry per event; eight documents; an orientation enrolment and completion; a
    # programme participant. Transient: every event in one outbox, every application in one
    # inbox, an idempotency key for each write (about half the desk's requests; the gateway drops
    # them after 24 hours)
    kept = (
        row("registration", "workers", 900)
        + 3 * row("documents", "workers", 450)
        + events * row("registration", "timeline", 400)
        + 8 * row("documents", "documents", 1400)
        + row("orientation", "enrolments", 1000)
        + row("orientation", "completions", 800)
        + row("reintegration", "participants", 1300)
    )
    transient = (
        events * row("registration", "outbox", 2000)
        + applications * row("registration", "inbox", 400)
        + life["http_requests"] / workers * 0.5 * row("gateway", "idempotency_keys", 1300)
    )
    return Lifecycle(events, applications, life["http_requests"] / workers, kept + transient, kept)


def per_instance(results: dict) -> PerInstance:
    platform = results["platform"]
    by_service = platform["pipeline"]["by_service"]
    reads = platform["reads"][max(platform["reads"], key=int)]
    return PerInstance(
        min(s["per_second"] for s in by_service.values()),
        reads["get_worker"]["rps"],
        reads["register"]["rps"],
    )


def plan(results: dict) -> list[dict]:
    shape, capacity = lifecycle(results), per_instance(results)
    rows = []
    for place, placements in PLACEMENTS_A_YEAR.items():
        events_a_day = placements * shape.events / WORKING_DAYS
        peak_events = events_a_day / DESK_HOURS / 3600 * PEAK_FACTOR
        peak_applications = peak_events * shape.applications / shape.events
        in_flight = placements * (PRE_DEPARTURE_YEARS + ABROAD_YEARS)
        desk_peak = (
            placements * shape.desk_requests / WORKING_DAYS / DESK_HOURS / 3600 * PEAK_FACTOR
        )
        self_service_peak = (
            in_flight * SELF_SERVICE_READS_A_DAY / SELF_SERVICE_HOURS / 3600 * PEAK_FACTOR
        )
        http_peak = desk_peak + self_service_peak
        writes_peak = placements * WRITES_A_WORKER / WORKING_DAYS / DESK_HOURS / 3600 * PEAK_FACTOR
        registry = placements * (1 + REGISTERED_BUT_NEVER_LEFT) * YEARS_KEPT
        consumers = max(
            MIN_INSTANCES,
            math.ceil(peak_applications / 3 / (capacity.applications_per_second * HEADROOM)),
        )
        gateway_load = (
            http_peak - writes_peak
        ) / capacity.reads_per_second + writes_peak / capacity.registrations_per_second
        gateways = max(MIN_INSTANCES, math.ceil(gateway_load / HEADROOM))
        rows.append(
            {
                "place": place,
                "placements_a_year": placements,
                "workers_in_flight": round(in_flight),
                "registry_after_years": round(registry),
                "events_a_day": round(events_a_day),
                "peak_events_per_second": round(peak_events, 2),
                "peak_applications_per_second": round(peak_applications, 2),
                "broker_deliveries_a_day": round(
                    events_a_day * (shape.applications / shape.events + AGENCY_SUBSCRIBERS)
                ),
                "peak_http_per_second": round(http_peak, 1),
                "peak_writes_per_second": round(writes_peak, 2),
                "consumer_instances_each": consumers,
                "gateway_registration_instances": gateways,
                "database_gb_after_years_all_kept": round(registry * shape.bytes_stored / 2**30, 1),
                "database_gb_after_years_pruned": round(registry * shape.bytes_kept / 2**30, 1),
                "database_gb_a_year_pruned": round(
                    placements * (1 + REGISTERED_BUT_NEVER_LEFT) * shape.bytes_kept / 2**30, 2
                ),
                "consumer_share": f"{peak_applications / 3 / capacity.applications_per_second:.2%}",
                "gateway_share": f"{gateway_load:.2%}",
            }
        )
    return rows


def markdown(results: dict) -> str:
    """The plan as the tables of docs/capacity.md."""
    rows, capacity = plan(results), per_instance(results)
    places = [row["place"].split(" (")[0] for row in rows]

    def table(title: str, lines: list[tuple[str, str]]) -> list[str]:
        out = [f"| {title} | " + " | ".join(places) + " |", "|---" * (len(places) + 1) + "|"]
        for label, key in lines:
            out.append(f"| {label} | " + " | ".join(_fmt(row[key]) for row in rows) + " |")
        return out + [""]

    text = table(
        "demand",
        [
            ("placements a year", "placements_a_year"),
            ("workers before departure or abroad at any time", "workers_in_flight"),
            ("workers in the registry after ten years", "registry_after_years"),
            ("lifecycle events a working day", "events_a_day"),
            ("events published per second, busiest desk hour", "peak_events_per_second"),
            ("events applied per second, busiest desk hour", "peak_applications_per_second"),
            ("broker deliveries a day (services and agencies)", "broker_deliveries_a_day"),
            (
                "HTTP requests per second, busiest hour (desks and self-service)",
                "peak_http_per_second",
            ),
            ("of which writes", "peak_writes_per_second"),
        ],
    )
    text += [
        "| one instance | measured |",
        "|---|---|",
        f"| consumer (the slowest service applying a backlog) | "
        f"{capacity.applications_per_second:,.0f} events/s |",
        f"| gateway + registration, `GET /workers/{{id}}` over a registry of a million | "
        f"{capacity.reads_per_second:,.0f} req/s |",
        f"| gateway + registration, `POST /workers` | "
        f"{capacity.registrations_per_second:,.0f} req/s |",
        "",
    ]
    text += table(
        "at the busiest hour",
        [
            ("share of one consumer instance per service", "consumer_share"),
            (
                "share of one gateway + registration pair (reads at the read rate, writes at the "
                "registration rate)",
                "gateway_share",
            ),
            (
                "consumer instances per service (half load at most, two at least)",
                "consumer_instances_each",
            ),
            ("gateway and registration instances", "gateway_registration_instances"),
            ("database, GB a year (pruned)", "database_gb_a_year_pruned"),
            ("database, GB after ten years (pruned)", "database_gb_after_years_pruned"),
            ("database, GB after ten years (everything kept)", "database_gb_after_years_all_kept"),
        ],
    )
    return "\n".join(text)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 10 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__)
    parser.add_argument("results", nargs="?", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--markdown", action="store_true", help="the tables of the doc")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    if args.markdown:
        print(markdown(results))
        return
    print(
        json.dumps(
            {
                "lifecycle": vars(lifecycle(results)),
                "per_instance": vars(per_instance(results)),
                "plan": plan(results),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
