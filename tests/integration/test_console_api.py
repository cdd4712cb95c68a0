"""The console's JSON under /api/v1/ops and its page: who may reach them, what a replay records,
and a page that runs under a strict Content-Security-Policy."""

import re
from pathlib import Path

import pytest
import requests

from gateway.console.files import STATIC
from pmi_common import contract as c
from tests.events import envelope, publish
from tests.helpers import wait_for
from tests.integration.test_agencies import agencies  # noqa: F401 - the fixture

UNKNOWN_WORKER = "3f0b8f8e-0000-4000-8000-000000000000"


@pytest.fixture
def api(container_factory, config_for, private_servers):
    from gateway.testing import start_stack

    return start_stack(
        container_factory,
        config_for,
        services=(c.REGISTRATION,),
        RABBITMQ_MANAGEMENT_URL=private_servers.broker.management_url,
        QUEUE_SAMPLE_SECONDS=1,
        CONSOLE_REFRESH_SECONDS=0.5,
    )


def letters(client, **query) -> list[dict]:
    response = client.get("/ops/dead-letters", params=query)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_replay_is_recorded_with_who_did_it_and_what_it_moved(api, rabbit_config):
    operator = api.as_role("operator", "siti.operator")
    event = envelope(
        c.DOCUMENTS_COMPLETED,
        UNKNOWN_WORKER,
        {"document_ids": ["d"], "earliest_expiry": None},
        sequence=3,
    )
    publish(rabbit_config["AMQP_URI"], event)  # no such worker: retried, then dead-lettered
    [letter] = wait_for(
        lambda: letters(operator, service="registration"), message="the dead letter listed"
    )
    assert letter["event_id"] == event["event_id"] and "NotFound" in letter["error"]

    replayed = operator.post(
        "/ops/dead-letters/replay", json={"service": "registration", "event_id": event["event_id"]}
    )

    assert replayed.status_code == 200, replayed.text
    assert replayed.json() == {
        "action": "replay",
        "service": "registration",
        "count": 1,
        "event_ids": [event["event_id"]],
    }
    [record] = operator.get("/ops/actions").json()["items"]
    assert record["actor"] == {"role": "operator", "subject": "siti.operator"}
    assert record["selection"] == {"event_id": event["event_id"]}
    assert record["event_ids"] == [event["event_id"]] and record["count"] == 1


def test_a_choice_of_dead_letters_names_exactly_one_of_an_event_all_or_a_text(api):
    admin = api.as_role("admin")
    for body in (
        {"service": "registration"},
        {"service": "registration", "all": True, "match": "timeout"},
        {"service": "registration", "all": False},
        {"service": "billing", "all": True},
    ):
        refused = admin.post("/ops/dead-letters/discard", json=body)
        assert refused.status_code == 422, body
    assert admin.get("/ops/actions").json()["items"] == []  # nothing was done, nothing recorded


def test_the_console_is_for_operators_and_admins_only(api):
    for role in ("operator", "admin"):
        assert api.as_role(role).get("/ops/queues").status_code == 200
    for role in ("verifier", "trainer", "agency"):
        refused = api.as_role(role).get("/ops/health")
        assert refused.status_code == 403 and refused.json()["details"]["role"] == role
    assert api.anonymous().get("/ops/health").status_code == 401


def test_health_names_each_service_and_what_is_wrong(api):
    operator = api.as_role("operator")

    def reported():  # the broker's statistics lag a few seconds behind its consumers
        health = operator.get("/ops/health").json()
        rows = {row["name"]: row for row in health["services"]}
        registration = rows["registration"]
        return registration["instances"] == 1 and registration["marks"] == [] and (health, rows)

    health, rows = wait_for(
        reported, message="registration's instance and its queues' consumers counted"
    )
    assert rows["registration"]["up"]
    assert not rows["documents"]["up"] and "DOWN" in rows["documents"]["marks"]
    assert health["status"] == "unhealthy" and "documents" in health["unhealthy"]


def test_the_queues_keep_their_recent_history(api):
    operator = api.as_role("operator")

    def sampled():
        queues = {q["name"]: q for q in operator.get("/ops/queues").json()["queues"]}
        inbox = queues["registration.inbox"]
        return len(inbox["history"]["at"]) >= 2 and inbox["consumers"] == 1 and queues

    queues = wait_for(sampled, message="two samples, the consumer counted")
    assert queues["registration.inbox"]["marks"] == []
    assert "NO CONSUMERS" in queues["documents.inbox"]["marks"]


def test_the_page_and_its_files_are_served_under_a_strict_policy(api):
    page = requests.get(f"http://{api.address}/console", timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    # the page reads the gateway again as often as the gateway is configured to say
    assert '<meta name="refresh-seconds" content="0.5">' in page.text
    script = requests.get(f"http://{api.address}/console/vendor/uPlot.iife.min.js", timeout=30)
    assert script.status_code == 200 and script.headers["Content-Type"].startswith(
        "text/javascript"
    )
    for outside in ("/console/../service.py", "/console/%2e%2e/service.py", "/console/nothing"):
        assert requests.get(f"http://{api.address}{outside}", timeout=30).status_code == 404


def test_the_page_has_no_inline_script_style_or_handler_and_no_outside_address():
    for path in Path(STATIC).rglob("*"):
        if path.suffix not in (".html", ".js", ".css") or "vendor" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text), path
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path


def test_the_webhooks_panel_tells_each_endpoints_health_and_what_the_platform_noticed(
    container_factory, config_for, agencies, rabbit_config, database_urls
):  # noqa: F811
    from sqlalchemy import create_engine

    from gateway.testing import TEST_WEBHOOK_SECRET_KEY, start_stack
    from pmi_common.sealing import Sealer
    from services.agencies import domain
    from services.agencies.agreement_repository import AgreementRepository
    from services.agencies.service import AgenciesService
    from services.agencies.webhook_handlers import WebhookHandlers
    from services.agencies.webhook_repository import WebhookRepository
    from tests.integration.test_agency_delivery import KEY, verified
    from tests.integration.test_webhooks import LOCAL
    from tests.receivers import Receiver

    container_factory(AgenciesService, config_for("agencies", PSEUDONYM_KEY=KEY, **LOCAL)).start()
    api = start_stack(container_factory, config_for, services=())
    engine = create_engine(database_urls["agencies"])
    webhook_handlers = WebhookHandlers(
        WebhookRepository(engine, Sealer(TEST_WEBHOOK_SECRET_KEY)),
        AgreementRepository(engine),
        domain.TargetPolicy.from_config("127.0.0.1", {"127.0.0.1"}),
    )
    bpjs = agencies.onboard("bpjs", [c.DOCUMENT_VERIFIED])
    receivers = [
        Receiver(),
        Receiver(answer=lambda n, body: 503),
        Receiver(answer=lambda n, body: 410),
    ]
    try:
        healthy, failing, gone = (
            webhook_handlers.add(bpjs.name, r.url, [c.DOCUMENT_VERIFIED], "ops")[0]
            for r in receivers
        )
        publish(rabbit_config["AMQP_URI"], verified("w-panel", 1))
        operator = api.as_role("operator")

        def panel():
            answer = operator.get("/ops/webhooks")
            assert answer.status_code == 200, answer.text
            found = answer.json()
            rows = {row["id"]: row for row in found["endpoints"]}
            return (
                rows[healthy.id]["last_success_at"]
                and rows[failing.id]["consecutive_failures"] >= 2
                and rows[gone.id]["status"] == domain.DISABLED
                and found["notices"]
                and (rows, found["notices"])
            )

        rows, notices = wait_for(panel, message="each endpoint's health shown")
    finally:
        for receiver in receivers:
            receiver.close()
        engine.dispose()
    assert rows[healthy.id]["status"] == domain.ENABLED
    assert (rows[healthy.id]["consecutive_failures"], rows[healthy.id]["pending"]) == (0, 0)
    assert rows[healthy.id]["oldest_pending_age_seconds"] is None
    assert rows[failing.id]["last_success_at"] is None and rows[failing.id]["pending"] == 1
    assert rows[failing.id]["oldest_pending_age_seconds"] >= 0
    assert rows[failing.id]["failing_since"] is not None
    assert "410" in rows[gone.id]["disabled_reason"] and rows[gone.id]["pending"] == 1
    [notice] = notices
    assert (notice["agency"], notice["endpoint_id"], notice["kind"]) == (
        bpjs.name,
        gone.id,
        "webhook_endpoint_disabled",
    )
    assert notice["state"] == "pending"  # no SMTP_URL: it waits here, for the operators
    assert api.as_role("agency", "x", agency=bpjs.name).get("/ops/webhooks").status_code == 403
