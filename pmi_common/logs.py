"""Structured JSON logs: one line per record, correlation id bound per worker, identity and
passwords in connection URIs masked."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from .identity import mask_nik, mask_niks_in_text, mask_number

SENSITIVE_KEYS = {
    "nik": mask_nik,
    "nik_presented": mask_nik,
    "passport_number": mask_number,
    "bpjs_number": mask_number,
    "number": mask_number,
    "document_number": mask_number,
    "phone": mask_number,
}


# a password inside a connection URI (kombu masks only the first URI of a failover list)
_URI_PASSWORD = re.compile(r"(\w+://[^:/@\s;]+:)[^@\s;]+@")


def _mask(value: Any, key: str | None = None) -> Any:
    if key in SENSITIVE_KEYS and isinstance(value, str):
        return SENSITIVE_KEYS[key](value)
    if isinstance(value, str):
        return _URI_PASSWORD.sub(r"\1********@", mask_niks_in_text(value))
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return mask_niks_in_text(str(value))  # a NIK passed as a number
    if isinstance(value, Mapping):
        return {k: _mask(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v) for v in value]
    return value


def mask_identity(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> dict:
    """structlog processor: masks identity numbers under known keys and any NIK-shaped number."""
    return {key: _mask(value, key) for key, value in event_dict.items()}


def configure(service: str, level: str | None = None) -> None:
    """JSON lines on stdout for this process, for structlog and for the standard library alike."""
    level_name = (level or os.environ.get("LOG_LEVEL", "INFO")).upper()
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        mask_identity,
    ]
    structlog.configure(
        # a record below the level is dropped first, before the chain times, masks and renders it
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level_name)
    for noisy in ("amqp", "kombu", "nameko", "alembic", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # a refused command (NotFound, TransitionRefused...) is an answer, not a fault: nameko logs
    # those as "(expected)" warnings with a traceback; crashes stay errors
    logging.getLogger("nameko.containers").setLevel(logging.ERROR)
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
