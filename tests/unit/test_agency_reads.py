"""What an agency reads over HTTP follows the grants of its events (plain functions, no I/O)."""

import datetime as dt

from gateway.agency_reads import timeline_for, worker_record_for
from pmi_common import contract as c
from pmi_common.agreement import Agreement
from pmi_common.published import pseudonym

KEY = "a-test-pseudonym-key-of-enough-length"
RECORD = {
    "id": "w-1",
    "nik": "3505125703940001",
    "full_name": "Siti",
    "sex": "F",
    "birth_date": "1994-03-17",
    "phone": "+6281234567890",
    "bpjs_number": "12345678901",
    "address": {"street": "Jl. Merdeka 12", "regency": "Blitar"},
    "placement_agency": "PT Sinar Jaya",
    "status": "departed",
    "stage": "abroad",
    "employer": "Chan Tai Man",
    "returned_on": None,
}


def agreement(fields, **terms) -> Agreement:
    return Agreement(
        agency="bpjs",
        fields=fields,
        purpose="p",
        legal_basis="contract",
        approved_by="a",
        valid_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        **terms,
    )


def test_a_worker_record_shows_only_what_the_granted_event_fields_cover():
    shown, fields = worker_record_for(
        RECORD,
        agreement(
            {
                c.WORKER_REGISTERED: ("full_name", "regency"),
                c.WORKER_STATUS_CHANGED: ("to_status",),
                c.WORKER_RETURNED: ("returned_on",),
            }
        ),
    )
    assert shown == {
        "id": "w-1",
        "full_name": "Siti",
        "status": "departed",
        "address": {"regency": "Blitar"},
    }
    assert fields == ["address", "full_name", "status"]  # a null returned_on disclosed nothing


def test_identity_numbers_birth_date_and_phone_are_never_shown_whatever_is_granted():
    everything = {spec.event_type: tuple(spec.schema().fields) for spec in c.CONTRACT}
    shown, _ = worker_record_for(RECORD, agreement(everything))
    assert not {"nik", "birth_date", "phone", "bpjs_number"} & set(shown)
    assert shown["address"] == {"regency": "Blitar"}


def test_a_placement_company_sees_only_its_own_recruits():
    grants = {c.WORKER_REGISTERED: ("full_name",)}
    assert worker_record_for(RECORD, agreement(grants, placement_agency="pt sinar  jaya"))
    assert worker_record_for(RECORD, agreement(grants, placement_agency="PT Lain")) is None


def test_a_timeline_keeps_granted_event_types_with_granted_fields_and_staff_pseudonymous():
    entries = [
        {
            "occurred_at": "t1",
            "event_type": c.WORKER_STATUS_CHANGED,
            "source": c.REGISTRATION,
            "event_id": "e1",
            "from_status": None,
            "to_status": "withdrawn",
            "stage": "pre_departure",
            "reason": "NIK 3505125703940001 on the form",
            "details": {"caused_by": {}},
            "actor": {"role": "operator", "agency": "ltsa", "subject": "desk-1"},
        },
        {
            "occurred_at": "t2",
            "event_type": c.DOCUMENT_SUBMITTED,
            "source": c.DOCUMENTS,
            "event_id": "e2",
            "details": {"number_masked": "*****379"},
            "actor": None,
        },
    ]
    shown, fields = timeline_for(
        entries, agreement({c.WORKER_STATUS_CHANGED: ("to_status", "reason")}), KEY
    )
    assert [e["event_id"] for e in shown] == ["e1"]
    assert shown[0]["to_status"] == "withdrawn" and "stage" not in shown[0]
    assert "3505125703940001" not in str(shown) and shown[0]["details"] == {}
    assert shown[0]["actor"]["subject"] == pseudonym("desk-1", KEY)
    assert fields == ["reason", "to_status"]


def test_an_agency_s_statistics_cover_its_granted_dimensions_without_small_cells():
    import pytest

    from gateway.agency_reads import recruit_stats
    from pmi_common.errors import Forbidden

    counts = {
        "total": {"": 7},
        "stage": {"abroad": 5, "pre_departure": 2},
        "status": {"departed": 5, "registered": 2},
        "regency": {"Blitar": 6, "Malang": 1},
        "destination_country": {"HK": 7},
    }
    granted = agreement(
        {c.WORKER_STATUS_CHANGED: ("to_status", "stage")}, placement_agency="PT Sinar Jaya"
    )

    workers = recruit_stats(counts, granted)["workers"]

    assert workers == {"total": 7, "by_stage": {"abroad": 5}, "by_status": {"departed": 5}}
    few = recruit_stats({"total": {"": 4}, "stage": {"abroad": 4}}, granted)["workers"]
    assert few == {"total": None, "by_stage": {}, "by_status": {}}
    with pytest.raises(Forbidden, match="own recruits"):
        recruit_stats(counts, agreement({c.WORKER_STATUS_CHANGED: ("stage",)}))
