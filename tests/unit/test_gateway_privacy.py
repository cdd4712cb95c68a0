"""What masked roles (agency, trainer) and anonymous callers see: an allow-list per route, at
every level. No I/O."""

import pytest
from marshmallow import Schema, fields

from gateway import privacy
from gateway.agency_reads import SHAPED
from gateway.roles import AGENCY, MASKED, TRAINER
from gateway.routes import BY_NAME, ROUTES
from pmi_common import contract as c

UNLISTED = "unlisted_field"
SECRET = "SECRET-VALUE"


def callers_shaped(route) -> set:
    """The masked roles and the anonymous caller (None) that reach ``route``."""
    return ({None} if route.public else set()) | (route.roles & MASKED)


SHAPED_ROUTES = [
    (route.name, caller)
    for route in ROUTES
    if route.personal
    for caller in sorted(callers_shaped(route), key=str)
]


def test_every_personal_route_a_masked_role_or_an_anonymous_caller_reaches_lists_its_view():
    for name, caller in SHAPED_ROUTES:
        assert privacy.view_for(name, caller) is not None
    reached = {name for name, _ in SHAPED_ROUTES}
    assert set(privacy.VIEWS) == reached, "a view listed for a route no masked role reaches"
    assert set(privacy.AGENCY_VIEWS) == set(SHAPED)


def test_a_route_without_a_listed_view_answers_a_masked_role_nothing():
    with pytest.raises(privacy.NoView):
        privacy.shape({"id": "w1"}, TRAINER, "export_worker")
    assert privacy.shape({"id": "w1", "x": 1}, "operator", "export_worker") == {"id": "w1", "x": 1}


def sample(spec, depth=0):
    """An answer with every listed key filled, and an unlisted key at every level."""
    if spec is privacy.PASS or isinstance(spec, privacy.Shortened):
        return "value"
    if spec is privacy.COUNTS:
        return {"Blitar": 7, UNLISTED: SECRET, "nested": {UNLISTED: SECRET, "x": 1}}
    if isinstance(spec, privacy.Chosen):
        return [sample(spec.choose({"event_type": t}), depth) | {"event_type": t} for t in TYPES]
    answer = {key: sample(sub, depth + 1) for key, sub in spec.items()}
    answer[UNLISTED] = SECRET
    answer[f"{UNLISTED}_object"] = {"full_name": SECRET}
    return answer


TYPES = [spec.event_type for spec in c.CONTRACT] + ["bpjs_number_recorded", "something_new"]


@pytest.mark.parametrize(("route", "caller"), SHAPED_ROUTES)
def test_no_field_that_is_not_on_the_list_reaches_a_masked_role(route, caller):
    spec = privacy.view_for(route, caller)
    answer = sample(spec)

    shown = privacy.shape(answer, caller, route)

    assert SECRET not in repr(shown)
    assert UNLISTED not in repr(shown)
    assert shown  # what is listed passes


def test_a_trainer_reads_a_timeline_without_the_family_s_personal_data_nor_a_death_s_cause():
    timeline = [
        {
            "event_type": c.FAMILY_MEMBER_ADDED,
            "occurred_at": "2026-01-02T03:04:05+00:00",
            "details": {
                "member_id": "m1",
                "relation": "spouse",
                "full_name": "Siti Aminah",
                "phone": "+6281234567890",
                "village": "Sumberjo",
            },
            "correlation_id": "req-1",
            "actor": {"role": "operator", "agency": None, "subject": "desk-7"},
        },
        {
            "event_type": c.WORKER_DIED,
            "occurred_at": "2026-02-02T03:04:05+00:00",
            "details": {"died_on": "2026-02-01", "cause": "heart failure", "heirs": ["m1"]},
        },
        {
            "event_type": c.WORKER_STATUS_CHANGED,
            "to_status": "deceased",
            "reason": "died:heart failure",
            "details": {"caused_by": {"event_type": c.WORKER_DIED, "note": "heart failure"}},
        },
    ]

    shown = privacy.shape(timeline, TRAINER, "get_timeline")

    assert "Siti" not in repr(shown) and "+62" not in repr(shown) and "Sumberjo" not in repr(shown)
    assert "heart" not in repr(shown)
    assert [e["event_type"] for e in shown] == [e["event_type"] for e in timeline]
    assert shown[0] == {
        "event_type": c.FAMILY_MEMBER_ADDED,
        "occurred_at": "2026-01-02T03:04:05+00:00",
        "details": {},
        "actor": {"role": "operator", "agency": None},
    }
    assert shown[1]["details"] == {"died_on": "2026-02-01"}
    assert shown[2]["reason"] == "died" and shown[2]["to_status"] == "deceased"


def test_a_trainer_sees_a_worker_masked_without_the_private_or_unlisted_details():
    worker = {
        "id": "w1",
        "nik": "3505125703940002",
        "birth_date": "1994-03-17",
        "phone": "+6281234567890",
        "bpjs_number": "12345678901",
        "address": {"street": "Jl. Merdeka 1", "village": "Sumberjo", "regency": "Blitar"},
        "employer": "Mr Lin",
        "death_cause": "heart failure",
        "family_account": "the neighbour says",
        "past_placement": {"country": "MY", "to_year": 2015, "employer": "Mr Tan"},
        "status": "returned",
        "new_field_nobody_listed": "x",
    }

    seen = privacy.shape({"items": [worker], "next_cursor": None}, TRAINER, "list_workers")

    assert seen == {
        "items": [
            {
                "id": "w1",
                "nik": "350512******0002",
                "bpjs_number": "********901",
                "address": {"regency": "Blitar"},
                "past_placement": {"country": "MY", "to_year": 2015},
                "status": "returned",
            }
        ],
        "next_cursor": None,
    }
    assert privacy.shape(worker, "operator", "get_worker") is worker


def test_an_agency_sees_of_a_worker_only_what_an_agreement_can_grant():
    worker = {
        "id": "w1",
        "nik": "3505125703940002",
        "full_name": "Ani",
        "death_cause": "granted by name",
        "address": {"regency": "Blitar", "province": "Jawa Timur"},
        "family_account": "never granted on the record",
    }

    seen = privacy.shape(worker, AGENCY, "get_worker")

    assert seen == {
        "id": "w1",
        "full_name": "Ani",
        "death_cause": "granted by name",
        "address": {"regency": "Blitar"},
    }


def test_an_anonymous_certificate_check_shows_whose_and_where_only():
    answer = {
        "valid": True,
        "certificate_number": "OPP-2026-000001",
        "holder_name": "Ani",
        "worker_id": "w1",
        "nik": "3505125703940002",
        "session": {"id": "s1", "location": "LTSA", "trainer": "Pak Budi"},
    }

    seen = privacy.shape(answer, None, "verify_certificate")

    assert "nik" not in seen and seen["session"] == {"id": "s1", "location": "LTSA"}


def test_an_object_where_a_value_is_listed_is_dropped_and_counts_keep_only_numbers():
    assert privacy.allowed({"status": {"full_name": "Ani"}}, {"status": privacy.PASS}) == {}
    counts = {"by_regency": {"Blitar": 7, "note": "Ani"}, "total": 9}
    assert privacy.allowed(counts, privacy.COUNTS) == {"by_regency": {"Blitar": 7}, "total": 9}


def documented(schema) -> set[str]:
    schema = schema if isinstance(schema, Schema) else schema()
    return {f.data_key or name for name, f in schema.fields.items()}


@pytest.mark.parametrize("route", sorted(privacy.VIEWS))
def test_every_listed_key_is_one_the_route_documents(route):
    spec = privacy.VIEWS[route]
    if isinstance(spec, privacy.Chosen):
        spec = spec.choose({})
    response = BY_NAME[route].response
    keys = documented(response)
    assert set(spec) <= keys, f"{route}: {sorted(set(spec) - keys)} not in views.py"
    for key, sub in spec.items():
        field = (response if isinstance(response, Schema) else response()).fields.get(key)
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(sub, dict) and isinstance(inner, fields.Nested):
            assert set(sub) <= documented(inner.schema), f"{route}.{key}"
