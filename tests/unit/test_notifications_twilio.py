"""Twilio's webhook signature, checked against the example Twilio publishes with its own
validator, and what a genuine call does: a reply opts its sender out or in, a status callback is
the message's delivery report."""

from __future__ import annotations

import pytest

from pmi_common import contract as c
from pmi_common.errors import Forbidden
from services.notifications import domain as d
from services.notifications import handlers
from services.notifications.channels import OutboxChannel
from services.notifications.sending import send_due
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.fakes.notifications import FakeNotificationsRepository
from tests.unit.test_notifications_messages import (
    NOON,
    WORKER_ID,
    event,
    heard,
    transaction_over,
)

# Twilio's published example: auth token 12345, this URL and these parameters
TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
SIGNED = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
WEBHOOK = "https://pmi.example.go.id/api/v1/notifications/twilio"
SETTINGS = handlers.Settings(twilio_auth_token=TOKEN, twilio_inbound_url=WEBHOOK)


def test_the_signature_is_twilios_for_its_published_example():
    assert d.twilio_signature(TOKEN, URL, PARAMS) == SIGNED
    assert d.genuine_twilio(TOKEN, URL, PARAMS, SIGNED)


@pytest.mark.parametrize(
    "url, signature",
    [
        (URL.replace(".com", ".com:1234"), SIGNED),  # signed without the port
        (URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),  # signed with :443 written
        (URL.replace("https", "http"), "0ZXoZLH/DfblKGATFgpif+LLRf4="),  # with :80 written
    ],
)
def test_the_url_is_genuine_signed_with_or_without_its_port(url, signature):
    assert d.genuine_twilio(TOKEN, url, PARAMS, signature)


def test_another_token_a_changed_parameter_or_no_url_is_not_genuine():
    assert not d.genuine_twilio("54321", URL, PARAMS, SIGNED)
    assert not d.genuine_twilio(TOKEN, URL, {**PARAMS, "Digits": "1235"}, SIGNED)
    assert not d.genuine_twilio(TOKEN, "", PARAMS, SIGNED)
    assert not d.genuine_twilio("", URL, PARAMS, SIGNED)


@pytest.fixture
def uow():
    return FakeUnitOfWork(FakeNotificationsRepository(), source=c.NOTIFICATIONS)


def call(uow, params: dict, token: str = TOKEN):
    signature = d.twilio_signature(token, WEBHOOK, params)
    return uow.run(
        handlers.receive_twilio, {"params": params, "signature": signature}, NOON, SETTINGS
    )


def test_a_reply_of_stop_from_the_workers_number_opts_her_out_and_mulai_back_in(uow):
    heard(uow, event(c.WORKER_REGISTERED, {}))
    reply = {"From": "+6281234567890", "Body": "STOP", "MessageSid": "SM1"}
    assert call(uow, reply) == {"intent": "opt_out", "people": 1}
    assert uow.repository.person(WORKER_ID).opted_out_at == NOON
    assert call(uow, {**reply, "Body": "mulai"}) == {"intent": "opt_in", "people": 1}
    assert uow.repository.person(WORKER_ID).opted_out_at is None


def test_a_call_signed_with_another_token_is_refused_and_changes_nothing(uow):
    heard(uow, event(c.WORKER_REGISTERED, {}))
    with pytest.raises(Forbidden):
        call(uow, {"From": "+6281234567890", "Body": "BERHENTI"}, token="not-the-token")
    assert uow.repository.person(WORKER_ID).opted_out_at is None


def test_a_status_callback_is_the_messages_delivery_report(uow):
    class Twilio(OutboxChannel):
        provider = "twilio"

        def send(self, message):
            return "SM0001"

    heard(uow, event(c.WORKER_REGISTERED, {}))
    send_due(transaction_over(uow), Twilio(d.SMS), lambda: NOON)
    on_the_way = call(uow, {"MessageSid": "SM0001", "MessageStatus": "sent"})
    assert (on_the_way["delivery_status"], on_the_way["changed"]) == (None, False)
    failed = call(
        uow, {"MessageSid": "SM0001", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    )
    assert (failed["delivery_status"], failed["changed"]) == ("failed", True)
    (message,) = uow.repository.messages.values()
    assert message.delivery_error == "Twilio error 30003"
    assert message.delivery_reported_at == NOON  # Twilio's callback says no time: when heard
