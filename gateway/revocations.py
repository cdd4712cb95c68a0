"""Ending tokens before they expire: a subject's "not before" and a deny-list of token ids.

A lost phone keeps a worker token valid for 30 days; revoking the worker's subject refuses every
token of theirs issued before that moment (``iat`` before ``not_before``), and a new login works
again. One token alone is revoked by its ``jti``. The gateway asks at every request, after its
memory of verified tokens (``auth.VerifiedTokens``), so a remembered token is refused once it is
revoked, on every gateway instance.

The answer for one token (its subject, ``iat`` and ``jti``) is one indexed lookup in the gateway's
database, remembered for ``REVOCATION_RECHECK_SECONDS`` (1 s by default; 0: asked at every
request): a client sending hundreds of requests a second costs one lookup a second, not one per
request. A revocation made through this gateway instance (the desk's route) clears its memory at
once; one made elsewhere (another instance, ``pmi token revoke``) is refused everywhere within
that second, as the reads' memory (``READ_CACHE_SECONDS``) serves a record at most seconds old.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict

from nameko.extensions import SharedExtension
from sqlalchemy import Engine, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite

from pmi_common.store import make_engine

from .auth import Caller
from .models import revoked_subjects, revoked_tokens

SUBJECT_REVOKED = "the token was revoked: its subject's tokens issued before {} are refused"
TOKEN_REVOKED = "the token was revoked"


class RevocationBook:
    """Revocations in the gateway's database."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def revoke_subject(
        self, subject: str, by: str, reason: str | None = None, now: dt.datetime | None = None
    ) -> dt.datetime:
        """Refuse every token of ``subject`` issued before now; the moment, returned."""
        row = {
            "subject": subject,
            "not_before": now or dt.datetime.now(dt.UTC),
            "revoked_by": by,
            "reason": reason,
        }
        self._upsert(revoked_subjects, row, "subject")
        return row["not_before"]

    def revoke_token(
        self,
        jti: str,
        by: str,
        expires_at: dt.datetime | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        row = {
            "jti": jti,
            "expires_at": expires_at,
            "revoked_at": now or dt.datetime.now(dt.UTC),
            "revoked_by": by,
        }
        self._upsert(revoked_tokens, row, "jti")

    def refusal(self, caller: Caller) -> str | None:
        """Why the caller's token is revoked, or None."""
        found = select(literal("subject"), revoked_subjects.c.not_before).where(
            revoked_subjects.c.subject == caller.subject,
            revoked_subjects.c.not_before > dt.datetime.fromtimestamp(caller.issued_at, dt.UTC),
        )
        if caller.token_id:
            found = union_all(
                found,
                select(literal("token"), revoked_tokens.c.revoked_at).where(
                    revoked_tokens.c.jti == caller.token_id
                ),
            )
        with self.engine.connect() as conn:
            row = conn.execute(found).first()
        if row is None:
            return None
        if row[0] == "token":
            return TOKEN_REVOKED
        return SUBJECT_REVOKED.format(row[1].isoformat(timespec="seconds"))

    def _upsert(self, table, row: dict, key: str) -> None:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(table).values(row)
        stmt = stmt.on_conflict_do_update(
            index_elements=[key], set_={k: stmt.excluded[k] for k in row if k != key}
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)


class RecentAnswers:
    """The book's answers for the tokens seen lately, each for ``seconds``; at most ``size``
    tokens, the oldest forgotten first. ``forget`` drops them all (a revocation made here)."""

    def __init__(self, refusal, seconds: float, size: int = 4096, clock=time.monotonic):
        self.refusal, self.seconds, self.size, self.clock = refusal, seconds, size, clock
        self._answers: OrderedDict[tuple, tuple[str | None, float]] = OrderedDict()

    def __call__(self, caller: Caller) -> str | None:
        if self.seconds <= 0:
            return self.refusal(caller)
        key = (caller.subject, caller.issued_at, caller.token_id)
        now = self.clock()
        known = self._answers.get(key)
        if known is not None and now < known[1]:
            return known[0]
        answer = self.refusal(caller)
        self._answers[key] = (answer, now + self.seconds)
        self._answers.move_to_end(key)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)
        return answer

    def forget(self) -> None:
        self._answers.clear()


class Revocations(SharedExtension):
    """The gateway's ``RevocationBook``, on its database (``DATABASE_URL``), its answers
    remembered for ``REVOCATION_RECHECK_SECONDS``."""

    def setup(self):
        # every authenticated request may ask: a connection for each concurrent one
        workers = min(self.container.max_workers, 20)
        self.engine = make_engine(self.container.config["DATABASE_URL"], workers=workers)
        self.book = RevocationBook(self.engine)
        seconds = float(self.container.config.get("REVOCATION_RECHECK_SECONDS", 1.0))
        self.answers = RecentAnswers(self.book.refusal, seconds)

    def refusal(self, caller: Caller) -> str | None:
        return self.answers(caller)

    def revoke_subject(self, subject: str, by: str, reason: str | None) -> dt.datetime:
        """A revocation made through this instance: refused here from the next request."""
        try:
            return self.book.revoke_subject(subject, by, reason)
        finally:
            self.answers.forget()

    def stop(self):
        self.engine.dispose()

    def kill(self):
        self.stop()
