"""The reporting service's handlers: an event becomes facts, a worker's profile or a programme
in the read model (``apply``); the figures are read back by month (``monthly``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmi_common import contract as c
from pmi_common.events import Event
from pmi_common.validation import load

from . import domain as d
from .schemas import MonthlyQuery

if TYPE_CHECKING:
    from pmi_common.unit_of_work import UnitOfWork

    from .repository import ReportingRepository

    Work = UnitOfWork[ReportingRepository]

# the events the figures are made of (the contract names the reporting service their handler)
EVENTS = tuple(spec.event_type for spec in c.handled_by(c.REPORTING))


def apply(uow: Work, event: Event, zone: str = d.DISTRICT_TIMEZONE) -> None:
    """Keep what ``event`` counts for."""
    reading = d.reading_of(
        event.event_type, event.event_id, event.occurred_at, event.worker_id, event.data, zone
    )
    repository = uow.repository
    if reading.profile is not None:
        repository.keep_profile(reading.profile)
    if reading.programme is not None:
        repository.keep_programme(reading.programme)
    if reading.case_clock is not None:
        repository.keep_case_clock(reading.case_clock)
    repository.add_facts(reading.facts)


def apply_all(uow: Work, events: list[Event], zone: str = d.DISTRICT_TIMEZONE) -> None:
    """Keep what each of ``events`` counts for, in a few statements for all of them (a page of
    history in a rebuild): the same read model as ``apply`` one event after another."""
    readings = [
        d.reading_of(e.event_type, e.event_id, e.occurred_at, e.worker_id, e.data, zone)
        for e in events
    ]
    repository = uow.repository
    repository.keep_profiles([r.profile for r in readings if r.profile is not None])
    for reading in readings:
        if reading.programme is not None:
            repository.keep_programme(reading.programme)
        if reading.case_clock is not None:
            repository.keep_case_clock(reading.case_clock)
    repository.add_facts([fact for reading in readings for fact in reading.facts])


def period(repository: ReportingRepository, query: dict) -> tuple[str, str]:
    """The months asked for: ``from`` and ``to`` (both included), by default every month kept."""
    data = load(MonthlyQuery(), query)
    first, last = repository.months()
    start = data.get("from") or first or "0000-00"
    end = data.get("to") or last or "9999-99"
    return start, end


def monthly(repository: ReportingRepository, query: dict) -> dict:
    """The monthly figures, per innovation, and PAK CAMAT's funnel, of the months asked for."""
    start, end = period(repository, query)
    figures = repository.figures(start, end)
    return {
        "from": start,
        "to": end,
        "timezone": d.DISTRICT_TIMEZONE,
        "dimensions": list(d.DIMENSIONS),
        "figures": [figure_view(f) for f in figures],
        "innovations": d.innovations_of(figures),
        "programmes": d.funnel_of(figures, repository.programmes()),
        "first_actions": d.first_actions_of(repository.case_clocks(start, end)),
    }


def figure_view(figure: d.Figure) -> dict:
    return {
        "month": figure.month,
        "measure": figure.measure,
        "detail": figure.detail,
        **{name: getattr(figure, name) for name in d.DIMENSIONS},
        "count": figure.count,
    }
