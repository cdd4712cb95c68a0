"""``python -m bench.run`` (``make bench``): the floors, then the platform, in one run.

Prints the table of figures and ratios and writes it to ``bench/results/latest.json`` (and
``latest.md``). ``--quick`` runs every phase at small sizes (a minute or two), to check the bench
itself; ``--profile`` records the services with py-spy during the pipeline, the reads at the
largest scale and the backfill; ``--only-backfill`` runs the kombu floor, the backfill and the
reporting rebuild alone.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
warnings.filterwarnings("ignore", category=DeprecationWarning)

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from pmi_common.paging import encode_cursor  # noqa: E402
from tests.servers import private_servers  # noqa: E402

from . import (  # noqa: E402
    backfill,
    bulk,
    kombu_floor,
    lifecycle,
    load,
    nameko_floor,
    notifications,
    profile,
    rebuild,
    report,
    seed,
    storage,
)
from .environment import Environment  # noqa: E402
from .platform import PROCESSES, Platform  # noqa: E402

RESULTS = Path(__file__).with_name("results")
CONNECTIONS = 16
SAMPLE = 2000
READ_RUNS = 2  # each read figure is the better of two runs: other work on the machine only slows
# each service `make run` starts, a pool of max_workers + 3 with 5 overflow; the gateway 10 + 5 and
# 20 + 5 to registration's database; the comparison gateway 10 + 5; the agencies service (for the
# backfill) 13 + 5 and 5 + 5; the bench's own
CONNECTIONS_NEEDED = (len(PROCESSES) - 1) * 18 + 15 + 25 + 15 + 28 + 10


def progress(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the bench")
    parser.add_argument("--seconds", type=float, help="seconds of load per HTTP figure (10)")
    parser.add_argument("--lifecycle-workers", type=int, help="workers driven over HTTP (120)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=CONNECTIONS,
        help="desk clients driving lifecycles at once (16)",
    )
    parser.add_argument("--backlog", type=int, help="registrations imported at once (2000)")
    parser.add_argument(
        "--scales",
        type=int,
        nargs="+",
        help="workers in the database for the reads (10000 1000000)",
    )
    parser.add_argument(
        "--import-rows",
        type=int,
        help="registry rows imported from a CSV file, as `pmi import` does (100000)",
    )
    parser.add_argument(
        "--backfill-events",
        type=int,
        help="events of history backfilled to one agency by the agencies service (1000000)",
    )
    parser.add_argument(
        "--backfill-limit",
        type=float,
        default=300.0,
        help="seconds the backfill may take before what reached the agency's "
        "queue by then is reported instead (300)",
    )
    parser.add_argument(
        "--rebuild-limit",
        type=float,
        default=300.0,
        help="seconds `pmi reports rebuild` may take before what its inbox holds by then is "
        "reported instead (300)",
    )
    parser.add_argument(
        "--only-backfill",
        action="store_true",
        help="only the kombu floor, the backfill and the reporting rebuild (the platform "
        "started, the other phases skipped)",
    )
    parser.add_argument(
        "--only-notifications",
        action="store_true",
        help="only the kombu floor and the notifications service's sending to a fake SMS "
        "provider (the platform not started)",
    )
    parser.add_argument(
        "--only-reads",
        action="store_true",
        help="only the floors and the HTTP reads and writes at each scale (the platform "
        "started, the other phases skipped)",
    )
    parser.add_argument(
        "--only-pipeline",
        action="store_true",
        help="only the floors and the event pipeline: --backlog registrations imported at once "
        "and applied by every subscriber",
    )
    parser.add_argument(
        "--notifications",
        type=int,
        help="SMS due in the notifications service's outbox, sent to the fake provider (2000)",
    )
    parser.add_argument(
        "--notifications-limit",
        type=float,
        default=300.0,
        help="seconds the sending may take before what was sent by then is reported (300)",
    )
    parser.add_argument(
        "--notify-send-seconds",
        type=float,
        help="the notifications service's NOTIFY_SEND_SECONDS (its default, 2, when not given)",
    )
    parser.add_argument(
        "--reads-over-rpc",
        action="store_true",
        help="the gateway asks registration over RPC for every read",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy the services")
    parser.add_argument("--skip-floors", action="store_true")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    quick = args.quick
    args.seconds = args.seconds or (3 if quick else 10)
    args.lifecycle_workers = args.lifecycle_workers or (8 if quick else 120)
    args.backlog = args.backlog or (300 if quick else 2000)
    args.scales = args.scales or ([5000, 50000] if quick else [10000, 1000000])
    args.import_rows = args.import_rows or (2000 if quick else 100000)
    args.backfill_events = args.backfill_events or (20000 if quick else 1000000)
    args.notifications = args.notifications or (300 if quick else 2000)
    return args


def floors(env: Environment, args, log_dir: Path) -> dict:
    progress("floor: raw kombu")
    results = {"kombu": kombu_floor.measure(env.amqp_uri, 2000 if args.quick else 5000)}
    if args.only_backfill or args.only_notifications:  # judged against this floor alone
        return results
    progress("floor: nameko EventDispatcher -> event_handler")
    results["nameko_events"] = nameko_floor.events(
        env.amqp_uri, 1000 if args.quick else 4000, log_dir
    )
    progress(f"floor: nameko @http -> RpcProxy -> @rpc, {CONNECTIONS} connections")
    results["nameko_http_rpc"] = nameko_floor.http_rpc(
        env.amqp_uri, CONNECTIONS, args.seconds, log_dir
    )
    return results


def reads(
    platform: Platform,
    scale: int,
    lifecycle_ids: list[str],
    args,
    salt: int,
    recording: bool,
    rpc_url: str | None,
) -> dict:
    engine = platform.engine("registration")
    samples = seed.sample_ids(engine, SAMPLE * READ_RUNS)
    # each run reads other workers, so the gateway's cache gives the second nothing of the first
    wide = [samples[n::READ_RUNS] for n in range(READ_RUNS)]
    hot = lifecycle_ids or samples[:100]
    token = platform.token("admin")
    figures = {}
    plans = {  # "wide": workers picked at random over the registry; "hot": the desks' workers
        "get_worker": [[f"/api/v1/workers/{i}" for i in ids] for ids in wide],
        "get_worker_hot": [[f"/api/v1/workers/{i}" for i in hot]] * READ_RUNS,
        "timeline": [[f"/api/v1/workers/{i}/timeline" for i in ids] for ids in wide],
        "list": [
            [f"/api/v1/workers?regency=Blitar&limit=50&cursor={encode_cursor((i,))}" for i in ids]
            for ids in wide
        ],
        "stats": [["/api/v1/stats"]] * READ_RUNS,
    }
    load.run(
        platform.base_url,
        token,
        paths=plans["get_worker_hot"][0],
        connections=CONNECTIONS,
        seconds=2,
    )  # warm-up
    for key, paths_of_runs in plans.items():
        progress(f"reads at {scale:,} workers: {key}")
        record = None
        if recording:
            record = profile.Recording(
                {k: v for k, v in platform.pids().items() if k in ("gateway", "registration")},
                args.seconds,
                platform.log_dir,
                f"{key}-{scale}",
            )
        runs = [
            load.run(
                platform.base_url, token, paths=paths, connections=CONNECTIONS, seconds=args.seconds
            ).as_dict()
            for paths in paths_of_runs
        ]
        figures[key] = {**max(runs, key=lambda run: run["rps"]), "runs": runs}
        if record:
            figures[key]["profile"] = record.summaries()
    if rpc_url:  # the candidate: the same reads asked over RPC, by a gateway of their own
        for key, base in (("get_worker", "get_worker_rpc"), ("list", "list_rpc")):
            progress(f"reads at {scale:,} workers: {key} over RPC")
            runs = [
                load.run(
                    rpc_url, token, paths=paths, connections=CONNECTIONS, seconds=args.seconds
                ).as_dict()
                for paths in plans[key]
            ]
            figures[base] = {**max(runs, key=lambda run: run["rps"]), "runs": runs}
    progress(f"writes at {scale:,} workers: POST /workers")
    figures["register"] = load.run(
        platform.base_url,
        platform.token("operator"),
        post=True,
        connections=CONNECTIONS,
        seconds=args.seconds,
        salt=salt,
    ).as_dict()
    progress(f"writes at {scale:,} workers: PATCH /workers/{{id}}")
    registered = seed.sample_ids(engine, SAMPLE, status="registered")
    figures["update"] = load.run(
        platform.base_url,
        platform.token("operator"),
        patch=True,
        paths=[f"/api/v1/workers/{i}" for i in registered],
        connections=CONNECTIONS,
        seconds=args.seconds,
    ).as_dict()
    return figures


def worker_count(platform: Platform) -> int:
    from sqlalchemy import text

    with platform.engine("registration").connect() as conn:
        return conn.execute(text("SELECT count(*) FROM workers")).scalar()


def backfill_phase(platform: Platform, args) -> dict:
    """Registration's history topped up to ``--backfill-events`` events of the backfilled types,
    then the agencies service started, the agency onboarded and the backfill timed."""
    now = dt.datetime.now(dt.UTC)
    since = now - dt.timedelta(days=backfill.HISTORY_DAYS)
    engine = platform.engine("registration")
    present = backfill.existing(engine, since)
    seeded = None
    if present < args.backfill_events:
        progress(
            f"backfill: seeding {args.backfill_events - present:,} events of history "
            f"(to {args.backfill_events:,})"
        )
        seeded = backfill.seed_history(engine, args.backfill_events - present, now)
    expected = backfill.existing(engine, since)
    progress("backfill: starting the agencies service")
    startup = round(platform.start_agencies(), 1)
    progress(f"backfill: {expected:,} events to one agency (at most {args.backfill_limit:g} s)")
    figures = backfill.measure(
        platform,
        expected,
        args.backfill_limit,
        since,
        profile_seconds=min(30, args.backfill_limit)
        if args.profile and profile.available()
        else None,
    )
    return {**figures, "seeded": seeded, "agencies_startup_seconds": startup}


def notifications_phase(servers, args, log_dir: Path) -> dict:
    """The notifications service alone, on a vhost and database of its own: SMS due in its
    outbox sent to a fake SMS provider on loopback."""
    progress(
        f"notifications: {args.notifications:,} SMS due in the outbox, to a fake SMS provider "
        f"(at most {args.notifications_limit:g} s)"
    )
    return notifications.measure(
        servers,
        log_dir,
        args.notifications,
        args.notifications_limit,
        args.notify_send_seconds,
    )


def pipeline_phase(platform: Platform, args, log_dir: Path) -> dict:
    progress(f"event pipeline: {args.backlog} registrations imported at once")
    record = None
    if args.profile and profile.available():
        record = profile.Recording(
            {k: v for k, v in platform.pids().items() if k != "gateway"},
            30,
            log_dir,
            "pipeline",
        )
    figures = lifecycle.backlog(platform, args.backlog)
    if record:
        figures["profile"] = record.summaries()
    return figures


def peak_memory(platform: Platform) -> dict:
    return {k: round(v, 1) if v else v for k, v in platform.peak_rss_mb().items()}


def platform_phase(env: Environment, args, log_dir: Path, results: dict) -> None:
    """Fills ``results`` as each phase ends, so an interrupted run keeps what it measured."""
    platform = Platform(env, log_dir, reads_over_rpc=args.reads_over_rpc)
    try:
        progress("platform: starting the services and the gateway")
        results["startup_seconds"] = round(platform.start(), 1)
        if args.only_backfill:
            results["backfill"] = backfill_phase(platform, args)
            progress("rebuild: the planning office's figures from every service's history")
            results["rebuild"] = rebuild.measure(platform, args.rebuild_limit)
            results["memory_mb"] = peak_memory(platform)
            return
        lifecycle_ids: list[str] = []
        if not (args.only_reads or args.only_pipeline):
            progress(
                f"lifecycle over HTTP: {args.lifecycle_workers} workers, "
                f"{args.concurrency} desk clients"
            )
            journeys = lifecycle.journeys(platform, args.lifecycle_workers, args.concurrency)
            lifecycle_ids = journeys.pop("worker_ids")
            results["lifecycle"] = journeys
        if not args.only_reads:
            results["pipeline"] = pipeline_phase(platform, args, log_dir)
        if args.only_pipeline:
            results["memory_mb"] = peak_memory(platform)
            return
        rpc_url = None if args.reads_over_rpc else platform.start_rpc_gateway()
        results["reads"], results["seed_seconds"] = {}, {}
        for number, scale in enumerate(args.scales, start=1):
            present = worker_count(platform)
            if present < scale:
                progress(f"seeding {scale - present:,} workers (to {scale:,})")
                results["seed_seconds"][str(scale)] = round(
                    seed.seed_workers(
                        platform.engine("registration"), present + 1, scale, platform.nik_digest_key
                    ),
                    1,
                )
            largest = number == len(args.scales)
            results["reads"][str(scale)] = reads(
                platform,
                worker_count(platform),
                lifecycle_ids,
                args,
                number,
                recording=args.profile and largest and profile.available(),
                rpc_url=rpc_url,
            )
        if args.only_reads:
            results["memory_mb"] = peak_memory(platform)
            return
        progress(f"bulk import: {args.import_rows:,} registry rows from a CSV file")
        results["bulk_import"] = bulk.import_rows(platform, args.import_rows, log_dir)
        results["backfill"] = backfill_phase(platform, args)
        progress("rebuild: the planning office's figures from every service's history")
        results["rebuild"] = rebuild.measure(platform, args.rebuild_limit)
        results["memory_mb"] = peak_memory(platform)
        results["workers_at_end"] = worker_count(platform)
        progress("measuring the databases")
        results["storage"] = storage.sizes(platform)
    finally:
        progress("stopping the platform")
        platform.stop()


DISTURBANCES = {  # what the platform's logs say when the broker or the database went away
    "broker": ("Connection to broker lost", "ECONNREFUSED"),
    "database": ("administrator command", "server closed the connection", "too many clients"),
}


def disturbances(log_dir: Path) -> dict[str, int]:
    """Lines of the run's logs that tell of a broker or database outage: a run with any was
    disturbed by something else on the machine, and its figures are not comparable."""
    counts = dict.fromkeys(DISTURBANCES, 0)
    for path in log_dir.glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            for kind, marks in DISTURBANCES.items():
                counts[kind] += any(mark in line for mark in marks)
    return counts


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly: the platform, vhost, databases
    logging.getLogger("amqp").setLevel(logging.ERROR)
    log_dir = Path(tempfile.mkdtemp(prefix="pmi-bench-"))
    started = time.monotonic()
    results: dict = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "arguments": {k: str(v) for k, v in vars(args).items()},
        "load_generator": load.generator(),
        "logs": str(log_dir),
    }
    if load.generator() != "wrk":
        progress("wrk is not installed (apt-get install wrk): using the Python load generator")
    try:
        measure(args, log_dir, results)
    except BaseException as exc:
        results["interrupted"] = f"{type(exc).__name__}: {exc}"[:500]
        results["disturbances"] = disturbances(log_dir)
        report.write(results, args.results, latest=False)
        progress(
            f"the run stopped ({results['interrupted'][:120]}); what it measured is in "
            f"{args.results}; logs: {log_dir}"
        )
        raise
    results["seconds"] = round(time.monotonic() - started, 1)
    results["disturbances"] = disturbances(log_dir)
    latest = report.write(results, args.results)
    print(report.table(results))
    print("\n".join(report.notes(results)))
    print(
        f"\n{results['seconds']:.0f} s; load average {results['machine']['load_average']} at "
        f"the start, {results['machine']['load_average_at_end']} at the end; "
        f"JSON: {latest}; logs: {log_dir}"
    )
    return 0


def measure(args, log_dir: Path, results: dict) -> None:
    with private_servers(durable=True) as servers, Environment(servers) as env:
        results["machine"] = report.machine(
            env.management.base, env.management.session, servers.database.port
        )
        connections = results["machine"].get("postgresql_connections")
        if connections and connections["max"] - connections["in_use"] < CONNECTIONS_NEEDED:
            progress(
                f"PostgreSQL has {connections['max'] - connections['in_use']} connections "
                f"free; the platform may open up to {CONNECTIONS_NEEDED}: expect errors"
            )
        if not args.skip_floors:
            results["floors"] = floors(env, args, log_dir)
        if not args.only_notifications:
            results["platform"] = {}
            platform_phase(env, args, log_dir, results["platform"])
        if not (args.only_reads or args.only_pipeline or args.only_backfill):
            results["notifications"] = notifications_phase(servers, args, log_dir)
    results["machine"]["load_average_at_end"] = os.getloadavg()


if __name__ == "__main__":
    sys.exit(main())
