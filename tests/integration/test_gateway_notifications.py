"""A worker's messages through the gateway, on the real broker and databases: the worker and the
desk read her message log (no other worker does); a signed BERHENTI from her phone stops the
next message, an unsigned one changes nothing; her choice of English is heard."""

from __future__ import annotations

import pytest

from gateway.testing import start_stack
from pmi_common import contract as c
from pmi_common.clock import Clock
from services.notifications.domain import reply_signature, report_signature
from services.notifications.service import NotificationsService
from tests.events import envelope, publish
from tests.helpers import wait_for, worker_payload
from tests.integration.test_notifications_service import MORNING, MorningClock

SECRET = "inbound-secret-of-the-tests-0123456789"


@pytest.fixture
def api(container_factory, config_for):
    notifications = container_factory(
        NotificationsService,
        config_for(
            "notifications",
            PMI_ENV="development",  # the local outbox stands for the SMS provider
            NOTIFY_INBOUND_SECRET=SECRET,
            NOTIFY_SEND_SECONDS=0.1,
            NOTIFY_COST_SMS=350,
        ),
    )
    next(d for d in notifications.dependencies if isinstance(d, Clock)).clock = MorningClock()
    notifications.start()
    return start_stack(container_factory, config_for, services=(c.REGISTRATION,))


def signed(text: str, sender: str, secret: str = SECRET) -> dict:
    # the clock the service runs on is MorningClock's: a reply signed "now" on that clock
    stamp = str(int(MORNING.timestamp()) + 1)
    return {
        "from": sender,
        "text": text,
        "timestamp": stamp,
        "signature": reply_signature(secret, stamp, sender, text),
    }


def test_a_worker_reads_her_messages_and_berhenti_stops_the_next(api, rabbit_config):
    desk = api.as_role("operator", "desk-1")
    worker = desk.post("/workers", json=worker_payload()).json()
    siti = api.as_role("worker", worker["id"])
    log = f"/workers/{worker['id']}/notifications"

    (first,) = wait_for(
        lambda: [m for m in siti.get(log).json()["items"] if m["status"] == "sent"],
        message="the registration's message sent",
    )
    assert first["kind"] == "registered" and first["provider"] == "outbox"
    assert first["body"].startswith("Halo Siti, pendaftaran PMI Anda diterima.")
    assert first["to"].endswith("890") and worker["phone"] not in first["to"]
    assert desk.get(log).json()["items"] == siti.get(log).json()["items"]
    assert api.as_role("worker", "00000000-0000-4000-8000-000000000001").get(log).status_code == 403
    assert api.as_role("agency", "bpjs", agency="bpjs").get(log).status_code == 403

    public = api.anonymous()
    forged = public.post(
        "/notifications/replies", json=signed("BERHENTI", "+6281234567890", "x" * 40)
    )
    assert forged.status_code == 422
    stopped = public.post("/notifications/replies", json=signed("BERHENTI", "+6281234567890"))
    assert stopped.status_code == 200, stopped.text
    assert stopped.json() == {"intent": "opt_out", "people": 1}

    publish(
        rabbit_config["AMQP_URI"],
        envelope(
            c.DOCUMENTS_COMPLETED, worker["id"], {"document_ids": ["d"], "earliest_expiry": None}
        ),
    )
    withheld = wait_for(
        lambda: [m for m in siti.get(log).json()["items"] if m["kind"] == "documents_completed"],
        message="the next message, withheld",
    )
    assert [(m["status"], m["last_error"]) for m in withheld] == [("suppressed", "opted out")]

    chosen = siti.patch(
        f"/workers/{worker['id']}/notification-choices", json={"language": "en", "consent": True}
    )
    assert chosen.status_code == 200, chosen.text
    assert (chosen.json()["language"], chosen.json()["opted_out"]) == ("en", False)
    publish(
        rabbit_config["AMQP_URI"],
        envelope(
            c.ORIENTATION_COMPLETED,
            worker["id"],
            {
                "session_id": "s1",
                "certificate_number": "OPP-2026-7K3M9Q2B",
                "completed_at": "2026-05-13T03:00:00+00:00",
            },
        ),
    )
    (certificate,) = wait_for(
        lambda: [m for m in siti.get(log).json()["items"] if m["kind"] == "certificate_issued"],
        message="the certificate's message, in English",
    )
    assert certificate["body"] == (
        "Congratulations, you completed the OPP. Certificate number: OPP-2026-7K3M9Q2B."
    )


def reported(provider_id: str, status: str, seconds: int = 1, secret: str = SECRET, **extra):
    stamp = str(int(MORNING.timestamp()) + seconds)
    return {
        "provider_message_id": provider_id,
        "status": status,
        "timestamp": stamp,
        "signature": report_signature(secret, stamp, provider_id, status),
        **extra,
    }


def test_a_providers_delivery_report_shows_in_the_workers_log(api):
    desk = api.as_role("operator", "desk-1")
    worker = desk.post("/workers", json=worker_payload()).json()
    log = f"/workers/{worker['id']}/notifications"
    (sent,) = wait_for(
        lambda: [m for m in desk.get(log).json()["items"] if m["status"] == "sent"],
        message="the registration's message sent",
    )
    assert sent["delivery_status"] is None
    public, route = api.anonymous(), "/notifications/delivery-reports"
    provider_id = sent["provider_message_id"]

    forged = public.post(route, json=reported(provider_id, "delivered", secret="x" * 40))
    assert forged.status_code == 422
    assert public.post(route, json=reported("sms-unknown", "delivered")).status_code == 404
    delivered = public.post(route, json=reported(provider_id, "delivered", seconds=20))
    assert delivered.status_code == 200, delivered.text
    assert delivered.json() == {
        "message_id": sent["id"],
        "delivery_status": "delivered",
        "changed": True,
    }
    late = public.post(route, json=reported(provider_id, "failed", seconds=5, error="timeout"))
    assert late.json()["changed"] is False  # an older report, come later

    (shown,) = desk.get(log).json()["items"]
    assert (shown["status"], shown["delivery_status"], shown["delivery_error"]) == (
        "sent",
        "delivered",
        None,
    )
    assert shown["delivery_reported_at"].startswith("2026-05-13T03:00:20")


def test_the_office_reads_the_months_cost_and_the_console_the_channels_hours(api):
    desk = api.as_role("operator", "desk-1")
    admin = api.as_role("admin", "admin-1")
    worker = desk.post("/workers", json=worker_payload()).json()
    log = f"/workers/{worker['id']}/notifications"
    (sent,) = wait_for(
        lambda: [m for m in desk.get(log).json()["items"] if m["status"] == "sent"],
        message="the registration's message sent",
    )
    api.anonymous().post(
        "/notifications/delivery-reports",
        json=reported(sent["provider_message_id"], "delivered"),
    )

    assert desk.get("/notifications/usage?month=2026-05").status_code == 403
    assert admin.get("/notifications/usage?month=2026-5").status_code == 422
    usage = admin.get("/notifications/usage?month=2026-05")
    assert usage.status_code == 200, usage.text
    sms = next(row for row in usage.json()["channels"] if row["channel"] == "sms")
    assert (sms["sent"], sms["segments"], sms["delivered"], sms["failed"]) == (1, 1, 1, 0)
    assert (sms["unit_cost"], sms["cost"], usage.json()["total_cost"]) == (350.0, 350.0, 350.0)
    assert admin.get("/notifications/usage?month=2026-06").json()["total_cost"] == 0

    console = desk.get("/ops/notifications")
    assert console.status_code == 200, console.text
    channel = next(row for row in console.json()["channels"] if row["channel"] == "sms")
    assert (channel["provider"], channel["up"], channel["waiting"]) == ("outbox", True, 0)
    assert sum(hour["sent"] for hour in channel["hours"]) == 1
    assert sum(hour["delivered"] for hour in channel["hours"]) == 1
