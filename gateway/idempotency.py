"""``Idempotency-Key``: a write sent again with the same key gets the first answer again.

A key belongs to its caller (role and subject) and lives ``IDEMPOTENCY_TTL`` seconds (24 hours by
default) from its first use. The same key with a different request (method, path or body) is
refused (422); a repeat while the first is still being answered gets 409 and a ``Retry-After``.
Answers a client should retry (5xx: a service down or too slow) are not kept, so the retry runs
again; the service then answers it from its own record of the first answer (``command_key``
travels with the call, ``pmi_common.store.Store.command``).

The store keeps no answer in clear (they hold a worker's record, NIK included, for a day): a
kept answer is its status, its body's SHA-256, and body and headers sealed with AES-256-GCM under
a key derived from ``IDEMPOTENCY_ANSWER_KEY`` (a secret of its own; production refuses to start
without it), bound to the caller, the key and the request's fingerprint, so a sealed answer
moved to another row does not open. A replay opens it and checks the digest. A sealed answer
that no longer opens (the key was changed) is forgotten, as if expired: the retry runs again,
and a keyed command is answered by its service's record of the first answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import eventlet
import structlog
from nameko.extensions import SharedExtension
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from pmi_common.production import DEVELOPMENT_ANSWER_KEY, answer_key_problem, secret_setting
from pmi_common.sealing import Sealer, Unsealable
from pmi_common.store import make_engine

from .models import idempotency_keys as keys
from .problems import Problem

log = structlog.get_logger(__name__)

HEADER = "Idempotency-Key"
DEFAULT_TTL_SECONDS = 24 * 3600
# A first request cannot run longer than its RPC call's timeout (then it answers 504 and frees its
# key): a key still "in progress" after a few timeouts belongs to a gateway that died under it.
ABANDONED_AFTER_TIMEOUTS = 3
PURGE_EVERY_SECONDS = 600
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    headers: dict


def valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()


def fingerprint(method: str, path: str, body: dict | None) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def command_key(principal: str, key: str, method: str, path: str, body: dict | None) -> str:
    """What the service records a keyed command's answer under: the caller, the key and the
    request, digested (the service learns neither the caller's key nor more of the request)."""
    canonical = json.dumps([principal, key, fingerprint(method, path, body)], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def answer_key(config: dict) -> str:
    """``IDEMPOTENCY_ANSWER_KEY``: the development key in development only; outside it, nothing
    weak is accepted (``production.answer_key_problem``)."""
    return secret_setting(
        config, "IDEMPOTENCY_ANSWER_KEY", DEVELOPMENT_ANSWER_KEY, answer_key_problem
    )


class Seal:
    """Kept answers sealed and opened (``pmi_common.sealing``: AES-256-GCM), each bound to its
    row: it opens there only."""

    PURPOSE = b"pmi idempotency answers"

    def __init__(self, secret: str):
        self._sealer = Sealer(secret, self.PURPOSE, "IDEMPOTENCY_ANSWER_KEY")

    def close(self, answer: Answer, bound: str) -> tuple[str, bytes]:
        """(the body's SHA-256, the sealed answer)"""
        plain = json.dumps({"body": answer.body, "headers": answer.headers}).encode()
        return digest(answer.body), self._sealer.seal_bytes(plain, bound.encode())

    def open(self, status: int, body_sha256: str, sealed: bytes, bound: str) -> Answer | None:
        """The answer, or None when it does not open under this key (or its digest differs)."""
        try:
            plain = self._sealer.open_bytes(bytes(sealed), bound.encode())
        except Unsealable:
            return None
        kept = json.loads(plain)
        if digest(kept["body"]) != body_sha256:
            return None
        return Answer(status, kept["body"], kept["headers"])


def digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def _bound(principal: str, key: str, fingerprint_: str) -> str:
    """What a sealed answer belongs to: it opens in its own row only."""
    return json.dumps([principal, key, fingerprint_], separators=(",", ":"))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class IdempotencyKeys(SharedExtension):
    """The gateway's store of keys and first answers (its own database, ``DATABASE_URL``)."""

    def setup(self):
        config = self.container.config
        self.engine: Engine = make_engine(config["DATABASE_URL"], workers=10)
        self.seal = Seal(answer_key(config))
        self.ttl = dt.timedelta(seconds=float(config.get("IDEMPOTENCY_TTL", DEFAULT_TTL_SECONDS)))
        self.abandoned_after = dt.timedelta(
            seconds=ABANDONED_AFTER_TIMEOUTS * float(config.get("RPC_TIMEOUT", 10))
        )
        self._purger = None

    def start(self):
        self._purger = self.container.spawn_managed_thread(
            self._purge_forever, identifier="idempotency-purge"
        )

    def stop(self):
        if self._purger is not None:
            self._purger.kill()
        self.engine.dispose()

    def kill(self):
        self.stop()

    # the protocol -------------------------------------------------------------------------

    def begin(
        self, principal: str, key: str, method: str, path: str, body: dict | None
    ) -> Answer | None:
        """Hold ``key`` for this request (None: go ahead), or the first answer to replay."""
        if not valid_key(key):
            raise Problem(
                400,
                "invalid-idempotency-key",
                "Invalid Idempotency-Key",
                f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
            )
        print_ = fingerprint(method, path, body)
        now = _now()
        row = {
            "principal": principal,
            "key": key,
            "fingerprint": print_,
            "method": method,
            "path": path,
            "created_at": now,
            "expires_at": now + self.ttl,
        }
        with self.engine.begin() as conn:
            insert = _insert(conn.dialect.name)(keys).values(**row).on_conflict_do_nothing()
            if conn.execute(insert.returning(keys.c.key)).first() is not None:
                return None
            held = conn.execute(
                select(keys)
                .where(keys.c.principal == principal, keys.c.key == key)
                .with_for_update()
            ).first()
            stale = held is None or self._stale(held, now)
            kept = None if stale else self._opened(held, principal, key)
            if stale or kept is False:
                conn.execute(delete(keys).where(keys.c.principal == principal, keys.c.key == key))
                conn.execute(_insert(conn.dialect.name)(keys).values(**row))
                return None
        if held.fingerprint != print_:
            raise Problem(
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                f"this {HEADER} was first used for a different request "
                f"({held.method} {held.path}); use a new key for a new request",
            )
        if held.status is None:
            raise Problem(
                409,
                "idempotency-key-in-progress",
                "The first request is in progress",
                f"a request with this {HEADER} is still being answered; retry shortly",
                headers={"Retry-After": "1"},
            )
        assert isinstance(kept, Answer)
        return kept

    def _opened(self, held, principal: str, key: str) -> Answer | bool | None:
        """The kept answer; None while there is none yet; False when it does not open."""
        if held.status is None:
            return None
        opened = (
            self.seal.open(
                held.status, held.body_sha256, held.sealed, _bound(principal, key, held.fingerprint)
            )
            if held.sealed is not None and held.body_sha256 is not None
            else None
        )
        if opened is None:
            log.warning("idempotency_answer_unreadable", status=held.status)
            return False
        return opened

    def finish(self, principal: str, key: str, answer: Answer) -> None:
        with self.engine.begin() as conn:
            print_ = conn.execute(
                select(keys.c.fingerprint).where(keys.c.principal == principal, keys.c.key == key)
            ).scalar()
            if print_ is None:
                return  # freed meanwhile (it was abandoned): nothing to keep
            body_sha256, sealed = self.seal.close(answer, _bound(principal, key, print_))
            conn.execute(
                update(keys)
                .where(keys.c.principal == principal, keys.c.key == key)
                .values(status=answer.status, body_sha256=body_sha256, sealed=bytes(sealed))
            )

    def release(self, principal: str, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(keys).where(
                    keys.c.principal == principal, keys.c.key == key, keys.c.status.is_(None)
                )
            )

    def _stale(self, held, now: dt.datetime) -> bool:
        if _aware(held.expires_at) <= now:
            return True
        return held.status is None and _aware(held.created_at) < now - self.abandoned_after

    # housekeeping -------------------------------------------------------------------------

    def purge_expired(self) -> int:
        with self.engine.begin() as conn:
            return conn.execute(delete(keys).where(keys.c.expires_at <= _now())).rowcount

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def _purge_forever(self) -> None:
        while True:
            eventlet.sleep(PURGE_EVERY_SECONDS)
            try:
                purged = self.purge_expired()
            except Exception as exc:  # noqa: BLE001 - the database may be down for a while
                log.warning("idempotency_purge_failed", error=str(exc))
                continue
            if purged:
                log.info("idempotency_keys_purged", count=purged)


def _insert(dialect_name: str):
    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert
