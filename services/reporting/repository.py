"""Where the reporting service keeps its read model: the only SQL of the service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

from sqlalchemy import Integer, case, cast, delete, func, select
from sqlalchemy.orm import Session

from pmi_common.store import on_conflict

from .domain import AGE_BANDS, OLDEST_BAND, CaseClock, Fact, Figure, Programme, WorkerProfile
from .models import READ_MODEL, case_clocks, facts, programmes, worker_profiles


def row_of(kept) -> dict:
    """A dataclass of the read model as its table's row: its fields, one level deep (its values
    are plain; ``dataclasses.asdict`` copies them deeply, most of a rebuild page's time)."""
    return {field.name: getattr(kept, field.name) for field in fields(kept)}


class ReportingRepository:
    def __init__(self, session: Session):
        self.session = session

    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    # writing -----------------------------------------------------------------------------

    def add_facts(self, new: Sequence[Fact]) -> None:
        """Keep each fact once (an event and measure already kept are left as they are)."""
        if new:
            rows = [row_of(fact) for fact in new]
            self.session.execute(
                *on_conflict(self._dialect(), facts, rows, ("event_id", "measure"))
            )

    def keep_profile(self, profile: WorkerProfile) -> None:
        """The worker's profile, unless one of a later registration cycle is kept already."""
        kept = self.session.execute(
            select(worker_profiles.c.cycle)
            .where(worker_profiles.c.worker_id == profile.worker_id)
            .with_for_update()
        ).scalar_one_or_none()
        row = row_of(profile)
        if kept is None:
            self.session.execute(
                *on_conflict(self._dialect(), worker_profiles, [row], ("worker_id",))
            )
        elif profile.cycle >= kept:
            self.session.execute(
                worker_profiles.update()
                .where(worker_profiles.c.worker_id == profile.worker_id)
                .values(**row)
            )

    def keep_profiles(self, profiles: Sequence[WorkerProfile]) -> None:
        """Each worker's newest profile of ``profiles`` (by cycle; of one cycle the last), unless
        one of a later cycle is kept already: two statements however many."""
        newest: dict[str, WorkerProfile] = {}
        for profile in profiles:
            kept = newest.get(profile.worker_id)
            if kept is None or kept.replaced_by(profile):
                newest[profile.worker_id] = profile
        if not newest:
            return
        kept_cycles = dict(
            self.session.execute(
                select(worker_profiles.c.worker_id, worker_profiles.c.cycle)
                .where(worker_profiles.c.worker_id.in_(sorted(newest)))
                .with_for_update()
            ).all()
        )
        rows = [
            row_of(profile)
            for worker_id, profile in sorted(newest.items())
            if worker_id not in kept_cycles or profile.cycle >= kept_cycles[worker_id]
        ]
        if rows:
            update = [column for column in rows[0] if column != "worker_id"]
            self.session.execute(
                *on_conflict(self._dialect(), worker_profiles, rows, ("worker_id",), update)
            )

    def keep_programme(self, programme: Programme) -> None:
        row = row_of(programme)
        self.session.execute(
            *on_conflict(self._dialect(), programmes, [row], ("program_id",), ("name", "year"))
        )

    def keep_case_clock(self, clock: CaseClock) -> None:
        """What ``clock`` tells of its case, merged with what was kept of it."""
        row = self.session.execute(
            select(case_clocks).where(case_clocks.c.case_id == clock.case_id).with_for_update()
        ).one_or_none()
        if row is None:
            self.session.execute(
                *on_conflict(self._dialect(), case_clocks, [row_of(clock)], ("case_id",))
            )
            return
        merged = CaseClock(**row._mapping).merged(clock)
        self.session.execute(
            case_clocks.update()
            .where(case_clocks.c.case_id == clock.case_id)
            .values(**row_of(merged))
        )

    def clear(self, inbox) -> None:
        """Empty the read model and the inbox of what it applied (before a rebuild)."""
        for table in (*READ_MODEL, inbox):
            self.session.execute(delete(table))

    # reading -----------------------------------------------------------------------------

    def figures(self, start: str, end: str) -> list[Figure]:
        """The monthly figures from ``start`` to ``end`` (``YYYY-MM``, both included)."""
        f, w = facts, worker_profiles
        dimensions = (
            f.c.month,
            f.c.measure,
            f.c.detail,
            w.c.sex,
            _age_band_in(f.c.month, w.c.birth_year),
            w.c.district,
            w.c.village,
            func.coalesce(f.c.country, w.c.country),
            w.c.sector,
            w.c.company,
        )
        query = (
            select(*dimensions, func.sum(f.c.quantity))
            .select_from(f.outerjoin(w, w.c.worker_id == f.c.worker_id))
            .where(f.c.month >= start, f.c.month <= end)
            .group_by(*dimensions)
        )
        return sorted((Figure(*row) for row in self.session.execute(query)), key=Figure.key)

    def case_clocks(self, start: str, end: str) -> list[CaseClock]:
        """The clocks of the cases received from ``start`` to ``end`` (``YYYY-MM``)."""
        query = (
            select(case_clocks)
            .where(case_clocks.c.month >= start, case_clocks.c.month <= end)
            .order_by(case_clocks.c.case_id)
        )
        return [CaseClock(**row._mapping) for row in self.session.execute(query)]

    def programmes(self) -> list[Programme]:
        return [
            Programme(row.program_id, row.name, row.year)
            for row in self.session.execute(select(programmes).order_by(programmes.c.program_id))
        ]

    def months(self) -> tuple[str | None, str | None]:
        """The first and the last month with a fact."""
        first, last = self.session.execute(
            select(func.min(facts.c.month), func.max(facts.c.month))
        ).one()
        return first, last

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row of the read model, in key order: two builds compare equal or not."""
        return {
            table.name: [
                tuple(row)
                for row in self.session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in READ_MODEL
        }


def _age_band_in(month, birth_year):
    """``domain.age_band_in`` in SQL: the band of the age reached in the month's year."""
    age = cast(func.substr(month, 1, 4), Integer) - birth_year
    return case(
        (birth_year.is_(None), None),
        *((age < below, band) for band, below in AGE_BANDS),
        else_=OLDEST_BAND,
    )
