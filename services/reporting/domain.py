"""The planning office's figures, as plain Python: what each lifecycle event counts for, in which
month, and along which dimensions.

An event becomes at most one ``Fact``: a measure (``registrations``, ``departures``...), a detail
that breaks it down (the return's reason, the rejected document's type and reason, the case's
aspect and type...), the month it happened in (``occurred_at`` in the district's time, WIB: an
event that arrives late still lands in its own month) and the dimensions the event itself
carries (the destination country, a programme). The worker's own dimensions (sex, age band,
district, village, sector, placement company) are what the worker's registration said, kept once
per worker as a ``WorkerProfile`` and joined when the figures are read: so the order in which
events from different services arrive changes nothing, and a rebuild from history gives the same
figures.

No name, no NIK and no birth date is kept: the district is the region code of the masked NIK's
first six digits (``35.05.12``, where the worker was first registered), the sex is the
registration's; from ``worker_registered`` version 2 the birth year and the village's code
(kode wilayah) too. The age band is the fact's, not the registration's: the age the worker
reaches in the year of the fact's month (``age_band_in``), so a departure two years after the
registration is counted in the band the worker is in then. Version 1, still in the history,
carries neither: its workers' figures have no age band and no village.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pmi_common import names as n
from pmi_common.identity import mask_niks_in_text
from pmi_common.names import FOLLOW_UP_MONTHS, INCOME_BANDS
from pmi_common.sectors import sector_of
from pmi_common.workdays import working_hours_between

DISTRICT_TIMEZONE = "Asia/Jakarta"  # WIB: the district's months
# a rejection's reason is the verifier's text: counted by its first words, any NIK in it masked
REASON_LONGEST = 120

# measures -------------------------------------------------------------------------------------
REGISTRATIONS = "registrations"
CLEARANCES = "clearances"  # cleared for departure
WITHDRAWALS = "withdrawals"
DEPARTURES = "departures"
RETURNS = "returns"  # detail: the reason
DEATHS = "deaths"  # detail: the cause category
DOCUMENTS_VERIFIED = "documents_verified"  # detail: the document type
DOCUMENTS_REJECTED = "documents_rejected"  # detail: type:reason
ORIENTATION_SESSIONS = "orientation_sessions"
ORIENTATION_ENROLMENTS = "orientation_enrolments"
ORIENTATION_CERTIFICATES = "orientation_certificates"  # attended, certificate given
PROGRAMME_ENROLMENTS = "programme_enrolments"  # detail: the programme
PROGRAMME_ADVANCES = "programme_advances"  # detail: programme:round (advanced only)
PROGRAMME_COMPLETIONS = "programme_completions"  # detail: the programme
BUSINESSES_STARTED = "businesses_started"  # detail: the programme
PROGRAMME_AWARDS = "programme_awards"  # detail: the programme
# the follow-ups of a business started, 6 and 12 months after the completion
FOLLOW_UPS = "follow_ups"  # detail: programme:months
FOLLOW_UPS_RUNNING = "follow_ups_running"  # detail: programme:months (the business runs)
FOLLOW_UPS_MIGRATED_AGAIN = "follow_ups_migrated_again"  # detail: programme:months
FOLLOW_UPS_INCOME = "follow_ups_income"  # detail: programme:months:income band
LETTERS_ISSUED = "letters_issued"  # detail: the letter's type (Go-TKI)
CASES_OPENED = "cases_opened"  # detail: aspect:type
CASES_RESOLVED = "cases_resolved"  # detail: aspect:type
CASE_OUTCOMES = "case_outcomes"  # detail: the outcome
# the messages the notifications service sent, and what they cost the office
NOTIFICATIONS_SENT = "notifications_sent"  # detail: kind:channel
NOTIFICATION_SEGMENTS = "notification_segments"  # detail: kind:channel; SMS segments summed
NOTIFICATION_COST = "notification_cost_rupiah"  # detail: kind:channel; whole rupiah summed
# measures that sum a quantity rather than count events (no open data: not people)
SUMMED = (NOTIFICATION_SEGMENTS, NOTIFICATION_COST)

MEASURES = (
    REGISTRATIONS,
    CLEARANCES,
    WITHDRAWALS,
    DEPARTURES,
    RETURNS,
    DEATHS,
    DOCUMENTS_VERIFIED,
    DOCUMENTS_REJECTED,
    ORIENTATION_SESSIONS,
    ORIENTATION_ENROLMENTS,
    ORIENTATION_CERTIFICATES,
    PROGRAMME_ENROLMENTS,
    PROGRAMME_ADVANCES,
    PROGRAMME_COMPLETIONS,
    BUSINESSES_STARTED,
    PROGRAMME_AWARDS,
    FOLLOW_UPS,
    FOLLOW_UPS_RUNNING,
    FOLLOW_UPS_MIGRATED_AGAIN,
    FOLLOW_UPS_INCOME,
    LETTERS_ISSUED,
    CASES_OPENED,
    CASES_RESOLVED,
    CASE_OUTCOMES,
    NOTIFICATIONS_SENT,
    NOTIFICATION_SEGMENTS,
    NOTIFICATION_COST,
)

# what each of the district's innovations served, per month: the measures it is counted by
LTSA, OPP, PAK_CAMAT, GO_TKI = "ltsa", "opp", "pak_camat", "go_tki"
INNOVATIONS: Mapping[str, tuple[str, ...]] = {
    # the one-roof service centre: registrations and the documents its desks decided
    LTSA: (REGISTRATIONS, DOCUMENTS_VERIFIED, DOCUMENTS_REJECTED),
    # the pre-departure orientation: certificates given
    OPP: (ORIENTATION_CERTIFICATES,),
    # the entrepreneurship programme: enrolments and completions
    PAK_CAMAT: (PROGRAMME_ENROLMENTS, PROGRAMME_COMPLETIONS),
    # the online letters: family permissions and the office's recommendations issued
    GO_TKI: (LETTERS_ISSUED,),
}

# the dimensions a figure is broken down by, in the order of the exports' columns
DIMENSIONS = ("sex", "age_band", "district", "village", "country", "sector", "company")

# the planning office's age bands: each band's label and the age it stops below; then the oldest
AGE_BANDS: tuple[tuple[str, int], ...] = (
    ("<20", 20),
    ("20-24", 25),
    ("25-29", 30),
    ("30-34", 35),
    ("35-39", 40),
    ("40-44", 45),
)
OLDEST_BAND = "45+"


def month_of(moment: dt.datetime, zone: str = DISTRICT_TIMEZONE) -> str:
    """``YYYY-MM`` of the district's calendar in which ``moment`` (aware) falls."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m")


def district_of(nik_masked: str) -> str | None:
    """The district (kecamatan) code of a masked NIK, dotted: ``35.05.12``; None if not a NIK."""
    head = (nik_masked or "")[:6]
    if len(head) != 6 or not head.isdigit():
        return None
    return f"{head[:2]}.{head[2:4]}.{head[4:]}"


def age_band(age: int) -> str:
    """The planning office's band of an age in years."""
    return next((band for band, below in AGE_BANDS if age < below), OLDEST_BAND)


def age_band_in(month: str, birth_year: int | None) -> str | None:
    """The band of a worker born in ``birth_year`` in ``month`` (``YYYY-MM``): of the age reached
    in that month's year (the birth year is all the events carry); None without a birth year."""
    if birth_year is None:
        return None
    return age_band(int(month[:4]) - birth_year)


@dataclass
class WorkerProfile:
    """What a worker's (latest) registration said, for counting: no name, no NIK, no birth date."""

    worker_id: str
    cycle: int
    sex: str
    district: str | None
    country: str
    sector: str
    company: str
    birth_year: int | None = None  # not carried by worker_registered version 1
    village: str | None = None  # not carried by worker_registered version 1

    def replaced_by(self, newer: WorkerProfile) -> bool:
        """A registration of a later cycle replaces the profile; an older one heard late does
        not (so the order of arrival does not matter)."""
        return newer.cycle >= self.cycle


@dataclass(frozen=True)
class Programme:
    """A reintegration programme as created: its name and year, for the funnel."""

    program_id: str
    name: str
    year: int


@dataclass(frozen=True)
class Fact:
    """One event's contribution to the monthly figures."""

    event_id: str
    month: str
    measure: str
    detail: str
    worker_id: str | None
    country: str | None = None  # when the event itself names it (a departure, a case)
    quantity: int = 1  # what it adds to its figure: 1, or a message's segments or cost


@dataclass(frozen=True)
class CaseClock:
    """What is known of a protection case's clock: when it was received (and so its month) and
    by when it had to be acted on (``case_opened``), when it first was (the first
    ``case_status_changed`` to a first action). Events may come in any order: the clocks heard
    of one case are merged (``merged``)."""

    case_id: str
    month: str | None = None
    received_at: dt.datetime | None = None
    act_by: dt.datetime | None = None
    acted_at: dt.datetime | None = None

    def merged(self, other: CaseClock) -> CaseClock:
        """This clock with what ``other`` knows besides; the earlier first action stands."""
        acted = [t for t in (self.acted_at, other.acted_at) if t is not None]
        return CaseClock(
            self.case_id,
            self.month or other.month,
            self.received_at or other.received_at,
            self.act_by or other.act_by,
            min(acted) if acted else None,
        )


@dataclass(frozen=True)
class Reading:
    """What an event gives the read model: facts (one per measure), a worker's profile, a
    programme, a case's clock."""

    facts: tuple[Fact, ...] = ()
    profile: WorkerProfile | None = None
    programme: Programme | None = None
    case_clock: CaseClock | None = None


def profile_of(worker_id: str, data: Mapping) -> WorkerProfile:
    return WorkerProfile(
        worker_id=worker_id,
        cycle=int(data["cycle"]),
        sex=data["sex"],
        district=district_of(data["nik_masked"]),
        country=data["destination_country"],
        sector=sector_of(data["occupation"]),
        company=data["placement_agency"],
        # version 2 on: the birth year and the village code (None when the record names none)
        birth_year=data.get("birth_year"),
        village=data.get("village_code"),
    )


def reading_of(
    event_type: str,
    event_id: str,
    occurred_at: dt.datetime,
    worker_id: str | None,
    data: Mapping,
    zone: str = DISTRICT_TIMEZONE,
) -> Reading:
    """What one event counts for (an empty ``Reading`` when it counts for nothing)."""
    month = month_of(occurred_at, zone)

    def fact(measure: str, detail: str = "", country: str | None = None, quantity: int = 1) -> Fact:
        return Fact(event_id, month, measure, detail, worker_id, country, quantity)

    if event_type == n.WORKER_REGISTERED:
        profile = profile_of(worker_id, data) if worker_id else None
        return Reading((fact(REGISTRATIONS, country=data["destination_country"]),), profile)
    if event_type == n.WORKER_STATUS_CHANGED:
        to_status = data["to_status"]
        if to_status == "cleared_for_departure":
            return Reading((fact(CLEARANCES),))
        if to_status == "withdrawn":
            return Reading((fact(WITHDRAWALS),))
        return Reading()
    if event_type == n.WORKER_DEPARTED:
        return Reading((fact(DEPARTURES, country=data["destination_country"]),))
    if event_type == n.WORKER_RETURNED:
        return Reading((fact(RETURNS, data["reason"]),))
    if event_type == n.WORKER_DIED:
        return Reading((fact(DEATHS, data["cause"], country=data["country"]),))
    if event_type == n.DOCUMENT_VERIFIED:
        return Reading((fact(DOCUMENTS_VERIFIED, data["document_type"]),))
    if event_type == n.DOCUMENT_REJECTED:
        reason = mask_niks_in_text(" ".join(str(data["reason"]).split()))[:REASON_LONGEST]
        return Reading((fact(DOCUMENTS_REJECTED, f"{data['document_type']}:{reason}"),))
    if event_type == n.SESSION_SCHEDULED:
        return Reading((fact(ORIENTATION_SESSIONS),))
    if event_type == n.ORIENTATION_ENROLLED:
        return Reading((fact(ORIENTATION_ENROLMENTS),))
    if event_type == n.ORIENTATION_COMPLETED:
        return Reading((fact(ORIENTATION_CERTIFICATES),))
    if event_type == n.PROGRAM_CREATED:
        starts_on = data["starts_on"]
        year = starts_on.year if isinstance(starts_on, dt.date) else int(str(starts_on)[:4])
        return Reading(programme=Programme(data["program_id"], data["name"], year))
    if event_type == n.REINTEGRATION_ENROLLED:
        return Reading((fact(PROGRAMME_ENROLMENTS, data["program_id"]),))
    if event_type == n.REINTEGRATION_ROUND_RECORDED:
        if not data["advanced"]:
            return Reading()
        return Reading((fact(PROGRAMME_ADVANCES, f"{data['program_id']}:{data['round']}"),))
    if event_type == n.REINTEGRATION_COMPLETED:
        pid = data["program_id"]
        measures = (
            PROGRAMME_COMPLETIONS,
            *((BUSINESSES_STARTED,) if data["business_started"] else ()),
            *((PROGRAMME_AWARDS,) if data["awarded"] else ()),
        )
        return Reading(tuple(fact(measure, pid) for measure in measures))
    if event_type == n.REINTEGRATION_FOLLOWED_UP:
        at = f"{data['program_id']}:{data['months']}"
        measures = (
            FOLLOW_UPS,
            *((FOLLOW_UPS_RUNNING,) if data["business_running"] else ()),
            *((FOLLOW_UPS_MIGRATED_AGAIN,) if data["migrated_again"] else ()),
        )
        return Reading(
            (
                *(fact(measure, at) for measure in measures),
                fact(FOLLOW_UPS_INCOME, f"{at}:{data['income_band']}"),
            )
        )
    if event_type == n.LETTER_ISSUED:
        return Reading((fact(LETTERS_ISSUED, data["letter_type"]),))
    if event_type == n.CASE_OPENED:
        detail = f"{data['aspect']}:{data['case_type']}"
        clock = CaseClock(data["case_id"], month, occurred_at, _moment(data["act_by"]))
        return Reading(
            (fact(CASES_OPENED, detail, country=data["destination_country"]),), case_clock=clock
        )
    if event_type == n.CASE_STATUS_CHANGED:
        if data["to_status"] not in n.CASE_FIRST_ACTIONS:
            return Reading()
        return Reading(case_clock=CaseClock(data["case_id"], acted_at=occurred_at))
    if event_type == n.CASE_RESOLVED:
        detail = f"{data['aspect']}:{data['case_type']}"
        return Reading((fact(CASES_RESOLVED, detail, country=data["destination_country"]),))
    if event_type == n.CASE_OUTCOME_RECORDED:
        return Reading((fact(CASE_OUTCOMES, data["outcome"]),))
    if event_type == n.NOTIFICATION_SENT:
        sent = f"{data['kind']}:{data['channel']}"
        return Reading(
            (
                fact(NOTIFICATIONS_SENT, sent),
                fact(NOTIFICATION_SEGMENTS, sent, quantity=int(data["segments"])),
                fact(NOTIFICATION_COST, sent, quantity=int(data["cost_rupiah"])),
            )
        )
    return Reading()


def _moment(value) -> dt.datetime:
    """An instant of an event's payload, as parsed or as its ISO text."""
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


# reading the figures -------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A count of one measure in one month for one combination of dimensions."""

    month: str
    measure: str
    detail: str
    sex: str | None
    age_band: str | None
    district: str | None
    village: str | None
    country: str | None
    sector: str | None
    company: str | None
    count: int

    def key(self) -> tuple:
        return (
            self.month,
            self.measure,
            self.detail,
            *(getattr(self, d) or "" for d in DIMENSIONS),
        )


def figures_of(
    facts: Iterable[Fact], profiles: Mapping[str, WorkerProfile], start: str, end: str
) -> list[Figure]:
    """The monthly figures from ``start`` to ``end`` (``YYYY-MM``, both included): each fact
    joined to its worker's profile, the age band of the fact's month; the fact's own country
    before the profile's."""
    counted: Counter[tuple] = Counter()
    for fact in facts:
        if not start <= fact.month <= end:
            continue
        profile = profiles.get(fact.worker_id or "")
        counted[
            (
                fact.month,
                fact.measure,
                fact.detail,
                profile.sex if profile else None,
                age_band_in(fact.month, profile.birth_year) if profile else None,
                profile.district if profile else None,
                profile.village if profile else None,
                fact.country or (profile.country if profile else None),
                profile.sector if profile else None,
                profile.company if profile else None,
            )
        ] += fact.quantity
    return sorted(
        (Figure(*key, count=count) for key, count in counted.items()),  # type: ignore[misc]
        key=Figure.key,
    )


def innovations_of(figures: Iterable[Figure]) -> list[dict]:
    """Per month and innovation, what it served: each of its measures' total."""
    totals: Counter[tuple[str, str]] = Counter()
    months = set()
    for figure in figures:
        months.add(figure.month)
        totals[(figure.month, figure.measure)] += figure.count
    return [
        {
            "month": month,
            "innovation": innovation,
            "figures": {measure: totals[(month, measure)] for measure in measures},
        }
        for month in sorted(months)
        for innovation, measures in INNOVATIONS.items()
    ]


def funnel_of(figures: Iterable[Figure], programmes: Iterable[Programme]) -> list[dict]:
    """PAK CAMAT's funnel per programme (and its year): enrolled, advanced per round,
    completed, businesses started, awarded; then the businesses' follow-ups at 6 and 12 months
    (recorded, still running, migrated again, by income band)."""
    totals: Counter[tuple[str, str]] = Counter()
    for figure in figures:
        totals[(figure.measure, figure.detail)] += figure.count
    rows = []
    for programme in sorted(programmes, key=lambda p: (p.year, p.name, p.program_id)):
        pid = programme.program_id
        rounds = sorted(
            (int(detail.split(":", 1)[1]), count)
            for (measure, detail), count in totals.items()
            if measure == PROGRAMME_ADVANCES and detail.split(":", 1)[0] == pid
        )
        rows.append(
            {
                "program_id": pid,
                "name": programme.name,
                "year": programme.year,
                "enrolled": totals[(PROGRAMME_ENROLMENTS, pid)],
                "advanced": [{"round": r, "count": c} for r, c in rounds],
                "completed": totals[(PROGRAMME_COMPLETIONS, pid)],
                "businesses_started": totals[(BUSINESSES_STARTED, pid)],
                "awarded": totals[(PROGRAMME_AWARDS, pid)],
                "follow_ups": [follow_ups_of(totals, pid, months) for months in FOLLOW_UP_MONTHS],
            }
        )
    return rows


def follow_ups_of(totals: Mapping[tuple[str, str], int], pid: str, months: int) -> dict:
    at = f"{pid}:{months}"
    return {
        "months": months,
        "recorded": totals.get((FOLLOW_UPS, at), 0),
        "business_running": totals.get((FOLLOW_UPS_RUNNING, at), 0),
        "migrated_again": totals.get((FOLLOW_UPS_MIGRATED_AGAIN, at), 0),
        "income_bands": {
            band: totals.get((FOLLOW_UPS_INCOME, f"{at}:{band}"), 0) for band in INCOME_BANDS
        },
    }


def first_actions_of(clocks: Iterable[CaseClock], zone: str = DISTRICT_TIMEZONE) -> list[dict]:
    """Per month a case was received in: the cases received, those acted on (a first action:
    referred, in progress or resolved), those acted on within their limit (``act_by``, as the
    protection desk computes it from the working days), and the median of the working hours
    (weekends and public holidays not counted, ``pmi_common.workdays``) to the first action."""
    by_month: dict[str, list[CaseClock]] = {}
    for clock in clocks:
        if clock.month is not None and clock.received_at is not None:
            by_month.setdefault(clock.month, []).append(clock)
    rows = []
    for month, received in sorted(by_month.items()):
        hours, in_time = [], 0
        for clock in received:
            if clock.received_at is None or clock.acted_at is None:
                continue
            hours.append(working_hours_between(clock.received_at, clock.acted_at, zone))
            in_time += clock.act_by is not None and clock.acted_at <= clock.act_by
        rows.append(
            {
                "month": month,
                "received": len(received),
                "acted": len(hours),
                "acted_in_time": in_time,
                "median_working_hours": round(statistics.median(hours), 1) if hours else None,
            }
        )
    return rows


def messages_of(figures: Iterable[Figure]) -> list[dict]:
    """Per month, kind and channel: the messages sent, their SMS segments and their cost in
    whole rupiah (each ``notification_sent`` counted once, its segments and cost summed)."""
    summed: dict[tuple[str, str], Counter[str]] = {}
    for figure in figures:
        if figure.measure in (NOTIFICATIONS_SENT, *SUMMED):
            summed.setdefault((figure.month, figure.detail), Counter())[figure.measure] += (
                figure.count
            )
    rows = []
    for (month, detail), by_measure in sorted(summed.items()):
        kind, _, channel = detail.rpartition(":")
        rows.append(
            {
                "month": month,
                "kind": kind,
                "channel": channel,
                "sent": by_measure[NOTIFICATIONS_SENT],
                "segments": by_measure[NOTIFICATION_SEGMENTS],
                "cost_rupiah": by_measure[NOTIFICATION_COST],
            }
        )
    return rows
