"""The alert rules fire before the limits the code sets are reached."""

from pathlib import Path

import yaml

from services.agencies import queues as agencies

ALERTS = Path(__file__).resolve().parents[2] / "infra" / "prometheus" / "alerts.yml"


def rule(name: str) -> dict:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return next(r for group in groups for r in group["rules"] if r.get("alert") == name)


def test_the_agency_queue_alert_fires_at_80_percent_of_its_limits():
    expr = rule("AgencyQueueFilling")["expr"]
    assert f"> {int(agencies.AGENCY_QUEUE_MAX_LENGTH * 0.8)}" in expr
    assert f"> {int(agencies.AGENCY_QUEUE_MAX_BYTES * 0.8)}" in expr
    assert 'queue=~"agency\\\\..+\\\\.events"' in expr
