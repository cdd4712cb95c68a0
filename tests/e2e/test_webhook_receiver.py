"""End to end: the stack as ``make run`` starts it, an agency's webhook added over the API, and
the example receiver (``examples/webhook_receiver.py``, only ``standardwebhooks`` and
``cloudevents``) verifying, applying, dropping a replay's duplicate, and refusing a request
signed too long ago. The stack's settings let webhooks call this machine, where the receiver
runs (``tests/e2e/conftest.py``)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
import requests
from sqlalchemy import create_engine
from standardwebhooks.webhooks import Webhook

from pmi_common import contract as c
from pmi_common.agreement import Agreement
from services.agencies.agreement_repository import AgreementRepository
from tests import servers
from tests.e2e.conftest import ROOT
from tests.helpers import wait_for, worker_payload

pytestmark = pytest.mark.e2e
AGENCY = "bpjs-hooks"


class ExampleReceiver:
    def __init__(self, port: int, secret: str, state: str):
        self.port = port
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "examples" / "webhook_receiver.py"),
                "--port",
                str(self.port),
                "--state",
                state,
            ],
            env={"WEBHOOK_SECRET": secret, "PATH": "/usr/bin:/bin"},
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: list[dict] = []
        assert self.next()["decision"] == "ready"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/pmi"

    def next(self) -> dict:
        line = json.loads(self.process.stdout.readline())
        self.lines.append(line)
        return line

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def test_the_example_receiver_verifies_applies_and_drops_repeats_and_stale_requests(
    stack, tmp_path
):
    engine = create_engine(stack.env["AGENCIES_DATABASE_URL"])
    AgreementRepository(engine).put(
        Agreement(
            agency=AGENCY,
            fields={c.WORKER_REGISTERED: ("full_name", "destination_country")},
            purpose="BPJS membership",
            legal_basis="legal_obligation",
            approved_by="Kepala Disnaker",
            valid_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        ),
        "e2e",
        dt.datetime.now(dt.UTC),
    )
    engine.dispose()
    admin = stack.client("admin")
    port = servers.free_port()
    added = admin.post(
        stack.url(f"/agencies/{AGENCY}/webhooks"),
        json={"url": f"http://127.0.0.1:{port}/hooks/pmi", "events": [c.WORKER_REGISTERED]},
    )
    assert added.status_code == 201, added.text
    endpoint, secret = added.json()["id"], added.json()["secret"]
    receiver = ExampleReceiver(port, secret, str(tmp_path / "agency.sqlite"))
    try:
        worker = stack.client("operator").post(stack.url("/workers"), json=worker_payload()).json()

        applied = receiver.next()
        assert (applied["decision"], applied["type"], applied["worker"]) == (
            "applied",
            c.WORKER_REGISTERED,
            worker["id"],
        )

        def delivered() -> dict | None:
            """The log once the delivery is recorded as delivered: the receiver answers before
            the platform records its answer, and only a finished delivery is replayed."""
            log = _log(admin, stack, endpoint)
            finished = log["items"] and log["items"][0]["state"] == "delivered"
            return log if finished else None

        log = wait_for(delivered, message="the delivery recorded as delivered")
        replayed = admin.post(
            stack.url(f"/webhooks/{endpoint}/replays"),
            json={"delivery": log["items"][0]["id"]},
        )
        assert replayed.json() == {"queued": 1}
        assert receiver.next() == {
            "decision": "duplicate",
            "id": applied["id"],
            "type": c.WORKER_REGISTERED,
        }

        body = json.dumps(
            {"specversion": "1.0", "id": "forged-1", "source": "/x", "type": c.WORKER_REGISTERED}
        )
        stale = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
        answer = requests.post(
            receiver.url,
            data=body,
            timeout=10,
            headers={
                "content-type": "application/cloudevents+json",
                "webhook-id": "forged-1",
                "webhook-timestamp": str(int(stale.timestamp())),
                "webhook-signature": Webhook(secret).sign("forged-1", stale, body),
            },
        )
        assert answer.status_code == 401
        assert receiver.next()["reason"] == "Message timestamp too old"
    finally:
        receiver.close()
        # the stack is shared: no delivery to a receiver that is gone after this test
        admin.post(stack.url(f"/webhooks/{endpoint}/disabling"), json={"reason": "test ended"})


def _log(admin, stack, endpoint: str) -> dict:
    return admin.get(stack.url(f"/webhooks/{endpoint}/deliveries")).json()
