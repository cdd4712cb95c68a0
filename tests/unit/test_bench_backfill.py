"""The backfill bench's own helpers: the check that a message in an agency's queue holds only
what the agreement grants (a check that passed everything would hide a leak), the archive's form
of a seeded envelope, the COPY lines, and the row of the table."""

from __future__ import annotations

import datetime as dt
import json

from bench import backfill, report
from pmi_common.agreement import Agreement
from pmi_common.retention import unpack
from services.agencies.published import disclose

GRANTS = {
    "worker_registered": ("full_name", "regency", "cycle"),
    "worker_status_changed": ("to_status", "reason", "cycle"),
}
NOW = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)


def internal(**data) -> dict:
    return {
        "event_id": "0b5d2f8e-6a43-4c59-9d1e-3f1f2a7c9b10",
        "event_type": "worker_registered",
        "event_version": 1,
        "occurred_at": "2026-01-05T10:00:00+00:00",
        "source": "registration",
        "worker_id": "5c0f7a2e-1d9b-4e8a-a3c4-2b6d8e0f1a37",
        "sequence": 1,
        "correlation_id": "c1d2e3f4-0000-4000-8000-000000000001",
        "actor": {"role": "operator", "agency": "ltsa-blitar", "subject": "operator-7"},
        "data": {
            "nik_masked": "3505********0001",
            "nik_digest": "ab" * 32,
            "full_name": "Siti Wahyuni",
            "sex": "F",
            "regency": "Blitar",
            "destination_country": "HK",
            "occupation": "domestic worker",
            "placement_agency": "PT Penempatan 1",
            "cycle": 1,
            **data,
        },
    }


def published(envelope: dict) -> dict:
    """What the platform's filter gives the agency of ``envelope`` under ``GRANTS``."""
    agreement = Agreement(
        agency="bench-bpjs",
        fields=GRANTS,
        purpose="p",
        legal_basis="legal_obligation",
        approved_by="b",
        valid_from=NOW - dt.timedelta(days=1),
    )
    return disclose(
        envelope,
        agreement,
        now=NOW,
        pseudonym_key="k" * 32,
        placement_agency_of=lambda worker_id: None,
    )


def test_what_the_platform_filter_publishes_has_no_leak():
    source = internal()
    assert backfill.leaks(published(source), GRANTS, source) == []


def test_a_scrubbed_nik_in_free_text_is_not_a_difference():
    source = {
        **internal(),
        "event_type": "worker_status_changed",
        "sequence": 2,
        "data": {
            "from_status": "registered",
            "to_status": "documents_verified",
            "stage": "pre_departure",
            "reason": "NIK corrected to 3505123456789012",
            "cycle": 1,
        },
    }
    message = published(source)
    assert "3505123456789012" not in json.dumps(message)
    assert backfill.leaks(message, GRANTS, source) == []


def test_a_field_outside_the_grant_is_a_leak():
    source = internal()
    message = published(source)
    message["data"]["placement_agency"] = source["data"]["placement_agency"]
    assert backfill.leaks(message, GRANTS, source) == ["fields not granted: placement_agency"]


def test_a_withheld_field_is_a_leak_wherever_it_is():
    source = internal()
    message = {**published(source), "extra": {"nik_digest": "ab" * 32}}
    problems = backfill.leaks(message, GRANTS, source)
    assert "withheld fields present: nik_digest" in problems
    assert "envelope fields outside the published form: extra" in problems


def test_a_nik_in_clear_or_a_staff_login_is_a_leak():
    source = internal(full_name="Siti 3505410101900001")
    message = published(source)
    message["data"]["full_name"] = source["data"]["full_name"]  # not scrubbed
    message["actor"] = source["actor"]
    problems = backfill.leaks(message, GRANTS, source)
    assert "a NIK-like number in the message" in problems
    assert "staff not pseudonymous: 'operator-7'" in problems


def test_a_message_that_is_not_the_event_it_names_is_caught():
    source = internal()
    message = published(source)
    message["data"]["regency"] = "Malang"
    message["sequence"] = 9
    assert backfill.leaks(message, GRANTS, source) == [
        "sequence differs from the event's",
        "regency differs from the event's",
    ]
    assert backfill.leaks(message, GRANTS, None)[-1] == "no such event in the service's history"


def test_an_event_type_not_granted_is_a_leak():
    message = {**published(internal()), "event_type": "worker_departed"}
    assert backfill.leaks(message, GRANTS, internal()) == [
        "event type 'worker_departed' is not granted"
    ]


def test_the_archive_form_unpacks_as_retention_does():
    envelope = internal()
    assert unpack(backfill.pack(json.dumps(envelope, indent=2))) == envelope


def test_copy_lines_escape_what_copy_would_misread():
    moment = dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)
    line = backfill.copy_line((1, None, "a\tb\\c\nd", moment, b"\x00\xff"))
    assert line == "1\t\\N\ta\\tb\\\\c\\nd\t2026-01-05T10:00:00+00:00\t\\\\x00ff\n"


def test_thinned_progress_keeps_the_last_point():
    points = [(n, n * 10) for n in range(101)]
    kept = backfill._thin(points, keep=10)
    assert kept[0] == points[0] and kept[-1] == points[-1] and len(kept) <= 12
    assert backfill._thin([(1, 2)]) == [(1, 2)] and backfill._thin([]) == []


def figures(**changes) -> dict:
    return {
        "expected": 1000,
        "in_queue": 1000,
        "parked": 0,
        "finished": True,
        "limit_seconds": 300.0,
        "seconds": 2.0,
        "events_per_second": 500.0,
        "agencies_peak_rss_mb": 120.0,
        "error": None,
        "sample": {"checked": 20, "problems": []},
        **changes,
    }


def test_the_row_gives_the_rate_against_the_floor_and_the_sample_check():
    row = report.backfill_row(figures(), 10_000.0)
    assert row.ratio == "0.05x" and row.met == "yes"
    assert row.figure.startswith("500 events/s, 1,000 in 2 s, agencies peak RSS 120 MB")
    assert "NOT finished" not in row.measure


def test_the_row_says_when_the_limit_stopped_it_and_when_the_sample_leaked():
    row = report.backfill_row(
        figures(
            in_queue=400,
            finished=False,
            events_per_second=1.3,
            queued_not_delivered=1234,
            sample={"checked": 20, "problems": ["x: leak"]},
        ),
        None,
    )
    assert "NOT finished within the 300 s limit: the figure is the 400 events" in row.measure
    assert "(1,234 more queued in the agencies service, not yet delivered)" in row.measure
    assert row.met == "**NO**" and "1 problems" in row.figure and row.ratio == ""
    assert report.backfill_row(figures(sample={"checked": 0, "problems": []}), None).met == "**NO**"


def test_the_rebuilds_row_says_when_it_stopped_at_its_limit_and_compares_with_kombu():
    rebuilt = {
        "events": 12_000,
        "facts": 9_000,
        "finished": False,
        "limit_seconds": 300.0,
        "seconds": 300.2,
        "events_per_second": 12_000 / 300.2,
    }
    row = report.rebuild_row(rebuilt, floor=400.0)
    assert "NOT finished within the 300 s limit" in row.measure
    assert row.ratio == "0.1x"
    assert row.against == "kombu consume"
    assert "NOT" not in report.rebuild_row({**rebuilt, "finished": True}, floor=None).measure
