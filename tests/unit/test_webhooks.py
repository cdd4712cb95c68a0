"""The rules of webhooks, without a broker or a database: retries, targets, secrets, answers,
and the signed CloudEvent a receiver gets."""

from __future__ import annotations

import datetime as dt

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.formats.json import JSONFormat
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from pmi_common.errors import InvalidInput
from services.agencies import domain
from services.agencies.targets import target_policy
from services.agencies.webhook_delivery import WebhookSettings
from services.agencies.webhook_message import signed_request

NOW = dt.datetime(2026, 11, 29, 21, 0, tzinfo=dt.UTC)
PUBLISHED = {
    "event_id": "2d0e7c56-8f5c-4a57-9f0e-2f8f3f0b5a11",
    "event_type": "worker_departed",
    "event_version": 1,
    "occurred_at": "2026-11-29T20:59:00+00:00",
    "source": "registration",
    "worker_id": "6f9d1c1e-3b7a-4f7e-9a55-0b8c7d6e5f41",
    "sequence": 7,
    "correlation_id": "c0ffee00-0000-4000-8000-000000000001",
    "actor": {"role": "operator", "agency": "ltsa-blitar", "subject": "staff-0123456789abcdef0123"},
    "data": {"departed_on": "2026-12-01", "employer": "Chan Tai Man"},
}


def no_jitter(top: float) -> float:
    return top


def test_retries_back_off_exponentially_up_to_the_longest_wait_then_stop_at_the_horizon():
    policy = domain.RetryPolicy(first=5, longest=3600, horizon=3 * 86400, jitter=no_jitter)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert policy.delay(20) == 3600
    queued = NOW - dt.timedelta(days=3) + dt.timedelta(seconds=8)
    assert policy.next_attempt(queued, 1, NOW) == NOW + dt.timedelta(seconds=5)
    assert policy.next_attempt(queued, 2, NOW) is None  # 10 s would pass the three days


def test_jitter_spreads_retries_below_the_backoff():
    delays = {domain.RetryPolicy(first=8).delay(1) for _ in range(50)}
    assert len(delays) > 1 and all(4 <= d <= 8 for d in delays)


def test_a_configured_schedule_replaces_the_backoff_and_repeats_its_last_delay():
    policy = domain.RetryPolicy(schedule=domain.parse_schedule("5s, 5m,2h"))
    assert [policy.delay(n) for n in (1, 2, 3, 9)] == [5, 300, 7200, 7200]
    with pytest.raises(ValueError, match="not a delay"):
        domain.parse_schedule("5s,soon")


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.7/hook",
        "http://192.168.1.1/",
        "http://127.0.0.1:8000/api",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/",
        "ftp://agency.example/",
        "https://user:pw@agency.example/",
        "not a url",
    ],
)
def test_private_loopback_link_local_and_odd_targets_are_refused(url):
    policy = domain.TargetPolicy.from_config("", set())
    with pytest.raises(domain.TargetRefused):
        policy.check(url, resolver=lambda host, port: [host.strip("[]")])


def test_the_platforms_own_hosts_are_refused_even_when_public():
    policy = domain.TargetPolicy.from_config("", {"rabbitmq.pmi.example"})
    with pytest.raises(domain.TargetRefused, match="platform's own"):
        policy.check("https://rabbitmq.pmi.example/", resolver=lambda h, p: ["203.0.113.9"])
    assert policy.check("https://agency.example/h", resolver=lambda h, p: ["8.8.8.8"])


def test_a_name_resolving_to_a_private_address_is_refused_unless_allowed():
    private = domain.TargetPolicy.from_config("", set())
    with pytest.raises(domain.TargetRefused, match="10.1.2.3"):
        private.check("https://sneaky.example/", resolver=lambda h, p: ["8.8.8.8", "10.1.2.3"])
    allowed = domain.TargetPolicy.from_config("10.1.0.0/16,127.0.0.1", {"127.0.0.1"})
    assert allowed.check("https://bpjs.internal/", resolver=lambda h, p: ["10.1.2.3"])
    assert allowed.check("http://127.0.0.1:9000/", resolver=lambda h, p: ["127.0.0.1"])


@pytest.mark.parametrize(
    "address, inside",
    [
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # NAT64 of the cloud's metadata service
        ("64:ff9b::a00:7", "10.0.0.7"),
        ("64:ff9b::7f00:1", "127.0.0.1"),
        ("2002:a9fe:a9fe::1", "169.254.169.254"),  # 6to4
        ("2002:c0a8:101::", "192.168.1.1"),
        ("2002:7f00:1::", "127.0.0.1"),
    ],
)
def test_an_ipv6_address_carrying_a_private_or_metadata_ipv4_address_is_refused(address, inside):
    policy = domain.TargetPolicy.from_config("", set())
    with pytest.raises(domain.TargetRefused, match=f"carries {inside}"):
        policy.check("https://hooks.agency.example/", resolver=lambda h, p: [address])
    public = ["64:ff9b::808:808", "2002:808:808::1"]  # 8.8.8.8 through NAT64, 6to4
    assert policy.check("https://hooks.agency.example/", resolver=lambda h, p: public) == public


def test_plain_http_targets_are_refused_outside_development_unless_a_test_network_says_so(
    capsys,
):
    def check(config: dict) -> list[str]:
        return target_policy(config).check(
            "http://hooks.agency.example/", resolver=lambda h, p: ["8.8.8.8"]
        )

    with pytest.raises(domain.TargetRefused, match="only https"):
        check({"PMI_ENV": "production"})
    with pytest.raises(domain.TargetRefused, match="only https"):
        check({})  # production is the default
    assert check({"PMI_ENV": "development"}) == ["8.8.8.8"]
    assert "webhook_plain_http_allowed" not in capsys.readouterr().out

    assert check({"PMI_ENV": "production", "WEBHOOK_ALLOW_HTTP": "true"}) == ["8.8.8.8"]
    assert "webhook_plain_http_allowed" in capsys.readouterr().out  # said loudly


def test_settings_come_from_configuration():
    settings = WebhookSettings.from_config(
        {
            "AMQP_URI": "amqp://guest:guest@rabbitmq:5672/",
            "WEBHOOK_RETRY_SCHEDULE": "1,2",
            "WEBHOOK_RETRY_HORIZON": "60",
            "WEBHOOK_TIMEOUT": "3",
            "WEBHOOK_DISABLE_AFTER": "120",
        }
    )
    assert settings.retries.schedule == (1, 2) and settings.retries.horizon == 60
    assert (settings.timeout, settings.disable_after) == (3, 120)
    assert "rabbitmq" in settings.targets.platform_hosts
    assert WebhookSettings.from_config({}).retries.horizon == 3 * 24 * 3600


def test_a_rotation_keeps_two_secrets_signing_until_the_old_one_expires():
    first = (domain.Secret(domain.new_secret()),)
    second = domain.rotated(first, "whsec_bmV3", NOW, dt.timedelta(hours=24))
    assert [s.value for s in second] == ["whsec_bmV3", first[0].value]
    endpoint = domain.Endpoint("e", "bpjs", "https://x.example/", ("worker_departed",), second)
    assert len(endpoint.signing_secrets(NOW)) == 2
    assert endpoint.signing_secrets(NOW + dt.timedelta(hours=25)) == ["whsec_bmV3"]
    third = domain.rotated(second, "whsec_dGhpcmQ=", NOW, dt.timedelta(hours=1))
    assert [s.value for s in third] == ["whsec_dGhpcmQ=", "whsec_bmV3"]  # never three


def test_an_endpoint_asks_only_for_what_the_agreement_grants():
    assert domain.check_event_types(
        ["worker_departed"], ["worker_departed", "worker_returned"]
    ) == ("worker_departed",)
    with pytest.raises(InvalidInput, match="does not grant"):
        domain.check_event_types(["worker_registered"], ["worker_departed"])


@pytest.mark.parametrize(
    ("status", "delivered", "gone"),
    [
        (200, True, False),
        (204, True, False),
        (299, True, False),
        (301, False, False),
        (400, False, False),
        (410, False, True),
        (500, False, False),
        (None, False, False),
    ],
)
def test_any_2xx_is_delivered_and_410_means_gone(status, delivered, gone):
    assert domain.outcome_of(status) == domain.Outcome(delivered, gone)


def test_the_request_is_a_structured_cloud_event_signed_with_each_valid_secret():
    old, new = domain.new_secret(), domain.new_secret()
    request = signed_request(
        PUBLISHED, [new, old], dt.datetime.now(dt.UTC), "https://pmi.example/api/v1/asyncapi.json"
    )
    for secret in (old, new):
        assert Webhook(secret).verify(request.body, request.headers)["id"] == PUBLISHED["event_id"]
    with pytest.raises(WebhookVerificationError):
        Webhook(domain.new_secret()).verify(request.body, request.headers)
    event = from_http(HTTPMessage(request.headers, request.body), JSONFormat())
    attributes = event.get_attributes()
    assert request.headers["content-type"] == "application/cloudevents+json"
    assert (event.get_id(), event.get_type(), event.get_subject(), event.get_source()) == (
        PUBLISHED["event_id"],
        "worker_departed",
        PUBLISHED["worker_id"],
        "/pmi/registration",
    )
    assert event.get_dataschema() == (
        "https://pmi.example/api/v1/asyncapi.json#/components/messages/worker_departed.v1"
    )
    assert (attributes["workersequence"], attributes["correlationid"]) == (
        7,
        PUBLISHED["correlation_id"],
    )
    assert attributes["actorsubject"] == PUBLISHED["actor"]["subject"]
    assert event.get_data() == PUBLISHED["data"]


def test_an_old_timestamp_is_refused_by_the_receiver():
    secret = domain.new_secret()
    request = signed_request(
        PUBLISHED,
        [secret],
        NOW - dt.timedelta(days=400),
        "https://pmi.example/api/v1/asyncapi.json",
    )
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(request.body, request.headers)
