"""The run's table: every figure, the floor it is judged against, the ratio, and the targets."""

from __future__ import annotations

import json
import os
import platform as host
import subprocess
from dataclasses import dataclass
from pathlib import Path

import requests

READS = (
    ("get_worker", f"GET /workers/{{id}}, {2000:,} random workers"),
    ("get_worker_rpc", f"GET /workers/{{id}}, {2000:,} random workers, over RPC (candidate)"),
    ("timeline", f"GET /workers/{{id}}/timeline, {2000:,} random workers"),
    ("list", "GET /workers?regency=Blitar&limit=50&cursor=(random)"),
    ("list_rpc", "GET /workers?regency=Blitar&limit=50&cursor=(random), over RPC (candidate)"),
    ("get_worker_hot", "GET /workers/{id}, the lifecycle run's workers (hot)"),
    ("stats", "GET /stats"),
    ("register", "POST /workers"),
    ("update", "PATCH /workers/{id} (a phone number), 2,000 registered workers"),
)
SCALED = ("get_worker", "timeline", "list", "stats")  # compared between the smallest and largest
MEMORY_LIMIT_MB = {"gateway": 120}  # every other process: SERVICE_MEMORY_LIMIT_MB
SERVICE_MEMORY_LIMIT_MB = 100
SCALE_LIMIT = 1.1
P99_LIMIT_MS = 50.0
# (ratio to the HTTP -> RPC floor at least, p99 below) per figure; None: no such target
READ_TARGETS = {
    "get_worker": (3.0, P99_LIMIT_MS),
    "get_worker_hot": (3.0, P99_LIMIT_MS),
    "timeline": (1.0, None),
    "list": (1.0, None),
    "register": (0.5, 250.0),
}


@dataclass
class Row:
    measure: str
    figure: str
    against: str = ""
    ratio: str = ""
    target: str = ""
    met: str = ""


def machine(
    management_base: str | None = None,
    session: requests.Session | None = None,
    postgresql_port: int = 5432,
) -> dict:
    info = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": host.release(),
        "python": host.python_version(),
        "load_average": os.getloadavg(),
    }
    try:
        answer = (
            subprocess.run(
                [
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(postgresql_port),
                    "-U",
                    "postgres",
                    "-AtF",
                    "|",
                    "-c",
                    "SELECT current_setting('server_version'), current_setting('max_connections'), "
                    "(SELECT count(*) FROM pg_stat_activity)",
                ],
                capture_output=True,
                text=True,
                timeout=10,
            )
            .stdout.strip()
            .split("|")
        )
        info["postgresql"] = answer[0].split()[0]
        info["postgresql_connections"] = {"max": int(answer[1]), "in_use": int(answer[2])}
    except (OSError, IndexError, ValueError):
        pass
    if management_base and session:
        try:
            overview = session.get(f"{management_base}/overview", timeout=10).json()
            info["rabbitmq"] = overview.get("rabbitmq_version")
            info["erlang"] = overview.get("erlang_version")
        except (requests.RequestException, ValueError):
            pass
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return host.processor()


def _n(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _met(ok: bool | None) -> str:
    return "" if ok is None else ("yes" if ok else "**NO**")


def rows(results: dict) -> list[Row]:
    floors, platform = results.get("floors", {}), results.get("platform", {})
    out: list[Row] = []
    kombu = floors.get("kombu")
    if kombu:
        out += [
            Row(
                "floor: kombu persistent publish, confirms per batch of 500",
                f"{_n(kombu['publish_per_second'])} msg/s",
            ),
            Row(
                "floor: kombu persistent publish, each confirmed",
                f"{_n(kombu['publish_confirmed_each_per_second'])} msg/s",
            ),
            Row(
                "floor: kombu consume + ack (prefetch 100)",
                f"{_n(kombu['consume_per_second'])} msg/s",
            ),
        ]
    events = floors.get("nameko_events")
    if events:
        out.append(
            Row(
                "floor: nameko EventDispatcher -> event_handler",
                f"{_n(events['per_second'])} events/s",
            )
        )
    http = floors.get("nameko_http_rpc")
    if http:
        out.append(
            Row(
                "floor: nameko @http -> RpcProxy -> @rpc, 16 connections",
                f"{_n(http['rps'])} req/s, p50 {_n(http['p50_ms'], 1)} ms, "
                f"p99 {_n(http['p99_ms'], 1)} ms",
            )
        )
    event_floor = events["per_second"] if events else None
    http_floor = http["rps"] if http else None

    life = platform.get("lifecycle")
    if life:
        out += [
            Row(
                f"lifecycle over HTTP: workers through the whole lifecycle "
                f"({life['workers']} workers, {life['concurrency']} desk clients)",
                f"{_n(life['workers_per_second'], 2)} workers/s"
                + (f", {life['failed_count']} did not finish" if life.get("failed_count") else ""),
            ),
            Row(
                f"lifecycle over HTTP: events published ({_n(life['events_per_worker'], 1)} "
                f"a worker)",
                f"{_n(life['events_published_per_second'])} events/s",
            ),
            Row(
                "lifecycle over HTTP: events applied by subscribers",
                f"{_n(life['events_applied_per_second'])} events/s",
                "nameko events",
                _ratio(life["events_applied_per_second"], event_floor),
            ),
        ]
    pipe = platform.get("pipeline")
    if pipe:
        ok = event_floor and pipe["events_applied_per_second"] >= event_floor
        relay = pipe.get("relay_events_per_second")
        out.append(
            Row(
                f"event pipeline: outbox relay publishing a backlog of "
                f"{pipe['events_published']:,} events",
                f"{_n(relay)} events/s",
                "kombu batch publish",
                _ratio(relay, kombu["publish_per_second"] if kombu else None),
            )
        )
        for service, figures in pipe.get("by_service", {}).items():
            out.append(
                Row(
                    f"event pipeline: {service} applying its {figures['applied']:,}",
                    f"{_n(figures['per_second'])} events/s",
                    "nameko events",
                    _ratio(figures["per_second"], event_floor),
                )
            )
        out.append(
            Row(
                f"event pipeline: lifecycle events applied, all subscribers "
                f"({pipe['registrations']:,} registrations imported at once)",
                f"{_n(pipe['events_applied_per_second'])} events/s",
                "nameko events",
                _ratio(pipe["events_applied_per_second"], event_floor),
                ">= 1x",
                _met(bool(ok) if event_floor else None),
            )
        )
    reads = platform.get("reads", {})
    scales = sorted(reads, key=int)
    for scale in scales:
        for key, label in READS:
            load = reads[scale].get(key)
            if not load:
                continue
            target, met = "", ""
            if key in READ_TARGETS:
                ratio, p99_limit = READ_TARGETS[key]
                ok = (
                    http_floor
                    and load["rps"] >= ratio * http_floor
                    and not load["not_2xx"]
                    and (p99_limit is None or load["p99_ms"] < p99_limit)
                )
                target = f">= {ratio:g}x" + (f", p99 < {p99_limit:g} ms" if p99_limit else "")
                met = _met(bool(ok) if http_floor else None)
            errors = f", {load['not_2xx']} not 2xx" if load["not_2xx"] else ""
            out.append(
                Row(
                    f"{label} at {int(scale):,} workers",
                    f"{_n(load['rps'])} req/s, p50 {_n(load['p50_ms'], 1)} ms, "
                    f"p99 {_n(load['p99_ms'], 1)} ms{errors}",
                    "nameko HTTP->RPC",
                    _ratio(load["rps"], http_floor),
                    target,
                    met,
                )
            )
    if len(scales) >= 2:
        small, large = reads[scales[0]], reads[scales[-1]]
        for key, label in READS:
            if key in SCALED and key in small and key in large:
                slower = small[key]["rps"] / large[key]["rps"] if large[key]["rps"] else None
                p99 = large[key]["p99_ms"] / small[key]["p99_ms"] if small[key]["p99_ms"] else None
                ok = (
                    slower is not None
                    and p99 is not None
                    and slower <= SCALE_LIMIT
                    and p99 <= SCALE_LIMIT
                )
                out.append(
                    Row(
                        f"scale: {label}, {int(scales[-1]):,} vs {int(scales[0]):,} workers",
                        f"throughput /{_n(slower, 2)}, p99 x{_n(p99, 2)}",
                        f"{int(scales[0]):,}",
                        f"{_n(max(slower or 0, p99 or 0), 2)}x",
                        f"<= {SCALE_LIMIT:g}x",
                        _met(ok),
                    )
                )
    bulk = platform.get("bulk_import")
    if bulk:
        problems = ", ".join(f"{bulk[k]:,} {k}" for k in ("skipped", "rejected") if bulk[k])
        out.append(
            Row(
                f"bulk import: {bulk['rows']:,} registry rows from a CSV file (`pmi import`, with "
                f"its progress bar)",
                f"{_n(bulk['rows_per_second'])} rows/s" + (f", {problems}" if problems else ""),
                "kombu batch publish",
                _ratio(bulk["rows_per_second"], kombu["publish_per_second"] if kombu else None),
            )
        )
    back = platform.get("backfill")
    if back:
        out.append(backfill_row(back, kombu["publish_per_second"] if kombu else None))
    elif platform:
        out.append(
            Row("backfill: history to one agency (agencies)", "not measured", "kombu batch publish")
        )
    sending = results.get("notifications")
    if sending:
        out.append(notifications_row(sending, kombu["publish_per_second"] if kombu else None))
    rebuilt = platform.get("rebuild")
    if rebuilt:
        out.append(rebuild_row(rebuilt, kombu["consume_per_second"] if kombu else None))
    elif platform:
        out.append(
            Row("rebuild: the reporting read model (reporting)", "not measured", "kombu consume")
        )
    for service, mb in platform.get("memory_mb", {}).items():
        if service not in MEMORY_LIMIT_MB and service.startswith("gateway"):
            out.append(Row(f"memory: peak RSS of the {service} (for comparison)", f"{_n(mb)} MB"))
            continue
        limit = MEMORY_LIMIT_MB.get(service, SERVICE_MEMORY_LIMIT_MB)
        out.append(
            Row(
                f"memory: peak RSS of {service}",
                f"{_n(mb)} MB",
                "",
                "",
                f"< {limit} MB",
                _met(mb is not None and mb < limit),
            )
        )
    return out


def backfill_row(back: dict, floor: float | None) -> Row:
    """The backfill's row: events in the agency's queue per second from the request, against
    the kombu floor; its target, that a sample of the queue holds only what the agreement
    grants."""
    arrived = back["in_queue"] + back["parked"]
    label = (
        f"backfill: {back['expected']:,} events of a year's history to one agency "
        f"(agencies, `pmi agency backfill`; from the request to the last in its queue)"
    )
    if not back["finished"]:
        label += (
            f"; NOT finished within the {back['limit_seconds']:g} s limit: the figure is "
            f"the {arrived:,} events in the queue by then"
        )
        if back.get("queued_not_delivered") is not None:
            label += (
                f" ({back['queued_not_delivered']:,} more queued in the agencies service,"
                " not yet delivered)"
            )
    parts = [f"{_n(back['events_per_second'])} events/s", f"{arrived:,} in {back['seconds']:g} s"]
    if back["parked"]:
        parts.append(f"{back['parked']:,} parked")
    if back.get("agencies_peak_rss_mb"):
        parts.append(f"agencies peak RSS {_n(back['agencies_peak_rss_mb'])} MB")
    if back.get("error"):
        parts.append(f"request failed: {back['error'][:80]}")
    sample = back.get("sample") or {}
    problems = sample.get("problems") or []
    parts.append(
        f"{sample.get('checked', 0)} sampled messages: "
        + (
            "only what the agreement grants"
            if sample.get("checked") and not problems
            else f"{len(problems)} problems"
        )
    )
    return Row(
        label,
        ", ".join(parts),
        "kombu batch publish",
        _ratio(back["events_per_second"], floor),
        "sample: nothing beyond the agreement",
        _met(bool(sample.get("checked")) and not problems),
    )


def notifications_row(sending: dict, floor: float | None) -> Row:
    """The notifications service's sending: SMS due in its outbox recorded sent per second to a
    fake SMS provider on loopback, against the kombu floor."""
    pace = sending.get("send_seconds")
    label = (
        f"notifications: {sending['messages']:,} SMS due in the outbox sent to a fake SMS "
        f"provider on loopback (NOTIFY_SEND_SECONDS {pace if pace is not None else 'default'})"
    )
    if not sending["finished"]:
        label += f"; NOT finished within {sending['limit_seconds']:g} s: {sending['sent']:,} sent"
    return Row(
        label,
        f"{_n(sending['per_second'])} SMS/s, {sending['sent']:,} in {sending['seconds']:g} s",
        "kombu batch publish",
        _ratio(sending["per_second"], floor),
    )


def rebuild_row(rebuilt: dict, floor: float | None) -> Row:
    """The rebuild's row: events applied per second by `pmi reports rebuild`, from its start to
    its end, against the kombu floor of consuming (each page is read over RPC and applied)."""
    label = (
        f"rebuild: the reporting read model from every service's history "
        f"(`pmi reports rebuild`; {rebuilt['events']:,} events, {rebuilt['facts']:,} facts)"
    )
    if not rebuilt["finished"]:
        label += (
            f"; NOT finished within the {rebuilt['limit_seconds']:g} s limit: the figure is "
            f"the {rebuilt['events']:,} events applied by then"
        )
    return Row(
        label,
        f"{_n(rebuilt['events_per_second'])} events/s, {rebuilt['events']:,} in "
        f"{rebuilt['seconds']:g} s",
        "kombu consume",
        _ratio(rebuilt["events_per_second"], floor),
    )


def _ratio(value: float | None, floor: float | None) -> str:
    if not value or not floor:
        return ""
    ratio = value / floor
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.2g}x"


def notes(results: dict) -> list[str]:
    """What the machine was doing meanwhile: the context a figure needs on a shared machine."""
    lines = []
    disturbed = {k: n for k, n in results.get("disturbances", {}).items() if n}
    if disturbed:
        lines.append(
            "DISTURBED: the logs tell of outages during the run ("
            + ", ".join(f"{k}: {n} lines" for k, n in disturbed.items())
            + "); its figures are not comparable: run it again on a quiet machine"
        )
    platform = results.get("platform", {})
    for phase in ("lifecycle", "pipeline", "backfill", "rebuild"):
        cpu = platform.get(phase, {}).get("cpu")
        if cpu:
            parts = ", ".join(f"{k} {v:g}%" for k, v in cpu["cpu_percent_of_one_core"].items())
            lines.append(
                f"{phase}: machine CPU {cpu['machine_busy_percent']:g}% busy; "
                f"% of one core: {parts}"
            )
    return lines


def table(results: dict) -> str:
    header = Row("measure", "figure", "floor", "ratio", "target", "met")
    body = rows(results)
    lines = ["| " + " | ".join(vars(header).values()) + " |", "|" + "|".join(["---"] * 6) + "|"]
    lines += ["| " + " | ".join(vars(row).values()) + " |" for row in body]
    return "\n".join(lines)


def write(results: dict, directory: Path, latest: bool = True) -> Path:
    """The run's JSON, stamped; and, for a run that finished, ``latest.json`` and ``latest.md``."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = results["started_at"].replace(":", "").replace("-", "")[:15]
    text = json.dumps(results, indent=2, default=str)
    stamped = directory / f"{stamp}.json"
    stamped.write_text(text)
    if not latest:
        return stamped
    (directory / "latest.json").write_text(text)
    (directory / "latest.md").write_text(table(results) + "\n")
    return directory / "latest.json"
