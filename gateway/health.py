"""Readiness checks: the broker, the gateway's own database and each service's ``health()``.

Each check runs at the same time as the others and gives up after the gateway's
``READINESS_TIMEOUT`` (seconds, 2 unless set), so a probe gets its answer quickly even when a
service hangs. Readiness is public: what a check
answers says up or down and a plain reason, never exception text or host names; the full reason
goes to the log (``readiness_check_down``).
"""

from __future__ import annotations

from collections.abc import Callable

import eventlet
import structlog

from pmi_common.amqp import broker_reachable
from pmi_common.rpc import ServiceUnavailable

log = structlog.get_logger("gateway")

READINESS_TIMEOUT = 2.0  # seconds, unless the gateway's config says otherwise
UP, DOWN = "up", "down"


def readiness(checks: dict[str, Callable[[], dict]], seconds: float) -> tuple[bool, dict]:
    """Run every check, each given ``seconds``; (all up, each check's outcome)."""
    pool = eventlet.GreenPool(len(checks) or 1)
    names = list(checks)
    outcomes = dict(
        zip(names, pool.imap(lambda name: _run(checks[name], seconds), names), strict=True)
    )
    return all(o["status"] == UP for o in outcomes.values()), outcomes


def _run(check: Callable[[], dict], seconds: float) -> dict:
    timeout = eventlet.Timeout(seconds)
    late = {"status": DOWN, "reason": f"no answer within {seconds:g}s"}
    try:
        return check()
    except eventlet.Timeout as exc:
        if exc is not timeout:
            raise
        return late
    except Exception as exc:  # noqa: BLE001 - the outcome says what is wrong
        if exc.__cause__ is timeout:  # a timed RPC proxy gave up on our timeout
            return late
        if isinstance(exc, ServiceUnavailable):  # the platform's own words: "is not running"
            return {"status": DOWN, "reason": exc.reason}
        return down(f"{type(exc).__name__}: {exc}", "failed")
    finally:
        timeout.cancel()


def down(detail: str, reason: str) -> dict:
    """A check that is down: the detail logged, only a plain reason answered."""
    log.warning("readiness_check_down", reason=reason, detail=detail[:500])
    return {"status": DOWN, "reason": reason}


def broker_check(amqp_uri: str, seconds: float) -> Callable[[], dict]:
    def check() -> dict:
        reason = broker_reachable(amqp_uri, timeout=seconds)
        return {"status": UP} if reason is None else down(reason, "unreachable")

    return check


def database_check(ping: Callable[[], None]) -> Callable[[], dict]:
    def check() -> dict:
        try:
            ping()
        except Exception as exc:  # noqa: BLE001 - logged; the answer says only "unreachable"
            return down(f"{type(exc).__name__}: {exc}", "unreachable")
        return {"status": UP}

    return check


def service_check(health: Callable[[], dict]) -> Callable[[], dict]:
    """A service's ``health()`` RPC: up when it answers and its database is ok."""

    def check() -> dict:
        answer = dict(health())
        if answer.get("database") == "ok":
            return {"status": UP, **answer}
        down(str(answer.get("database")), "database unavailable")
        return {"status": DOWN, **answer, "database": "unavailable"}

    return check
