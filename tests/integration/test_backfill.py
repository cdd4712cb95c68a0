"""History for an agency that joins late: each service pages through what it published, and
history reaches an agency only through the agencies service and its agreement
(``test_agency_delivery.test_history_reaches_a_late_agency_through_its_agreement_only``)."""

from __future__ import annotations

import datetime as dt

import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, text

from pmi_common import contract as c
from pmi_common.errors import InvalidInput, NotFound
from services.registration.service import RegistrationService
from tests.helpers import wait_for, worker_payload
from tests.integration.test_agencies import agencies  # noqa: F401 - the fixture

LIFECYCLE = [c.WORKER_REGISTERED, c.WORKER_STATUS_CHANGED]


@pytest.fixture
def registration(container_factory, config_for):
    container = container_factory(RegistrationService, config_for("registration"))
    container.start()
    return container


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def all_published(database_url: str) -> bool:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        waiting = conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
        result = waiting.scalar() == 0
    engine.dispose()
    return result


def register_and_publish(registration, database_urls) -> dict:
    worker = call(registration, "register_worker", worker_payload())
    wait_for(lambda: all_published(database_urls["registration"]), message="events published")
    return worker


def test_a_service_pages_through_its_published_history_oldest_first(registration, database_urls):
    first = register_and_publish(registration, database_urls)
    between = dt.datetime.now(dt.UTC)
    second = register_and_publish(registration, database_urls)
    today = dt.datetime.now(dt.UTC).date().isoformat()

    page = call(registration, "history", LIFECYCLE, today, 0, 3)
    rest = call(registration, "history", LIFECYCLE, today, page["after"], 3)
    end = call(registration, "history", LIFECYCLE, today, rest["after"], 3)

    assert [(e["worker_id"], e["sequence"]) for e in page["events"] + rest["events"]] == [
        (first["id"], 1),
        (first["id"], 2),
        (second["id"], 1),
        (second["id"], 2),
    ]
    assert end == {"events": [], "after": None}
    later = call(registration, "history", [c.WORKER_REGISTERED], between.isoformat())
    assert [e["worker_id"] for e in later["events"]] == [second["id"]]


def test_history_is_asked_only_of_the_service_s_own_events_since_a_date(registration):
    with pytest.raises(InvalidInput) as refused:
        call(registration, "history", [c.DOCUMENT_VERIFIED], "2026-01-01")
    assert "event_types" in refused.value.details
    with pytest.raises(InvalidInput) as refused:
        call(registration, "history", LIFECYCLE, "yesterday")
    assert "since" in refused.value.details


def test_an_agency_gets_history_only_of_the_events_its_agreement_grants(agencies):  # noqa: F811
    late = agencies.onboard("bpjs", [c.WORKER_DEPARTED])
    with pytest.raises(InvalidInput) as refused:
        agencies.registry.backfill(late.name, [c.WORKER_REGISTERED], "2026-01-01")
    assert c.WORKER_REGISTERED in refused.value.details["events"][0]
    with pytest.raises(NotFound):
        agencies.registry.backfill("never-onboarded", [c.WORKER_DEPARTED], "2026-01-01")
