"""Development's local outbox sends nothing; so that whoever runs the platform on a laptop can
sign in to the worker's app, it writes a sign-in code to the log, marked as development's (the
address masked), and nothing else of any other message. Outside development there is no outbox,
and production refuses to start without a real SMS provider."""

from __future__ import annotations

import datetime as dt

from structlog.testing import capture_logs

from services.notifications import domain as d
from services.notifications.channels import (
    DEVELOPMENT_ONLY,
    OutboxChannel,
    channels_from,
    production_problems,
)

NOW = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)


def message(kind: str, body: str) -> d.Message:
    return d.Message(
        id="m-1",
        event_id="e-1",
        worker_id="w-1",
        channel=d.SMS,
        kind=kind,
        language="id",
        body=body,
        address="+6281234567890",
        segments=1,
        encoding=d.GSM7,
        due_at=NOW,
        created_at=NOW,
    )


def test_the_outbox_writes_a_sign_in_code_to_the_log_marked_as_developments():
    outbox = channels_from({"PMI_ENV": "development"})[d.SMS]
    assert isinstance(outbox, OutboxChannel)
    with capture_logs() as logs:
        sent = outbox.send(message(d.SIGN_IN_CODE, "Kode masuk PMI Anda: 482913. Jangan bagikan."))
    assert sent == "outbox-m-1"
    (line,) = logs
    assert line["event"] == "development_sign_in_code"
    assert line["development_only"] == DEVELOPMENT_ONLY and "DEVELOPMENT ONLY" in DEVELOPMENT_ONLY
    assert "482913" in line["text"]
    assert line["to"] == d.masked_address("+6281234567890") and line["to"].endswith("*890")
    assert "+6281234567890" not in str(line)


def test_the_outbox_writes_nothing_of_any_other_message():
    with capture_logs() as logs:
        OutboxChannel(d.SMS).send(message(d.REGISTERED, "Siti, pendaftaran Anda diterima."))
    assert logs == []


def test_outside_development_there_is_no_outbox_and_production_refuses_to_start():
    assert d.SMS not in channels_from({"PMI_ENV": "production"})
    (problem, *_) = production_problems({"PMI_ENV": "production"})
    assert "local outbox sends nothing" in problem and "sign-in codes" in problem
