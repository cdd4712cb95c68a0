"""Signing in to the worker's app, on the real broker and databases, the code read where it
arrives: at a fake SMS provider that is a real HTTP server. A wrong code, an expired one (the
gateway's clock moved), five tries, the limits per NIK and per phone, the same answer for a NIK
not on record, a refresh token rotated and its reuse ending the device, and the desk ending a
device."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from gateway.app.door import AppSignIn
from gateway.testing import ApiClient, gateway_config
from pmi_common import contract as c
from pmi_common.clock import Clock, FixedClock
from pmi_common.runner import service_class
from services.notifications.service import NotificationsService
from tests.helpers import wait_for, worker_payload
from tests.receivers import SmsProvider

TOKEN = "sms-provider-token-of-the-tests"
NIGHT = dt.datetime(2026, 5, 13, 15, 0, tzinfo=dt.UTC)  # 22:00 in Blitar
CODE = re.compile(r"\b([0-9]{6})\b")


class Platform:
    def __init__(self, api: ApiClient, sign_in: AppSignIn, sms: SmsProvider):
        self.api, self.sign_in, self.sms = api, sign_in, sms
        self.desk = api.as_role("operator", "desk-1")

    def register(self, **overrides) -> dict:
        payload = worker_payload(**overrides)
        answer = self.desk.post("/workers", json=payload)
        assert answer.status_code == 201, answer.text
        return {**answer.json(), "_nik": payload["nik"]}

    def ask(self, nik: str, phone: str):
        return self.api.anonymous().post("/app/sign-in", json={"nik": nik, "phone": phone})

    def texts_to(self, phone: str) -> list[str]:
        """The sign-in codes' messages the provider took for ``phone``."""
        return [
            body["text"]
            for body in self.sms.accepted()
            if body["to"] == phone and body["text"].startswith("Kode masuk")
        ]

    def code_sent(self, phone: str, count: int = 1) -> str:
        texts = wait_for(
            lambda: len(self.texts_to(phone)) >= count and self.texts_to(phone),
            message="the sign-in code at the SMS provider",
        )
        return CODE.search(texts[count - 1]).group(1)

    def verify(self, challenge: str, code: str, device: str = "Android Go"):
        return self.api.anonymous().post(
            "/app/sign-in/verify",
            json={"challenge": challenge, "code": code, "device_name": device},
        )

    def signed_in(self, worker: dict, phone: str = "+6281234567890") -> dict:
        before = len(self.texts_to(phone))
        asked = self.ask(worker["_nik"], phone)
        assert asked.status_code == 202, asked.text
        code = self.code_sent(phone, before + 1)
        answer = self.verify(asked.json()["challenge"], code)
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def sms():
    running = SmsProvider()
    yield running
    running.close()


@pytest.fixture
def start(container_factory, config_for, sms):
    def started(**overrides) -> Platform:
        notifications = container_factory(
            NotificationsService,
            config_for(
                "notifications",
                PMI_ENV="development",
                NOTIFY_SMS_PROVIDER="json",
                NOTIFY_SMS_URL=sms.url,
                NOTIFY_SMS_TOKEN=TOKEN,
                NOTIFY_SEND_SECONDS=0.1,
            ),
        )
        # 22:00 WIB, in the quiet hours: a sign-in code goes all the same
        next(d for d in notifications.dependencies if isinstance(d, Clock)).clock = FixedClock(
            NIGHT
        )
        notifications.start()
        container_factory(service_class(c.REGISTRATION), config_for(c.REGISTRATION)).start()
        config = gateway_config(config_for("gateway"), **overrides)
        gateway = container_factory(service_class("gateway"), config)
        sign_in = next(d for d in gateway.dependencies if isinstance(d, AppSignIn))
        gateway.start()
        return Platform(ApiClient.for_config(config), sign_in, sms)

    return started


@pytest.fixture
def platform(start) -> Platform:
    return start()


def test_a_worker_signs_in_with_the_code_sent_to_her_phone_and_reads_her_record(platform):
    siti = platform.register()
    asked = platform.ask(siti_nik(siti), "081234567890")  # the number on record, written locally
    assert asked.status_code == 202, asked.text
    code = platform.code_sent("+6281234567890")
    assert "Kode masuk PMI Anda" in platform.texts_to("+6281234567890")[0]

    wrong = platform.verify(asked.json()["challenge"], f"{(int(code) + 1) % 1_000_000:06d}")
    assert wrong.status_code == 401
    signed = platform.verify(asked.json()["challenge"], code)
    assert signed.status_code == 200, signed.text
    tokens = signed.json()
    assert tokens["worker_id"] == siti["id"] and tokens["expires_in"] == 900
    assert platform.verify(asked.json()["challenge"], code).status_code == 401  # used once

    her = platform.api.with_token(tokens["access_token"])
    assert her.get(f"/workers/{siti['id']}").json()["id"] == siti["id"]
    assert her.get(f"/workers/{other_id()}").status_code == 403
    (device,) = her.get(f"/workers/{siti['id']}/devices").json()
    assert device["id"] == tokens["device_id"] and device["name"] == "Android Go"
    # her message log shows the code's message, never the code
    log = wait_for(
        lambda: [
            m
            for m in her.get(f"/workers/{siti['id']}/notifications").json()["items"]
            if m["kind"] == "sign_in_code"
        ],
        message="the code's message in her log",
    )
    assert code not in log[0]["body"] and "******" in log[0]["body"]


def test_a_nik_or_phone_not_on_record_gets_the_same_answer_and_no_message(platform):
    siti = platform.register()
    unknown = platform.ask("3505125703949999", "+6281234567890")
    wrong_phone = platform.ask(siti_nik(siti), "+6289999999999")
    known = platform.ask(siti_nik(siti), "+6281234567890")
    answers = [unknown, wrong_phone, known]
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert len({frozenset(a.json()) for a in answers}) == 1
    assert len({(a.json()["expires_in"], a.json()["tries"]) for a in answers}) == 1
    code = platform.code_sent("+6281234567890")
    assert len(platform.texts_to("+6281234567890")) == 1  # the others sent nothing
    wrong = platform.verify(known.json()["challenge"], f"{(int(code) + 1) % 1_000_000:06d}")
    for refused in (unknown, wrong_phone):
        answer = platform.verify(refused.json()["challenge"], code)
        assert answer.status_code == 401
        assert answer.json()["detail"] == wrong.json()["detail"]


def test_five_wrong_tries_spend_the_code(platform):
    siti = platform.register()
    asked = platform.ask(siti_nik(siti), "+6281234567890").json()["challenge"]
    code = platform.code_sent("+6281234567890")
    wrong = f"{(int(code) + 7) % 1_000_000:06d}"
    for _ in range(5):
        assert platform.verify(asked, wrong).status_code == 401
    spent = platform.verify(asked, code)
    assert spent.status_code == 401 and "lima kali" in spent.json()["detail"]


def test_a_code_expires_after_five_minutes_on_the_gateways_clock(platform):
    clock = FixedClock(dt.datetime.now(dt.UTC))
    platform.sign_in.clock = clock
    siti = platform.register()
    asked = platform.ask(siti_nik(siti), "+6281234567890").json()["challenge"]
    code = platform.code_sent("+6281234567890")
    clock.advance(minutes=5)
    assert platform.verify(asked, code).status_code == 401
    clock.advance(minutes=-1)  # within its five minutes, it would have signed her in
    assert platform.verify(asked, code).status_code == 200


def test_codes_are_limited_per_nik_and_per_phone_known_or_not(start):
    platform = start(RATE_LIMIT_SIGN_IN="2/15minutes")
    nik = "3505125703949998"  # on no record
    assert [platform.ask(nik, f"+62812000000{n}").status_code for n in range(3)] == [202, 202, 429]
    phone = "+6281300000000"
    niks = [f"350512570394{n:04d}" for n in range(9001, 9004)]
    answers = [platform.ask(n, phone) for n in niks]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0


def test_a_refresh_token_rotates_and_its_reuse_ends_the_device(platform):
    siti = platform.register()
    first = platform.signed_in(siti)
    anonymous = platform.api.anonymous()
    second = anonymous.post("/app/token", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["device_id"] == first["device_id"]
    assert second["refresh_token"] != first["refresh_token"]
    her = platform.api.with_token(second["access_token"])
    assert her.get(f"/workers/{siti['id']}").status_code == 200

    # the first refresh token again: someone holds a copy; the device ends, every token with it
    reused = anonymous.post("/app/token", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert (
        anonymous.post("/app/token", json={"refresh_token": second["refresh_token"]}).status_code
        == 401
    )
    assert her.get(f"/workers/{siti['id']}").status_code == 401
    (device,) = platform.desk.get(f"/workers/{siti['id']}/devices").json()
    assert not device["active"] and device["end_reason"] == "refresh_token_reused"


def test_the_desk_ends_a_lost_phone_and_the_other_device_goes_on(platform):
    siti = platform.register()
    lost = platform.signed_in(siti)
    kept = platform.signed_in(siti)
    devices = f"/workers/{siti['id']}/devices"
    assert platform.api.as_role("worker", other_id()).get(devices).status_code == 403

    ended = platform.desk.delete(f"{devices}/{lost['device_id']}")
    assert ended.status_code == 200, ended.text
    assert ended.json()["end_reason"] == "ended_by_desk"
    assert ended.json()["ended_by"] == "operator:desk-1"
    assert (
        platform.api.with_token(lost["access_token"]).get(f"/workers/{siti['id']}").status_code
        == 401
    )
    assert (
        platform.api.anonymous()
        .post("/app/token", json={"refresh_token": lost["refresh_token"]})
        .status_code
        == 401
    )
    her = platform.api.with_token(kept["access_token"])
    assert her.get(f"/workers/{siti['id']}").status_code == 200
    # and she ends the other herself
    assert her.delete(f"{devices}/{kept['device_id']}").json()["end_reason"] == "signed_out"
    assert her.get(f"/workers/{siti['id']}").status_code == 401


def test_old_codes_and_refresh_tokens_that_can_no_longer_be_used_are_pruned(platform):
    clock = FixedClock(dt.datetime.now(dt.UTC))
    platform.sign_in.clock = clock
    prune = platform.sign_in.get_dependency(None).prune
    siti = platform.register()
    phone = platform.signed_in(siti)
    anonymous = platform.api.anonymous()
    spent = phone["refresh_token"]
    live = anonymous.post("/app/token", json={"refresh_token": spent}).json()["refresh_token"]
    lost = platform.signed_in(siti)
    ended = platform.desk.delete(f"/workers/{siti['id']}/devices/{lost['device_id']}")
    assert ended.status_code == 200, ended.text
    nothing = {"codes_deleted": 0, "refresh_tokens_deleted": 0}
    assert prune() == nothing  # the codes expired minutes ago, every token is still of use

    # two days on: both codes, and the lost phone's token (its device ended, its access token
    # expired); the spent token stays until it expires, so that a copy of it still gives it away
    clock.advance(days=2)
    assert prune() == {"codes_deleted": 2, "refresh_tokens_deleted": 1}
    assert prune() == nothing
    reused = anonymous.post("/app/token", json={"refresh_token": spent})
    assert reused.status_code == 401
    devices = platform.desk.get(f"/workers/{siti['id']}/devices").json()
    reasons = {d["id"]: d["end_reason"] for d in devices}
    assert reasons == {
        phone["device_id"]: "refresh_token_reused",
        lost["device_id"]: "ended_by_desk",
    }
    assert anonymous.post("/app/token", json={"refresh_token": live}).status_code == 401

    # thirty days on, the others have expired: gone; the devices stay, for her list
    clock.advance(days=29)
    assert prune() == {"codes_deleted": 0, "refresh_tokens_deleted": 2}
    assert len(platform.desk.get(f"/workers/{siti['id']}/devices").json()) == 2


def siti_nik(worker: dict) -> str:
    return worker["_nik"]


def other_id() -> str:
    return "00000000-0000-4000-8000-000000000001"
