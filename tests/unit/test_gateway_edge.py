"""Reading requests at the edge, masking answers and fingerprinting writes: no I/O."""

import uuid

import pytest

from gateway import edge, privacy
from gateway.idempotency import fingerprint, valid_key
from gateway.problems import Problem
from gateway.routes import ROUTES
from pmi_common.errors import InvalidInput


@pytest.mark.parametrize(
    "raw", [b'{"a": NaN}', b'{"a": Infinity}', b"[" * 5000 + b"]" * 5000, b"\xff", b'{"a": 1']
)
def test_json_that_is_not_json_or_too_deep_is_a_400(raw):
    with pytest.raises(Problem) as refused:
        edge.parse_json(raw)
    assert refused.value.status == 400


def test_a_nul_character_is_refused_with_the_path_to_it():
    with pytest.raises(InvalidInput) as refused:
        edge._refuse_nul({"rounds": [{"name": "ok"}, {"name": "pi\x00tch"}]}, "the body")
    assert refused.value.details == {"rounds.1.name": ["must not contain NUL characters"]}


def test_the_trainer_sees_identity_numbers_masked_and_no_private_details():
    worker = {
        "id": "w1",
        "nik": "3505125703940002",
        "birth_date": "1994-03-17",
        "phone": "+6281234567890",
        "bpjs_number": "12345678901",
        "address": {"street": "Jl. Merdeka 1", "regency": "Blitar"},
        "documents": [{"type": "passport", "number": "C4812379"}],
    }

    seen = privacy.shape({"items": [worker]}, "trainer", "list_workers")["items"][0]

    assert seen == {
        "id": "w1",
        "nik": "350512******0002",
        "bpjs_number": "********901",
        "address": {"regency": "Blitar"},
    }
    document = privacy.shape(worker["documents"][0], "trainer", "get_document")
    assert document == {"type": "passport", "number": "*****379"}
    assert privacy.shape(worker, "operator", "get_worker") is worker


def test_a_request_has_one_fingerprint_whatever_the_order_of_its_fields():
    same = fingerprint("POST", "/w", {"b": 2, "a": 1})
    assert fingerprint("POST", "/w", {"a": 1, "b": 2}) == same
    assert fingerprint("POST", "/w", {"a": 1}) != fingerprint("POST", "/w", {"a": 2})
    assert fingerprint("POST", "/w", {"a": 1}) != fingerprint("POST", "/v", {"a": 1})


@pytest.mark.parametrize(
    "key, valid",
    [
        ("k", True),
        ("order-42 retry", True),
        ("", False),
        ("x" * 256, False),
        ("kunci-é", False),
        ("a\tb", False),
    ],
)
def test_an_idempotency_key_is_printable_ascii_of_at_most_255(key, valid):
    assert valid_key(key) is valid


def _request(headers: dict | None = None, body: dict | None = None):
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    return Request(EnvironBuilder(method="POST", headers=headers, json=body).get_environ())


def test_a_request_id_is_a_uuid_or_a_short_token_without_a_nik_like_number():
    def given(value: str) -> str:
        return edge.request_id(_request({"X-Request-ID": value}))

    an_id = "9f2c1a4e-0b6d-4c3e-8a71-5d2e3f4a5b6c"
    for kept in ("desk-42", "req-2026-0042", an_id, "a" * 64):
        assert given(kept) == kept
    for hostile in (
        "nik-3505125703940001",
        "3505 1257 0394 0001",
        "3201/0145/0190/0001",
        "3201.0145.0190.0001",
        "trace:3201_0145_0190_0001",
        "a" * 65,
        "desk 42",
        "kunci-é",
        "<script>",
    ):
        replaced = given(hostile)
        assert replaced != hostile and "0145" not in replaced and "3505" not in replaced
        assert str(uuid.UUID(replaced)) == replaced  # a fresh id


def _route(name: str):
    return next(route for route in ROUTES if route.name == name)


@pytest.mark.parametrize(
    "name, body, where",
    [
        ("withdraw_worker", {"reason": "NIK 3505/1257/0394/0001 salah"}, "reason"),
        ("withdraw_worker", {"reason": "3505\u00a01257 0394\u20130001"}, "reason"),
        (
            "create_program",
            {
                "name": "PMI 2027",
                "audience": "both",
                "capacity": 10,
                "starts_on": "2027-04-01",
                "rounds": [
                    {"name": "ok", "advance": 5},
                    {"name": "3505 1257 0394 0001", "advance": 1},
                ],
            },
            "rounds.1.name",
        ),
    ],
)
def test_free_text_holding_a_nik_like_number_is_refused_at_the_door(name, body, where):
    with pytest.raises(Problem) as refused:
        edge.read_body(_route(name), _request(body=body))

    problem = refused.value
    assert (problem.status, problem.slug) == (422, "nik-in-free-text")
    assert problem.title.startswith("Teks bebas memuat nomor mirip NIK")
    assert list(problem.errors) == [where] and "0394" not in problem.detail


def test_free_text_with_ordinary_numbers_and_a_nik_in_its_own_field_pass_the_door():
    reason = {"reason": "pulang 12/03/2024, biaya Rp 1.500.000, telp 0812 3456 7890"}
    assert edge.read_body(_route("withdraw_worker"), _request(body=reason)) == reason
    attendance = {"worker_id": str(uuid.uuid4()), "nik": "3505125703940001"}
    assert edge.read_body(_route("record_attendance"), _request(body=attendance))
