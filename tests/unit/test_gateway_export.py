"""The export put together at the gateway: each scan linked for download with its digest, each
received event joined to the event as published, and what is left out said with the reason."""

from gateway import export
from gateway.routes import BY_NAME, PREFIX

HER = "0d9a2a5e-0000-4000-8000-000000000001"


def test_each_scan_of_her_documents_is_listed_with_its_digest_and_where_to_download_it():
    held = {
        "documents": {
            "documents": [
                {"id": "d-1", "document_type": "passport", "file_sha256": "s-1"},
                {"id": "d-2", "document_type": "work_visa", "file_sha256": None},
            ],
            "document_files": [
                {"sha256": "s-1", "media_type": "application/pdf", "size": 1200, "content": {}}
            ],
        }
    }

    [scan] = export.scans(HER, held)

    assert scan == {
        "document_id": "d-1",
        "document_type": "passport",
        "sha256": "s-1",
        "media_type": "application/pdf",
        "size": 1200,
        "download": f"{PREFIX}/workers/{HER}/documents/d-1/file",
    }
    assert BY_NAME["get_document_file"].path == export.SCAN_PATH  # the link is a route
    assert export.scans(HER, {}) == []


def test_a_received_event_carries_the_event_as_its_publisher_sent_it():
    sent = {"event_id": "e-1", "event_type": "worker_registered", "worker_id": HER}
    archived = {"event_id": "e-0", "event_type": "worker_registered", "worker_id": HER}
    held = {
        "registration": {"outbox": [{"event_id": "e-1", "envelope": sent}]},
        "documents": {"outbox_archive": [{"id": 1, "envelope": archived}]},
    }
    events = export.published(held)

    rows = export.with_payloads([{"event_id": "e-1", "source": "registration"}], events)

    assert set(events) == {"e-0", "e-1"}
    assert rows == [{"event_id": "e-1", "source": "registration", "payload": sent}]


def test_what_is_left_out_of_the_export_is_said_with_the_reason():
    assert len(export.NOT_EXPORTED) >= 5
    for entry in export.NOT_EXPORTED:
        assert set(entry) == {"what", "why"} and entry["what"] and entry["why"]
    said = " ".join(entry["what"] for entry in export.NOT_EXPORTED)
    for part in ("broker", "Idempotency-Key", "access log", "pseudonyms", "other people"):
        assert part in said
