"""Tokens and the signing secret, without a running gateway."""

import base64
import datetime as dt
import json
import uuid

import jwt
import pytest

from gateway.auth import (
    DEVELOPMENT_SECRET,
    Caller,
    Unauthenticated,
    authenticate,
    mint,
    secret_problem,
    signing_secret,
)
from gateway.revocations import RecentAnswers
from gateway.service import GatewayService
from gateway.token_policy import TokenPolicy
from pmi_common import production

SECRET = "unit-test-secret-that-is-long-enough-to-sign"


def bearer(token: str) -> str:
    return f"Bearer {token}"


def test_a_minted_token_names_its_caller():
    token = mint(SECRET, "agency", "bpjs-1", agency="bpjs-ketenagakerjaan")
    assert authenticate(bearer(token), SECRET) == Caller("agency", "bpjs-1", "bpjs-ketenagakerjaan")


def test_an_expired_token_is_refused():
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=9)
    with pytest.raises(Unauthenticated, match="expired"):
        authenticate(bearer(mint(SECRET, "operator", "desk-1", now=past)), SECRET)


def test_an_unsigned_token_is_refused():
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    unsigned = f"{part({'alg': 'none'})}.{part({'sub': 'x', 'role': 'admin', 'exp': 4e9})}."
    with pytest.raises(Unauthenticated, match="not valid"):
        authenticate(bearer(unsigned), SECRET)


def test_a_token_signed_with_another_key_or_algorithm_is_refused():
    claims = {
        "sub": "x",
        "role": "admin",
        "iat": dt.datetime.now(dt.UTC),
        "exp": dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
        "iss": "pmi-lifecycle",
        "aud": "pmi-gateway",
    }
    with pytest.raises(Unauthenticated):
        authenticate(bearer(jwt.encode(claims, "another-key-" * 4, algorithm="HS256")), SECRET)
    with pytest.raises(Unauthenticated):
        authenticate(bearer(jwt.encode(claims, SECRET * 2, algorithm="HS512")), SECRET * 2)


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Token abc", "Bearer a.b.c"])
def test_a_missing_or_malformed_header_is_refused(header):
    with pytest.raises(Unauthenticated):
        authenticate(header, SECRET)


@pytest.mark.parametrize(
    "claims, reason",
    [
        ({"role": "superuser"}, "role"),
        ({"role": None}, "role"),
        ({"sub": ""}, "sub"),
        ({"role": "worker", "sub": "siti"}, "worker's id"),
        ({"role": "agency", "agency": None}, "agency"),
        ({"agency": 7}, "agency"),
    ],
)
def test_claims_that_name_no_caller_are_refused(claims, reason):
    base = {
        "sub": "desk-1",
        "role": "operator",
        "agency": None,
        "iat": dt.datetime.now(dt.UTC),
        "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
        "iss": "pmi-lifecycle",
        "aud": "pmi-gateway",
    }
    token = jwt.encode({**base, **claims}, SECRET, algorithm="HS256")
    with pytest.raises(Unauthenticated, match=reason):
        authenticate(bearer(token), SECRET)


def test_a_worker_token_names_the_worker_by_its_canonical_id():
    worker_id = uuid.uuid4()
    token = mint(SECRET, "worker", str(worker_id).upper())
    assert authenticate(bearer(token), SECRET).subject == str(worker_id)


@pytest.mark.parametrize(
    "config, problem",
    [
        ({"PMI_ENV": "production"}, "not set"),
        ({"PMI_ENV": "production", "JWT_SECRET": DEVELOPMENT_SECRET}, "default"),
        ({"PMI_ENV": "production", "JWT_SECRET": "changeme"}, "default"),
        ({"PMI_ENV": "staging", "JWT_SECRET": "short-secret"}, "shorter"),
        ({"JWT_SECRET": ""}, "not set"),
    ],
)
def test_the_gateway_refuses_to_start_without_a_real_secret_outside_development(config, problem):
    assert problem in secret_problem(config)
    with pytest.raises(SystemExit, match=problem):
        production.check("gateway", config, env={})


def test_development_may_run_on_the_development_secret(capsys):
    config = {"PMI_ENV": "development", "JWT_SECRET": ""}
    GatewayService.check_config(config)
    assert "WARNING" in capsys.readouterr().err
    assert signing_secret(config) == DEVELOPMENT_SECRET
    assert signing_secret({"PMI_ENV": "production", "JWT_SECRET": SECRET}) == SECRET


# iat, lifetime, iss, aud, leeway -------------------------------------------------------------


def signed(**claims) -> str:
    """A token issued now (the gateway's clock), as an identity provider would sign it."""
    now = dt.datetime.now(dt.UTC)
    base = {
        "sub": "desk-1",
        "role": "operator",
        "agency": "ltsa-blitar",
        "iat": now,
        "exp": now + dt.timedelta(hours=8),
        "iss": "pmi-lifecycle",
        "aud": "pmi-gateway",
    }
    return bearer(
        jwt.encode(
            {k: v for k, v in {**base, **claims}.items() if v is not None},
            SECRET,
            algorithm="HS256",
        )
    )


def after(**delta) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(**delta)


@pytest.mark.parametrize("claim", ["iat", "exp", "iss", "aud"])
def test_a_token_without_iat_exp_iss_or_aud_is_refused(claim):
    with pytest.raises(Unauthenticated, match=f"must carry the {claim} claim"):
        authenticate(signed(**{claim: None}), SECRET)


def test_a_ten_year_token_is_refused_and_a_workers_app_may_keep_one_for_thirty_days():
    with pytest.raises(Unauthenticated, match="lives longer than a admin token may"):
        authenticate(signed(role="admin", exp=after(days=3650)), SECRET)
    with pytest.raises(Unauthenticated, match="12 hours"):
        authenticate(signed(exp=after(hours=13)), SECRET)
    worker = str(uuid.uuid4())
    month = signed(role="worker", sub=worker, exp=after(days=30))
    assert authenticate(month, SECRET).subject == worker
    with pytest.raises(Unauthenticated, match="720 hours"):
        authenticate(signed(role="worker", sub=worker, exp=after(days=31)), SECRET)


def test_lifetime_caps_come_from_configuration():
    policy = TokenPolicy.from_config({"JWT_MAX_HOURS": "operator=1,*=24"})
    with pytest.raises(Unauthenticated, match="1 hours"):
        authenticate(signed(exp=after(hours=2)), SECRET, policy)
    assert authenticate(signed(role="admin", exp=after(hours=20)), SECRET, policy)
    with pytest.raises(ValueError, match="role=hours"):
        TokenPolicy.from_config({"JWT_MAX_HOURS": "operator=soon,*=1"})
    with pytest.raises(ValueError, match="every other role"):
        TokenPolicy.from_config({"JWT_MAX_HOURS": "worker=720"})


def test_iss_and_aud_are_pinned_by_configuration():
    policy = TokenPolicy.from_config(
        {"JWT_ISSUER": "https://sso.blitarkab.go.id", "JWT_AUDIENCE": "pmi-blitar"}
    )
    with pytest.raises(Unauthenticated, match="iss must be https://sso.blitarkab.go.id"):
        authenticate(signed(aud="pmi-blitar"), SECRET, policy)
    with pytest.raises(Unauthenticated, match="aud must name pmi-blitar"):
        authenticate(signed(iss="https://sso.blitarkab.go.id"), SECRET, policy)
    assert authenticate(
        signed(iss="https://sso.blitarkab.go.id", aud=["other", "pmi-blitar"]), SECRET, policy
    )


def test_clocks_get_thirty_seconds_of_leeway():
    ahead = after(seconds=1)  # the issuer's clock runs one second ahead
    assert authenticate(signed(iat=ahead, exp=ahead + dt.timedelta(hours=1)), SECRET)
    later = after(seconds=25)
    assert authenticate(signed(iat=later, exp=later + dt.timedelta(hours=1)), SECRET)
    with pytest.raises(Unauthenticated, match="issued in the future"):
        far = after(seconds=40)
        authenticate(signed(iat=far, exp=far + dt.timedelta(hours=1)), SECRET)
    just_expired = after(seconds=-20)
    assert authenticate(signed(iat=after(hours=-1), exp=just_expired), SECRET)
    with pytest.raises(Unauthenticated, match="expired"):
        authenticate(signed(iat=after(hours=-1), exp=after(seconds=-40)), SECRET)


# tokens verified once (VerifiedTokens) --------------------------------------------------------


def test_a_remembered_token_still_expires(monkeypatch):
    from gateway import auth

    tokens = auth.VerifiedTokens(SECRET, TokenPolicy(leeway=0))
    issued = dt.datetime.now(dt.UTC)
    header = bearer(mint(SECRET, "operator", "desk-1", ttl=dt.timedelta(minutes=5), now=issued))
    assert tokens.caller(header) == tokens.caller(header) == Caller("operator", "desk-1")
    assert len(tokens) == 1
    later = issued.timestamp() + 5 * 60 + 1
    monkeypatch.setattr(auth.time, "time", lambda: later)
    monkeypatch.setattr(jwt.api_jwt, "datetime", _frozen_datetime(later))
    with pytest.raises(Unauthenticated, match="expired"):
        tokens.caller(header)
    assert len(tokens) == 0


def _frozen_datetime(timestamp: float):
    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime.fromtimestamp(timestamp, tz)

    return Frozen


def test_tokens_refused_are_refused_every_time_and_not_remembered():
    from gateway.auth import VerifiedTokens

    tokens = VerifiedTokens(SECRET)
    forged = bearer(mint("another-secret-that-is-long-enough-too", "admin", "mallory"))
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            tokens.caller(forged)
    with pytest.raises(Unauthenticated):
        tokens.caller(None)
    assert len(tokens) == 0


def test_a_token_differing_by_one_character_is_verified_on_its_own():
    from gateway.auth import VerifiedTokens

    tokens = VerifiedTokens(SECRET)
    token = mint(SECRET, "operator", "desk-1")
    assert tokens.caller(bearer(token)).role == "operator"
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(Unauthenticated):
        tokens.caller(bearer(tampered))


def test_at_most_size_tokens_are_remembered():
    from gateway.auth import VerifiedTokens

    tokens = VerifiedTokens(SECRET, size=3)
    headers = [bearer(mint(SECRET, "operator", f"desk-{n}")) for n in range(5)]
    assert [tokens.caller(h).subject for h in headers] == [f"desk-{n}" for n in range(5)]
    assert len(tokens) == 3


# revocation: checked after the memory of verified tokens ------------------------------------


def test_a_remembered_token_is_refused_once_its_subject_is_revoked():
    from gateway.auth import VerifiedTokens

    not_before: dict[str, float] = {}  # a fake of the revocation book: subject -> not_before

    def revoked(caller: Caller) -> str | None:
        cut = not_before.get(caller.subject)
        return "revoked" if cut is not None and caller.issued_at < cut else None

    tokens = VerifiedTokens(SECRET, revoked=revoked)
    issued = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    header = bearer(mint(SECRET, "operator", "desk-1", now=issued))
    assert tokens.caller(header).subject == "desk-1"
    assert len(tokens) == 1  # remembered

    not_before["desk-1"] = issued.timestamp() + 30
    with pytest.raises(Unauthenticated, match="revoked"):
        tokens.caller(header)
    later = bearer(mint(SECRET, "operator", "desk-1", now=issued + dt.timedelta(seconds=31)))
    assert tokens.caller(later).subject == "desk-1"  # signing in again works


def test_a_remembered_token_is_refused_once_its_id_is_revoked():
    from gateway.auth import VerifiedTokens

    denied: set[str] = set()
    tokens = VerifiedTokens(
        SECRET, revoked=lambda caller: "revoked" if caller.token_id in denied else None
    )
    header, other = (bearer(mint(SECRET, "worker", str(uuid.uuid4()))) for _ in range(2))
    caller = tokens.caller(header)
    assert caller.token_id and caller.token_id != tokens.caller(other).token_id
    denied.add(caller.token_id)
    with pytest.raises(Unauthenticated, match="revoked"):
        tokens.caller(header)
    assert tokens.caller(other).role == "worker"


def test_whether_a_token_is_revoked_is_asked_again_only_after_the_recheck_window():
    asked, now, cut = [], [100.0], [None]

    def refusal(caller: Caller) -> str | None:
        asked.append(caller.subject)
        return "revoked" if cut[0] is not None and caller.issued_at < cut[0] else None

    answers = RecentAnswers(refusal, seconds=1.0, clock=lambda: now[0])
    phone = Caller("worker", "w-1", issued_at=50)
    assert [answers(phone) for _ in range(100)] == [None] * 100
    assert asked == ["w-1"]  # one lookup for a hundred requests

    cut[0] = 60  # revoked elsewhere (another instance, pmi token revoke)
    now[0] += 0.5
    assert answers(phone) is None  # within the window: still the remembered answer
    now[0] += 0.6
    assert answers(phone) == "revoked" and len(asked) == 2  # past it: asked, and refused

    other = Caller("worker", "w-2", issued_at=80)
    assert answers(other) is None
    cut[0] = 90
    answers.forget()  # revoked through this instance
    assert answers(other) == "revoked"


def test_with_no_recheck_window_every_request_asks_and_memory_stays_bounded():
    asked = []
    always = RecentAnswers(lambda caller: asked.append(caller) or None, seconds=0)
    for _ in range(3):
        always(Caller("worker", "w-1", issued_at=1))
    assert len(asked) == 3

    bounded = RecentAnswers(lambda caller: None, seconds=60, size=10)
    for n in range(25):
        bounded(Caller("operator", f"desk-{n}", issued_at=1, token_id=f"t-{n}"))
    assert len(bounded._answers) == 10


def test_a_village_office_speaks_for_the_one_village_its_token_names():
    token = mint(SECRET, "village", "kades-1", village="35.05.12.2001")
    caller = authenticate(bearer(token), SECRET)
    assert caller.actor == {
        "role": "village",
        "agency": None,
        "subject": "kades-1",
        "village": "35.05.12.2001",
    }
    for village in (None, "Kademangan", "35.05.12.200"):
        with pytest.raises(Unauthenticated, match="village"):
            authenticate(bearer(mint(SECRET, "village", "kades-1", village=village)), SECRET)
    # another role's token carries no village, whatever it claims
    desk = authenticate(bearer(mint(SECRET, "operator", "desk-1", village="35.05.12.2001")), SECRET)
    assert desk.village is None and "village" not in desk.actor
