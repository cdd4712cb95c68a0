"""An agency's queue forms, settings and notices, without a broker or a database: the same
CloudEvent on the queue as in the webhook, the settings an operator may give, and how a notice
is mailed."""

from __future__ import annotations

import json

import pytest
from cloudevents.core.bindings.amqp import AMQPMessage, from_amqp
from cloudevents.core.formats.json import JSONFormat

from pmi_common.agreement import BINARY, PLATFORM, STRUCTURED
from pmi_common.errors import InvalidInput
from services.agencies import domain
from services.agencies.cloud_events import queue_message
from services.agencies.domain import check_contact_email, check_queue_format, endpoint_disabled
from services.agencies.notice_mailer import MailSettings, retry_delay
from services.agencies.webhook_message import signed_request
from tests.unit.test_webhooks import NOW, PUBLISHED

CATALOGUE = "https://pmi.example/api/v1/asyncapi.json"


def read_back(form):
    return from_amqp(
        AMQPMessage({"content-type": form.content_type}, form.headers, form.body), JSONFormat()
    )


def test_the_platform_form_is_the_envelope_with_its_version_header():
    form = queue_message(
        {**PUBLISHED, "occurred_at": "2026-11-29T20:59:00.123456+00:00"}, PLATFORM, CATALOGUE
    )
    assert json.loads(form.body)["event_id"] == PUBLISHED["event_id"]
    assert (form.content_type, form.headers) == ("application/json", {"event_version": 1})


@pytest.mark.parametrize("queue_format", [BINARY, STRUCTURED])
def test_both_cloud_event_forms_read_back_as_the_webhooks_event(queue_format):
    published = {**PUBLISHED, "occurred_at": "2026-11-29T20:59:00.123456+00:00"}
    webhook = json.loads(signed_request(published, [domain.new_secret()], NOW, CATALOGUE).body)

    event = read_back(queue_message(published, queue_format, CATALOGUE))

    attributes = {
        k: (v.isoformat().replace("+00:00", "Z") if k == "time" else v)
        for k, v in event.get_attributes().items()
    }
    assert attributes == {k: v for k, v in webhook.items() if k != "data"}
    assert event.get_data() == webhook["data"] == PUBLISHED["data"]


def test_the_binary_form_puts_every_attribute_but_the_content_type_in_prefixed_headers():
    form = queue_message(PUBLISHED, BINARY, CATALOGUE)
    assert form.content_type == "application/json"
    assert json.loads(form.body) == PUBLISHED["data"]
    assert form.headers["cloudEvents_id"] == PUBLISHED["event_id"]
    assert form.headers["cloudEvents_workersequence"] == 7  # an integer stays one
    assert form.headers["cloudEvents_time"] == "2026-11-29T20:59:00Z"  # a string, in full
    assert all(name.startswith("cloudEvents_") for name in form.headers)
    assert "cloudEvents_datacontenttype" not in form.headers


def test_an_unknown_format_or_address_is_refused_with_the_field():
    with pytest.raises(InvalidInput) as refused:
        check_queue_format("xml")
    assert "queue_format" in refused.value.details
    for address in ("nobody", "a@b", "two@x.example, three@x.example", "<a@x.example>"):
        with pytest.raises(InvalidInput):
            check_contact_email(address)
    assert check_contact_email(" integrasi@bpjs.example ") == "integrasi@bpjs.example"
    assert check_contact_email("") is None


def test_smtp_settings_come_from_the_url_and_none_without_one():
    assert MailSettings.from_config({}) is None
    mail = MailSettings.from_config(
        {
            "SMTP_URL": "smtp://pmi%40x:s%3Acret@mail.example:587?starttls=true",
            "NOTICE_OPERATORS": "ops@x.example, duty@x.example",
            "NOTICE_RETRY_SECONDS": "5",
        }
    )
    server = mail.server
    assert (server.host, server.port, server.starttls, server.tls) == (
        "mail.example",
        587,
        True,
        False,
    )
    assert (server.user, server.password) == ("pmi@x", "s:cret")
    assert mail.operators == ("ops@x.example", "duty@x.example") and mail.first_retry == 5
    assert MailSettings.from_config({"SMTP_URL": "smtps://mail.example"}).server.port == 465
    with pytest.raises(ValueError, match="SMTP_URL"):
        MailSettings.from_config({"SMTP_URL": "http://mail.example"})


def test_a_refused_mail_waits_longer_each_time_up_to_an_hour():
    assert [retry_delay(n, 30) for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(20, 30) == 3600


def test_a_notice_names_the_endpoint_and_why_but_not_the_urls_query():
    endpoint = domain.Endpoint(
        "e-1",
        "bpjs",
        "https://siap.bpjs.example/hooks?token=s3cret",
        ("worker_departed",),
        (),
        description="SIAP",
    )
    notice = endpoint_disabled(endpoint, "the receiver answered 410 Gone")
    assert notice["agency"] == "bpjs" and notice["endpoint_id"] == "e-1"
    assert "https://siap.bpjs.example/hooks" in notice["body"] and "410" in notice["body"]
    assert "s3cret" not in notice["body"] + notice["subject"]
