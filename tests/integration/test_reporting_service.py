"""The reporting service on the real broker and PostgreSQL: two years of a few hundred workers'
lifecycle, published as events in an order that is not the order they happened in (some
workers registered before ``worker_registered`` version 2, without a birth year or a village),
give monthly figures that match a direct count of the seeded facts, by age band and village
too; emptied and rebuilt from the services' history (their outboxes, answered by each service's
own ``history``), the read model is the same, row for row; the spreadsheet opens with openpyxl
and the open data holds no cell under 5 and no village."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import random
import uuid
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from kombu import Connection, Exchange
from nameko.standalone.rpc import ClusterRpcProxy
from openpyxl import load_workbook
from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.orm import Session

from pmi_common import contract as c
from pmi_common.operations import ServiceOperations
from pmi_common.store import Database
from pmi_common.topology import dead_letter_queue, declare_topology, queues_for, retry_queue
from services.documents.models import metadata as documents_metadata
from services.letters.models import metadata as letters_metadata
from services.notifications.models import metadata as notifications_metadata
from services.orientation.models import metadata as orientation_metadata
from services.protection.models import metadata as protection_metadata
from services.registration.models import metadata as registration_metadata
from services.reintegration.models import metadata as reintegration_metadata
from services.reporting import domain as d
from services.reporting import handlers
from services.reporting.models import messaging
from services.reporting.rebuild import PAGE, History, history_over_rpc, rebuild, store_over
from services.reporting.repository import ReportingRepository
from services.reporting.service import ReportingService
from tests.events import envelope
from tests.helpers import database_activity, inbox_state, queue_depth, wait_for_count

WIB = ZoneInfo("Asia/Jakarta")
WORKERS = 300
# the district registers a few thousand workers a year (4,446 in 2022)
THOUSANDS = 3_000
DISTRICTS = ("35.05.01", "35.05.12", "35.05.13", "35.05.20")
COUNTRIES = ("HK", "TW", "MY", "SG", "SA")
OCCUPATIONS = {
    "Domestic worker": "informal",
    "caregiver": "informal",
    "factory operator": "formal",
    "construction worker": "formal",
}
COMPANIES = ("PT Maju Jaya", "PT Sejahtera", "PT Karya Abadi")
VILLAGES = ("2001", "2002", "2003")  # of each district: 35.05.12.2001
# the planning office's age bands, counted here by hand: the first age of each band
BANDS = ((45, "45+"), (40, "40-44"), (35, "35-39"), (30, "30-34"), (25, "25-29"), (20, "20-24"))
REASONS = ("contract_ended", "terminated", "deported", "sick", "other")
LETTER_TYPES = ("family_permission", "passport_recommendation", "skck_recommendation")
INCOME_BANDS = ("none", "under_1m", "1m_to_3m", "3m_to_5m", "over_5m")
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
METADATA = {
    c.REGISTRATION: registration_metadata,
    c.DOCUMENTS: documents_metadata,
    c.ORIENTATION: orientation_metadata,
    c.REINTEGRATION: reintegration_metadata,
    c.PROTECTION: protection_metadata,
    c.LETTERS: letters_metadata,
}
# every source the rebuild asks for its history: the seeded ones, and the notifications service,
# whose messages sent the seed has none of
SOURCES = {**METADATA, c.NOTIFICATIONS: notifications_metadata}


def history_service(source: str):
    """A stand-in for ``source`` that answers only what every service answers: its history,
    from its own outbox (the real ``history``), relay off."""
    return type(
        f"{source.title()}History",
        (ServiceOperations,),
        {"name": source, "db": Database(SOURCES[source], relay=False)},
    )


def month(moment: dt.datetime) -> str:
    return moment.astimezone(WIB).strftime("%Y-%m")


class Seed:
    """The seeded history: the envelopes by source, and the facts they count, counted here
    straight from what was seeded (no code of the service's)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.envelopes: list[dict] = []
        self.expected: Counter[tuple] = Counter()
        self.sequences: Counter[str] = Counter()
        self.bands: dict[tuple, set[str]] = {}  # each worker's bands over their facts

    def add(self, event_type, worker_id, data, at, stream=None, version=None) -> None:
        stream = stream or worker_id
        self.sequences[stream] += 1
        self.envelopes.append(
            envelope(
                event_type,
                worker_id,
                data,
                self.sequences[stream],
                version,
                occurred_at=at.isoformat(),
            )
        )

    def count(self, at, measure, worker, detail="", country=None) -> None:
        sex, born, district, village, home, sector, company = worker or (None,) * 7
        age_band = band(int(month(at)[:4]) - born) if born else None  # the age in the fact's year
        if age_band:
            self.bands.setdefault(worker, set()).add(age_band)
        self.expected[
            (
                month(at),
                measure,
                detail,
                sex,
                age_band,
                district,
                village,
                country or home,
                sector,
                company,
            )
        ] += 1


def band(age: int) -> str:
    return next((name for first, name in BANDS if age >= first), "<20")


def seeded(rng: random.Random, workers: int = WORKERS) -> Seed:
    seed = Seed(rng)
    for n in range(10):
        at = START + dt.timedelta(days=70 * n, hours=rng.randrange(24))
        session = str(uuid.uuid4())
        seed.add(
            c.SESSION_SCHEDULED,
            None,
            {
                "session_id": session,
                "starts_at": at,
                "location": "Aula",
                "capacity": 30,
                "topics": ["kontrak"],
            },
            at,
            session,
        )
        seed.count(at, d.ORIENTATION_SESSIONS, None)
    programmes = []
    for year in (2025, 2026):
        pid, at = str(uuid.uuid4()), dt.datetime(year, 2, 1, 3, tzinfo=dt.UTC)
        programmes.append(pid)
        seed.add(
            c.PROGRAM_CREATED,
            None,
            {
                "program_id": pid,
                "name": f"PAK CAMAT {year}",
                "audience": "both",
                "capacity": 100,
                "starts_on": dt.date(year, 3, 1),
                "rounds": [{"name": "BMC", "advance": 75}],
            },
            at,
            pid,
        )
    for n in range(workers):
        _worker(seed, n, programmes)
    rng.shuffle(seed.envelopes)  # heard in another order than they happened
    return seed


def _worker(seed: Seed, n: int, programmes: list[str]) -> None:
    rng = seed.rng
    wid = str(uuid.uuid4())
    district, country = rng.choice(DISTRICTS), rng.choice(COUNTRIES)
    occupation, company, sex = (
        rng.choice(list(OCCUPATIONS)),
        rng.choice(COMPANIES),
        rng.choice("FFM"),
    )
    # a third registered before version 2 (no birth year, no village); of the rest a few name
    # no village; born 1970 to 2006, so that some cross into another band while on record
    version = 1 if rng.random() < 0.35 else 2
    born = rng.randrange(1970, 2007) if version == 2 else None
    village = None
    if version == 2 and rng.random() < 0.9:
        village = f"{district}.{rng.choice(VILLAGES)}"
    worker = (sex, born, district, village, country, OCCUPATIONS[occupation], company)
    # some at 17:30 UTC on a month's last day: already the next month in Blitar
    at = START + dt.timedelta(days=rng.randrange(700), hours=rng.choice((3, 10, 17.5)))
    registered = {
        "nik_masked": district.replace(".", "") + "******" + f"{n + 1:04d}",
        "nik_digest": "d" * 64,
        "full_name": f"Pekerja {n}",
        "sex": sex,
        "regency": "Blitar",
        "destination_country": country,
        "occupation": occupation,
        "placement_agency": company,
        "cycle": 1,
    }
    if version == 2:
        registered.update(birth_year=born, village_code=village)
    seed.add(c.WORKER_REGISTERED, wid, registered, at, version=version)
    seed.count(at, d.REGISTRATIONS, worker)

    def later(days: int) -> dt.datetime:
        return at + dt.timedelta(days=days, minutes=rng.randrange(600))

    doc = {"document_id": str(uuid.uuid4()), "checklist_complete": False}
    if rng.random() < 0.3:
        kind, reason = (
            rng.choice(("passport", "health_certificate")),
            rng.choice(("blur", "expired")),
        )
        when = later(3)
        seed.add(c.DOCUMENT_REJECTED, wid, {**doc, "document_type": kind, "reason": reason}, when)
        seed.count(when, d.DOCUMENTS_REJECTED, worker, f"{kind}:{reason}")
    when = later(5)
    seed.add(
        c.DOCUMENT_VERIFIED, wid, {**doc, "document_type": "passport", "expires_on": None}, when
    )
    seed.count(when, d.DOCUMENTS_VERIFIED, worker, "passport")
    for letter_type in LETTER_TYPES:
        if rng.random() < 0.5:
            when = later(rng.randrange(1, 12))
            seed.add(
                c.LETTER_ISSUED,
                wid,
                {
                    "letter_id": str(uuid.uuid4()),
                    "letter_type": letter_type,
                    "number": f"{n}/{letter_type}",
                    "issued_on": when.date(),
                },
                when,
            )
            seed.count(when, d.LETTERS_ISSUED, worker, letter_type)
    if rng.random() < 0.1:
        when = later(8)
        _status(seed, wid, "withdrawn", when)
        seed.count(when, d.WITHDRAWALS, worker)
        return
    if rng.random() < 0.7:
        session, when = str(uuid.uuid4()), later(20)
        seed.add(
            c.ORIENTATION_COMPLETED,
            wid,
            {"session_id": session, "certificate_number": f"OPP-{n}", "completed_at": when},
            when,
        )
        seed.count(when, d.ORIENTATION_CERTIFICATES, worker)
        when = later(25)
        _status(seed, wid, "cleared_for_departure", when)
        seed.count(when, d.CLEARANCES, worker)
        when, abroad = later(30), rng.choice(COUNTRIES)
        seed.add(
            c.WORKER_DEPARTED,
            wid,
            {
                "departed_on": when.date(),
                "destination_country": abroad,
                "employer": "Employer",
                "cycle": 1,
            },
            when,
        )
        seed.count(when, d.DEPARTURES, worker, country=abroad)
        if rng.random() < 0.5:
            when, reason = later(rng.randrange(60, 500)), rng.choice(REASONS)
            seed.add(
                c.WORKER_RETURNED,
                wid,
                {"returned_on": when.date(), "reason": reason, "cycle": 1},
                when,
            )
            seed.count(when, d.RETURNS, worker, reason)
            if rng.random() < 0.4:
                _programme(seed, wid, worker, rng.choice(programmes), when)
        if rng.random() < 0.15:
            _case(seed, wid, worker, abroad, later(90))
    elif rng.random() < 0.3:
        _programme(seed, wid, worker, rng.choice(programmes), later(40))


def _status(seed, wid, to_status, when) -> None:
    seed.add(
        c.WORKER_STATUS_CHANGED,
        wid,
        {
            "from_status": "registered",
            "to_status": to_status,
            "stage": "pre_departure",
            "reason": "seed",
            "cycle": 1,
        },
        when,
    )


def _programme(seed, wid, worker, pid, at) -> None:
    rng = seed.rng
    kind = {"program_id": pid, "participant_kind": "returnee"}
    seed.add(c.REINTEGRATION_ENROLLED, wid, kind, at)
    seed.count(at, d.PROGRAMME_ENROLMENTS, worker, pid)
    if rng.random() < 0.75:
        when = at + dt.timedelta(days=30)
        seed.add(
            c.REINTEGRATION_ROUND_RECORDED,
            wid,
            {**kind, "round": 1, "advanced": True, "score": None},
            when,
        )
        seed.count(when, d.PROGRAMME_ADVANCES, worker, f"{pid}:1")
        when = at + dt.timedelta(days=60)
        business, awarded = rng.random() < 0.6, rng.random() < 0.1
        seed.add(
            c.REINTEGRATION_COMPLETED,
            wid,
            {
                **kind,
                "business_started": business,
                "business_name": "Warung" if business else None,
                "sector": None,
                "regency": "Blitar",
                "awarded": awarded,
            },
            when,
        )
        seed.count(when, d.PROGRAMME_COMPLETIONS, worker, pid)
        if business:
            seed.count(when, d.BUSINESSES_STARTED, worker, pid)
            _follow_ups(seed, wid, worker, kind, when)
        if awarded:
            seed.count(when, d.PROGRAMME_AWARDS, worker, pid)


def _follow_ups(seed, wid, worker, kind, completed) -> None:
    rng = seed.rng
    for months in (6, 12):
        if rng.random() < 0.3:
            return
        when = completed + dt.timedelta(days=31 * months)
        running, migrated, band = rng.random() < 0.7, rng.random() < 0.2, rng.choice(INCOME_BANDS)
        seed.add(
            c.REINTEGRATION_FOLLOWED_UP,
            wid,
            {
                **kind,
                "months": months,
                "business_running": running,
                "income_band": band,
                "migrated_again": migrated,
            },
            when,
        )
        at = f"{kind['program_id']}:{months}"
        seed.count(when, d.FOLLOW_UPS, worker, at)
        if running:
            seed.count(when, d.FOLLOW_UPS_RUNNING, worker, at)
        if migrated:
            seed.count(when, d.FOLLOW_UPS_MIGRATED_AGAIN, worker, at)
        seed.count(when, d.FOLLOW_UPS_INCOME, worker, f"{at}:{band}")


def _case(seed, wid, worker, abroad, at) -> None:
    rng = seed.rng
    aspect, kind = rng.choice((("economic", "unpaid_wages"), ("health", "illness_injury")))
    case = {
        "case_id": str(uuid.uuid4()),
        "case_type": kind,
        "urgency": "normal",
        "sensitive": False,
    }
    seed.add(
        c.CASE_OPENED,
        wid,
        {
            **case,
            "case_number": "PGD-2026-7K3M9Q2B",
            "registered": True,
            "destination_country": abroad,
            "reporter_kind": "family_member",
            "channel": "desk",
            "aspect": aspect,
            "status": "received",
            "acknowledge_by": at,
            "act_by": at,
        },
        at,
    )
    seed.count(at, d.CASES_OPENED, worker, f"{aspect}:{kind}", abroad)
    if rng.random() < 0.7:
        when = at + dt.timedelta(days=15)
        seed.add(
            c.CASE_RESOLVED,
            wid,
            {
                **case,
                "aspect": aspect,
                "destination_country": abroad,
                "received_at": at,
                "resolved_at": when,
                "acknowledged_in_time": True,
                "acted_in_time": True,
            },
            when,
        )
        seed.count(when, d.CASES_RESOLVED, worker, f"{aspect}:{kind}", abroad)
        seed.add(
            c.CASE_OUTCOME_RECORDED,
            wid,
            {
                **case,
                "outcome": "legal_aid",
                "amount": None,
                "currency": None,
                "returned_on": None,
                "died_on": None,
                "died_in": None,
                "death_cause": None,
                "remains_arrive_on": None,
            },
            when,
        )
        seed.count(when, d.CASE_OUTCOMES, worker, "legal_aid")


def kept_in_outboxes(seed: Seed, database_urls) -> None:
    """Each envelope in its source's outbox, as published (what ``history`` pages)."""
    for source, metadata in METADATA.items():
        rows = [
            {
                "event_id": e["event_id"],
                "event_type": e["event_type"],
                "event_version": e["event_version"],
                "worker_id": e["worker_id"],
                "stream_id": e["worker_id"]
                or e["data"].get("session_id")
                or e["data"]["program_id"],
                "sequence": e["sequence"],
                "occurred_at": dt.datetime.fromisoformat(e["occurred_at"]),
                "envelope": e,
                "published_at": dt.datetime.now(dt.UTC),
            }
            for e in seed.envelopes
            if e["source"] == source
        ]
        engine = create_engine(database_urls[source])
        with engine.begin() as conn:
            conn.execute(insert(metadata.tables["outbox"]), rows)
        engine.dispose()


def published(seed: Seed, amqp_uri: str) -> None:
    """Each envelope published as the services' relays publish: persistent, and confirmed by
    the broker before the next (a message the broker has not confirmed may never have been
    enqueued, and the count would wait for it for ever)."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        for body in seed.envelopes:
            producer.publish(
                json.dumps(body),
                exchange=Exchange(c.exchange_name(body["source"]), type="topic", durable=True),
                routing_key=body["event_type"],
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                retry=True,
            )


def projected(figures) -> Counter:
    counted: Counter[tuple] = Counter()
    for f in figures:
        counted[
            (
                f.month,
                f.measure,
                f.detail,
                f.sex,
                f.age_band,
                f.district,
                f.village,
                f.country,
                f.sector,
                f.company,
            )
        ] += f.count
    return counted


@pytest.fixture
def reporting(container_factory, config_for):
    # the inbox and its bindings exist before anything is published, however long the service
    # takes to start consuming: an event published to an exchange with no queue bound is lost
    declare_topology(config_for("reporting")["AMQP_URI"])
    for source in SOURCES:
        container_factory(history_service(source), config_for(source)).start()
    container = container_factory(ReportingService, config_for("reporting"))
    container.start()
    return container


def test_two_years_of_history_give_the_seeded_counts_live_and_again_after_a_rebuild(
    reporting, config_for, database_urls
):
    seed = seeded(random.Random(32))
    kept_in_outboxes(seed, database_urls)
    config = config_for("reporting")
    published(seed, config["AMQP_URI"])
    engine = create_engine(database_urls["reporting"])

    def applied() -> int:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(messaging.inbox)).scalar_one()

    def where_the_rest_are() -> str:
        uri = config["AMQP_URI"]
        queues = ", ".join(
            f"{name}: {queue_depth(uri, name)}"
            for name in (
                queues_for(c.REPORTING)[0].name,
                retry_queue(c.REPORTING),
                dead_letter_queue(c.REPORTING),
            )
        )
        with engine.connect() as conn:
            applied_ids = set(conn.execute(select(messaging.inbox.c.event_id)).scalars())
        missing = [n for n, e in enumerate(seed.envelopes) if e["event_id"] not in applied_ids]
        return (
            f"{queues}; {inbox_state(reporting)}; {database_activity(engine)}; "
            f"missing (in publishing order of {len(seed.envelopes)}): {missing}"
        )

    wait_for_count(
        applied,
        len(seed.envelopes),
        message="events applied live",
        diagnose=where_the_rest_are,
    )

    def read_model():
        with Session(engine) as session:
            repository = ReportingRepository(session)
            return repository.snapshot(), repository.figures("2000-01", "2099-12")

    live, live_figures = read_model()
    assert projected(live_figures) == seed.expected
    # both versions heard: figures with an age band and a village, and without (version 1)
    assert {f.age_band for f in live_figures} >= {None, "<20", "20-24", "45+"}
    assert None in {f.village for f in live_figures} and len({f.village for f in live_figures}) > 3
    # some workers crossed into the next band while on record: their later facts in the new one
    assert any(len(bands) > 1 for bands in seed.bands.values())
    # a worker's figures carry no name and no NIK
    assert not any("Pekerja" in str(row) for row in live["worker_profiles"])

    with ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, timeout=30) as cluster:
        read = rebuild(store_over(engine), history_over_rpc(cluster))
        rebuilt, rebuilt_figures = read_model()
        assert sum(read.values()) == len(seed.envelopes)
        assert rebuilt == live
        assert rebuilt_figures == live_figures

        answer = cluster.reporting.monthly({"from": "2025-01", "to": "2026-12"})
        assert answer["figures"] and answer["innovations"] and len(answer["programmes"]) == 2
        go_tki = sum(
            i["figures"][d.LETTERS_ISSUED]
            for i in answer["innovations"]
            if i["innovation"] == "go_tki"
        )
        assert go_tki == sum(
            n
            for key, n in seed.expected.items()
            if key[1] == d.LETTERS_ISSUED and key[0] <= "2026-12"
        )
        assert go_tki > 0
        follow_ups = sum(sum(f["recorded"] for f in p["follow_ups"]) for p in answer["programmes"])
        assert follow_ups == sum(
            n for key, n in seed.expected.items() if key[1] == d.FOLLOW_UPS and key[0] <= "2026-12"
        )

        xlsx = cluster.reporting.download({"from": "2025-01", "to": "2026-12"}, "xlsx")
        book = load_workbook(io.BytesIO(base64.b64decode(xlsx["content_base64"])))
        assert book.sheetnames[:3] == ["figures", "innovations", "pak_camat"]
        rows = list(book["figures"].iter_rows(min_row=2, values_only=True))
        in_period = [f for f in live_figures if "2025-01" <= f.month <= "2026-12"]
        assert sum(row[-1] for row in rows) == sum(f.count for f in in_period)

        opened = cluster.reporting.download({}, "open-data")
        text = base64.b64decode(opened["content_base64"]).decode()
        counts = [line.split(",")[5] for line in text.splitlines()[1:]]
        assert counts and all(not count or int(count) >= 5 for count in counts)
        assert "Pekerja" not in text and "PT " not in text
        assert not any(f"35.05.{n}." in text for n in ("01", "12", "13", "20"))  # no village
    engine.dispose()


def history_of(seed: Seed) -> History:
    """Each source's history answered from the seeded envelopes as ``history`` pages its outbox
    (ids from 1, in the order published; ``after`` the page's last id, None once none is left):
    a rebuild's input without the broker."""
    by_source: dict[str, list[tuple[int, dict]]] = {}
    for envelope_ in seed.envelopes:
        kept = by_source.setdefault(envelope_["source"], [])
        kept.append((len(kept) + 1, envelope_))

    def page(source: str, types: list[str], after: int) -> dict:
        rows = [(n, e) for n, e in by_source.get(source, [])[after:] if e["event_type"] in types][
            :PAGE
        ]
        return {"events": [e for _, e in rows], "after": rows[-1][0] if rows else None}

    return page


def test_several_thousand_workers_over_two_years_rebuilt_give_the_seeded_counts(database_urls):
    """The issue's scale: a few thousand workers' two years, applied as a rebuild applies them
    (``rebuild``: each page through the inbox and ``apply_all``) into the real PostgreSQL read
    model, give monthly figures equal to the direct count of what was seeded."""
    seed = seeded(random.Random(3232), workers=THOUSANDS)
    engine = create_engine(database_urls["reporting"])
    read = rebuild(store_over(engine), history_of(seed))
    assert sum(read.values()) == len(seed.envelopes) > 6 * THOUSANDS

    with Session(engine) as session:
        repository = ReportingRepository(session)
        figures = repository.figures("2000-01", "2099-12")
        answer = handlers.monthly(repository, {})
    engine.dispose()
    assert projected(figures) == seed.expected
    registered = Counter()
    for key, n in seed.expected.items():
        if key[1] == d.REGISTRATIONS:
            registered[key[0]] += n
    assert sum(registered.values()) == THOUSANDS and len(registered) >= 23  # two years' months
    # the figures per innovation the planning office reports, month by month
    ltsa = {
        i["month"]: i["figures"][d.REGISTRATIONS]
        for i in answer["innovations"]
        if i["innovation"] == d.LTSA and i["figures"][d.REGISTRATIONS]
    }
    assert ltsa == registered
