"""The worker's app's sign-in rules, without I/O: a code's tries and lifetime, a challenge for
no one, a refresh token spent and presented again."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.app import signin as s

NOW = dt.datetime(2026, 12, 6, 3, tzinfo=dt.UTC)
KEY = b"k" * 32


def challenge(worker_id: str | None = "w-1", code: str = "123456") -> s.Challenge:
    made = s.Challenge("c-1", worker_id, "", NOW, NOW + s.CODE_LIFETIME)
    made.code_digest = s.digest(KEY, made.id, code)
    return made


def test_the_right_code_in_time_signs_her_in_once():
    sent = challenge()
    assert sent.try_code(s.digest(KEY, "c-1", "123456"), NOW) == "w-1"
    with pytest.raises(s.SignInRefused):
        sent.try_code(s.digest(KEY, "c-1", "123456"), NOW)


def test_a_code_is_refused_at_five_minutes_and_after_five_tries():
    with pytest.raises(s.SignInRefused, match="salah"):
        challenge().try_code(s.digest(KEY, "c-1", "123456"), NOW + s.CODE_LIFETIME)
    tried = challenge()
    for _ in range(s.MAX_TRIES):
        with pytest.raises(s.SignInRefused):
            tried.try_code(s.digest(KEY, "c-1", "654321"), NOW)
    with pytest.raises(s.SignInRefused, match="lima kali"):
        tried.try_code(s.digest(KEY, "c-1", "123456"), NOW)
    assert tried.tries == s.MAX_TRIES


def test_a_challenge_for_no_one_refuses_as_a_wrong_code_does():
    with pytest.raises(s.SignInRefused) as nobody:
        challenge(worker_id=None).try_code(s.digest(KEY, "c-1", "123456"), NOW)
    with pytest.raises(s.SignInRefused) as wrong:
        challenge().try_code(s.digest(KEY, "c-1", "000000"), NOW)
    assert str(nobody.value) == str(wrong.value)


def test_codes_are_six_digits_and_kept_as_keyed_digests():
    codes = {s.new_code() for _ in range(200)}
    assert all(len(code) == 6 and code.isdigit() for code in codes) and len(codes) > 150
    assert s.digest(KEY, "c-1", "123456") != s.digest(b"x" * 32, "c-1", "123456")


def test_a_spent_refresh_token_presented_again_ends_the_device():
    device = s.Device("d-1", "w-1", "Android", NOW, NOW)
    token = s.RefreshToken("x", "d-1", NOW, NOW + s.REFRESH_LIFETIME, "j", NOW)
    s.check_refresh(token, device, NOW)
    token.rotated_at = NOW
    with pytest.raises(s.SignInRefused):
        s.check_refresh(token, device, NOW)
    assert device.end_reason == s.REUSED and not device.active


def test_an_ended_device_or_an_old_token_trades_nothing():
    device = s.Device("d-1", "w-1", "Android", NOW, NOW)
    token = s.RefreshToken("x", "d-1", NOW, NOW + s.REFRESH_LIFETIME, "j", NOW)
    with pytest.raises(s.SignInRefused):
        s.check_refresh(token, device, NOW + s.REFRESH_LIFETIME)
    device.end("operator:desk", s.BY_DESK, NOW)
    with pytest.raises(s.SignInRefused):
        s.check_refresh(token, device, NOW)
    assert device.end_reason == s.BY_DESK
