"""Where the letters are kept: the only SQL of the service.

The domain's ``Letter`` is mapped onto its table (imperative mapping), its PDF read only when
asked for. A letter is changed locked (``lock``). ``next_seq`` gives the office's numbers: the
counter row of the year and type is locked until the issuing transaction ends, so letters issued
at once take consecutive numbers in turn, and a transaction that fails gives its number back with
everything else it did: no gap, no number given twice.
"""

from __future__ import annotations

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, deferred, registry

from pmi_common.store import is_id, on_conflict

from .domain import Letter
from .models import letter_counters, letters

mapper = registry()
mapper.map_imperatively(
    Letter,
    letters,
    properties={"pdf": deferred(letters.c.pdf), "form_scan": deferred(letters.c.form_scan)},
)


class LettersRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, new: Letter) -> None:
        self.session.add(new)
        self.session.flush()

    def get(self, letter_id: str) -> Letter | None:
        return self.session.get(Letter, letter_id) if is_id(letter_id) else None

    def lock(self, letter_id: str) -> Letter | None:
        """The letter, locked until the transaction ends."""
        if not is_id(letter_id):
            return None
        return self.session.scalars(
            select(Letter).where(letters.c.id == letter_id).with_for_update()
        ).first()

    def hold_worker(self, worker_id: str) -> None:
        """Requests for one worker take turns until the transaction ends (an advisory lock on
        PostgreSQL; SQLite serialises writes), so two at once cannot both find no letter of
        their type under way."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                {"key": f"letters:{worker_id}"},
            )

    def of_worker(self, worker_id: str) -> list[Letter]:
        """The worker's letters, oldest first."""
        return list(
            self.session.scalars(
                select(Letter)
                .where(letters.c.worker_id == worker_id)
                .order_by(letters.c.requested_at, letters.c.id)
            )
        )

    def by_code(self, code: str) -> Letter | None:
        return self.session.scalars(
            select(Letter).where(letters.c.verification_code == code)
        ).first()

    def listed(
        self,
        *,
        village: str | None = None,
        status: str | None = None,
        letter_type: str | None = None,
        limit: int = 50,
    ) -> list[Letter]:
        """Letters by status and type, the longest waiting first; ``village``: only that
        village's residents'."""
        stmt = select(Letter)
        if village is not None:
            stmt = stmt.where(letters.c.village_code == village)
        if status is not None:
            stmt = stmt.where(letters.c.status == status)
        if letter_type is not None:
            stmt = stmt.where(letters.c.letter_type == letter_type)
        return list(
            self.session.scalars(stmt.order_by(letters.c.requested_at, letters.c.id).limit(limit))
        )

    def next_seq(self, letter_type: str, year: int) -> int:
        """The next number of the year and type, its counter locked until the transaction
        ends."""
        dialect = self.session.get_bind().dialect.name
        self.session.execute(
            *on_conflict(
                dialect,
                letter_counters,
                [{"letter_type": letter_type, "year": year, "last_seq": 0}],
                ("letter_type", "year"),
            )
        )
        where = (letter_counters.c.letter_type == letter_type, letter_counters.c.year == year)
        last = self.session.execute(
            select(letter_counters.c.last_seq).where(*where).with_for_update()
        ).scalar_one()
        self.session.execute(update(letter_counters).where(*where).values(last_seq=last + 1))
        return last + 1
