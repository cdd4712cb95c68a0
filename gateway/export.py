"""The worker's export (right of access, UU 27/2022) put together from what each service and the
gateway hold: the scans linked for download, each received event joined to the event as it was
published, and what is deliberately left out, with the reason."""

from __future__ import annotations

from pmi_common.contract import DOCUMENTS, PROTECTION
from pmi_common.names import SENSITIVE_CASE_TYPES

from .routes import PREFIX

INBOX = "inbox"

# Each scan is a link, not inline content: a worker on a cheap phone and a weak signal gets the
# export (a few kilobytes) at once and fetches a scan (up to 4.5 MB, a third more as base64) only
# when they want it; a data protection officer gets a complete list with each scan's SHA-256 to
# check every download against, and the same links serve both.
SCAN_PATH = "/workers/{worker_id}/documents/{document_id}/file"
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}

NOT_EXPORTED = (
    {
        "what": "messages in transit on the broker (queues, retries, dead letters)",
        "why": "transport copies of the events exported above from each service's outbox; "
        "held seconds, or until an operator replays or drops them; never a record of their own",
    },
    {
        "what": "the answers the gateway keeps a day for Idempotency-Key retries from the desk",
        "why": "sealed copies (AES-GCM) of answers whose content is in the rows above; the "
        "store holds only their digests in the open; the worker's own keys are listed",
    },
    {
        "what": "the access log (who on the staff read this record)",
        "why": "the data protection officer's audit of the staff; ask the officer, who reads "
        "it with the dpo role",
    },
    {
        "what": "staff pseudonyms in what agencies received, and the key that makes them",
        "why": "a pseudonym identifies a member of staff, not the worker; the disclosures "
        "above say which agency received what about the worker, and when",
    },
    {
        "what": "other people's records (other workers in the same session or programme, "
        "staff accounts, agencies' agreements)",
        "why": "personal data of others; the worker's own enrolments and results are exported",
    },
    {
        "what": "logs and metrics",
        "why": "they carry no NIK and no record of the worker, only request and event ids",
    },
    {
        "what": "database backups",
        "why": "copies of the same rows as of an earlier day, restored only to recover a loss",
    },
)


# A protected case (violence or abuse, trafficking) in the export the worker downloads herself:
# whoever holds her phone (perhaps the one she reported) could read her account. The case stays
# listed (its number, type, status and dates); its account is given to her at the desk, in
# person, in the export the desk makes for her.
WITHHELD = "[ada di loket / at the desk]"
PROTECTED_ACCOUNT = {
    "what": "a protected case's account (violence or abuse, trafficking) in the export the worker "
    "downloads herself: its summary and notes, its steps' notes, its attachments' names and "
    "descriptions, its referral letters and what they told the body",
    "why": "whoever holds her phone could read them; the case is listed with its number, type, "
    "status and dates, and the desk gives her the whole of it in person",
}


def withhold_protected_accounts(held: dict[str, dict[str, list[dict]]]) -> bool:
    """Put ``WITHHELD`` in place of each protected case's account in ``held`` (for the export a
    worker downloads herself); whether there was one."""
    protection = held.get(PROTECTION) or {}
    protected = {
        row["id"]
        for row in protection.get("cases", [])
        if row.get("case_type") in SENSITIVE_CASE_TYPES
    }
    if not protected:
        return False
    account = {"cases": ("summary", "notes"), "case_steps": ("note",)}
    account["case_attachments"] = ("filename", "description")
    account["case_referrals"] = ("summary", "letter")  # what the letter told the body, and it
    for table, columns in account.items():
        for row in protection.get(table, []):
            if (row.get("case_id") or row.get("id")) in protected:
                row.update({name: WITHHELD for name in columns if row.get(name) is not None})
    return True


def scans(worker_id: str, held: dict[str, dict[str, list[dict]]]) -> list[dict]:
    """Each scan of the worker's documents with its digest and where to download it."""
    documents_rows = held.get(DOCUMENTS, {})
    files = {row["sha256"]: row for row in documents_rows.get("document_files", ())}
    found = []
    for document in documents_rows.get("documents", ()):
        scan = files.get(document.get("file_sha256"))
        if scan is None:
            continue
        found.append(
            {
                "document_id": document["id"],
                "document_type": document.get("document_type"),
                "sha256": scan["sha256"],
                "media_type": scan["media_type"],
                "size": scan["size"],
                "download": PREFIX
                + SCAN_PATH.format(worker_id=worker_id, document_id=document["id"]),
            }
        )
    return found


def published(held: dict[str, dict[str, list[dict]]]) -> dict[str, dict]:
    """Every event published about the worker, by id, as published (outbox and archive)."""
    events = {}
    for tables in held.values():
        for table in ("outbox_archive", "outbox"):
            for row in tables.get(table, ()):
                events[row["envelope"]["event_id"]] = row["envelope"]
    return events


def with_payloads(rows: list[dict], events: dict[str, dict]) -> list[dict]:
    """Inbox rows, each with the event it recorded as it was published."""
    return [{**row, "payload": events.get(row["event_id"])} for row in rows]
