"""The letters service's handlers: validate, decide with the domain, store through the repository,
publish through the unit of work. The tables at the bottom list every one.

Registration's record of the worker (``worker``, with its ``family``) is asked for by the service
before a command and passed in: what a letter needs is decided on the record as it is now."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from pmi_common import contract as c
from pmi_common.errors import InvalidInput, NotFound
from pmi_common.identity import initials
from pmi_common.validation import load

from .domain import (
    CODE_PATTERN,
    FAMILY_PERMISSION,
    REQUESTED,
    VILLAGE,
    Facts,
    Letter,
    NumberFormat,
    check_not_standing,
    check_prerequisites,
    new_code,
    public_check,
    visible,
)
from .schemas import (
    DecideFamilyPermission,
    ListLetters,
    RefuseForm,
    RequestLetter,
    RevokeLetter,
    UploadForm,
)

if TYPE_CHECKING:
    from pmi_common.unit_of_work import UnitOfWork

    from .repository import LettersRepository

    Work = UnitOfWork[LettersRepository]

# makes a letter's signed PDF: (letter, worker, the permission giver) -> bytes
Press = Callable[[Letter, Mapping, Mapping | None], bytes]


# commands -----------------------------------------------------------------------------------


def request_letter(
    uow: Work,
    worker_id: str,
    command: dict,
    now: dt.datetime,
    worker: Mapping | None,
    family: Sequence[Mapping],
) -> Letter:
    """Ask for a letter for the worker; refused, naming what is missing, until what the type
    needs first is true; one of a type at a time."""
    data = load(RequestLetter(), command)
    letter_type = data["letter_type"]
    uow.repository.hold_worker(worker_id)
    held = uow.repository.of_worker(worker_id)
    check_prerequisites(letter_type, Facts(worker, family, held))
    check_not_standing(letter_type, held)
    village = data["village_code"] or _village_on_record(worker) or _village_of(held)
    if letter_type == FAMILY_PERMISSION and not village:
        raise InvalidInput(
            "izin keluarga diketahui kantor desa: alamat pekerja tidak mencantumkan kode desa "
            "(a family permission goes to the worker's village office: give village_code, or "
            "record it in her address)",
            {"village_code": ["the worker's record names no village code"]},
        )
    role, subject = _who(uow.actor)
    letter = Letter(
        id=str(uuid.uuid4()),
        worker_id=worker_id,
        letter_type=letter_type,
        status=REQUESTED,
        requested_at=now,
        updated_at=now,
        requested_by=subject,
        requested_role=role,
        village_code=village,
        purpose=data["purpose"],
    )
    uow.repository.add(letter)
    _publish(uow, letter, c.LETTER_REQUESTED, status=letter.status)
    return letter


def _village_on_record(worker: Mapping | None) -> str | None:
    """The village code of the worker's address, as registration keeps it."""
    address = (worker or {}).get("address") or {}
    return address.get("village_code") if isinstance(address, Mapping) else None


def _village_of(held: Sequence[Letter]) -> str | None:
    """A recommendation's village: its family permission's."""
    permitted = [x for x in held if x.letter_type == FAMILY_PERMISSION and x.status != REQUESTED]
    return permitted[-1].village_code if permitted else None


def decide_family_permission(
    uow: Work,
    letter_id: str,
    command: dict,
    now: dt.datetime,
    today: dt.date,
    family: Sequence[Mapping],
) -> Letter:
    """The village office of the worker's village acknowledges the family permission, naming
    who gave it, or refuses it; another village's office finds no such letter."""
    data = load(DecideFamilyPermission(), command)
    letter = visible(uow.repository.lock(letter_id), uow.actor, letter_id)
    member_id = str(data["family_member_id"]) if data["family_member_id"] else None
    member = next((m for m in family if str(m.get("id")) == member_id), None)
    letter.decide(
        data["decision"], member, data["given_on"], data["reason"], _who(uow.actor)[1], now, today
    )
    _publish(
        uow,
        letter,
        c.LETTER_ACKNOWLEDGED,
        decision=letter.status,
        relation=letter.permission_giver_relation,
        given_on=letter.permission_given_on,
    )
    return letter


def upload_family_permission_form(
    uow: Work,
    letter_id: str,
    command: dict,
    now: dt.datetime,
    today: dt.date,
    family: Sequence[Mapping],
) -> Letter:
    """Offline: the desk uploads the printed form's scan, signed on paper by the permission
    giver and the village head, naming the giver and the day as written on it. No event yet:
    it counts once another officer confirms it."""
    data = load(UploadForm(), command)
    letter = visible(uow.repository.lock(letter_id), uow.actor, letter_id)
    member = next((m for m in family if str(m.get("id")) == str(data["family_member_id"])), None)
    scan = data["file"]
    letter.upload_form(
        (scan.content, scan.media_type, scan.sha256),
        member,
        data["given_on"],
        _who(uow.actor)[1],
        now,
        today,
    )
    return letter


def confirm_family_permission_form(uow: Work, letter_id: str, now: dt.datetime) -> Letter:
    """Four eyes: another officer confirms the uploaded form; the family permission is then
    acknowledged as the paper says."""
    letter = visible(uow.repository.lock(letter_id), uow.actor, letter_id)
    letter.confirm_form(_who(uow.actor)[1], now)
    _publish(
        uow,
        letter,
        c.LETTER_ACKNOWLEDGED,
        decision=letter.status,
        relation=letter.permission_giver_relation,
        given_on=letter.permission_given_on,
    )
    return letter


def refuse_family_permission_form(
    uow: Work, letter_id: str, command: dict, now: dt.datetime
) -> Letter:
    """Four eyes: another officer refuses the uploaded form, saying why; no event (nothing
    counts until a form is confirmed)."""
    data = load(RefuseForm(), command)
    letter = visible(uow.repository.lock(letter_id), uow.actor, letter_id)
    letter.refuse_form(_who(uow.actor)[1], data["reason"], now)
    return letter


def issue_letter(
    uow: Work,
    letter_id: str,
    now: dt.datetime,
    today: dt.date,
    worker: Mapping | None,
    family: Sequence[Mapping],
    numbering: NumberFormat,
    press: Press,
) -> Letter:
    """Issue the letter: the next number of the year and type (its counter locked until this
    transaction ends), a verification code, the signed PDF. What the type needs is checked
    again on the record as it is now. A failure anywhere gives the number back."""
    letter = visible(uow.repository.lock(letter_id), uow.actor, letter_id)
    letter.check_issuable()
    others = [x for x in uow.repository.of_worker(letter.worker_id) if x.id != letter.id]
    check_prerequisites(letter.letter_type, Facts(worker, family, others))
    assert worker is not None  # check_prerequisites refuses a worker registration does not know
    seq = uow.repository.next_seq(letter.letter_type, today.year)
    letter.issue(
        numbering.number(letter.letter_type, today.year, seq),
        today.year,
        seq,
        new_code(),
        initials(worker.get("full_name") or ""),
        _who(uow.actor)[1],
        now,
        today,
    )
    giver = next((m for m in family if str(m.get("id")) == letter.permission_giver_id), None)
    letter.pdf = press(letter, worker, giver)
    letter.pdf_sha256 = hashlib.sha256(letter.pdf).hexdigest()
    _publish(uow, letter, c.LETTER_ISSUED, number=letter.number, issued_on=letter.issued_on)
    return letter


def revoke_letter(uow: Work, letter_id: str, command: dict, now: dt.datetime) -> Letter:
    """Revoke an issued letter: its check says so at once; its number stays its own."""
    data = load(RevokeLetter(), command)
    letter = visible(uow.repository.lock(letter_id), uow.actor, letter_id)
    letter.revoke(data["reason"], _who(uow.actor)[1], now)
    _publish(uow, letter, c.LETTER_REVOKED, number=letter.number, revoked_at=letter.revoked_at)
    return letter


def _publish(uow: Work, letter: Letter, event_type: str, **data) -> None:
    uow.publish(
        event_type,
        {"letter_id": letter.id, "letter_type": letter.letter_type, **data},
        worker_id=letter.worker_id,
    )


def _who(actor: Mapping | None) -> tuple[str | None, str | None]:
    return (actor.get("role"), actor.get("subject")) if actor else (None, None)


# queries ------------------------------------------------------------------------------------


def list_letters(repository: LettersRepository, query: dict, actor: Mapping | None) -> list[Letter]:
    """Letters by status and type, the longest waiting first; a village office's only of its
    own residents."""
    params = load(ListLetters(), query)
    village = None
    if actor is not None and actor.get("role") == VILLAGE:
        village = actor.get("village")
        if not village:
            return []
    return repository.listed(
        village=village,
        status=params["status"],
        letter_type=params["letter_type"],
        limit=params["limit"],
    )


def get_letter(repository: LettersRepository, letter_id: str, actor: Mapping | None) -> Letter:
    return visible(repository.get(letter_id), actor, letter_id)


def letters_of_worker(repository: LettersRepository, worker_id: str) -> list[Letter]:
    return repository.of_worker(worker_id)


def letter_pdf(
    repository: LettersRepository,
    letter_id: str,
    actor: Mapping | None,
    worker_id: str | None = None,
) -> Letter:
    """An issued letter with its PDF (a revoked one's too: the desk keeps what it gave out);
    with ``worker_id``, only hers: another worker's letter is as if it did not exist."""
    letter = get_letter(repository, letter_id, actor)
    if worker_id is not None and letter.worker_id != worker_id:
        raise NotFound(f"surat tidak ditemukan (no letter {letter_id})")
    if letter.pdf is None:
        raise NotFound(f"surat belum terbit (letter {letter_id} has no PDF: not issued)")
    return letter


def form_scan(repository: LettersRepository, letter_id: str, actor: Mapping | None) -> Letter:
    """An uploaded form's scan, for the officer who confirms it."""
    letter = get_letter(repository, letter_id, actor)
    if letter.form_scan is None:
        raise NotFound(f"belum ada formulir yang dipindai (letter {letter_id} has no scan)")
    return letter


def check_letter(repository: LettersRepository, code: str) -> dict:
    """What anyone may read of the letter a code names; the same shape, after the same work,
    for a code no letter has."""
    normalised = "".join((code or "").split()).upper()
    letter = repository.by_code(normalised) if CODE_PATTERN.match(normalised) else None
    return public_check(letter, normalised[:32])


COMMANDS = {
    "request_letter": request_letter,
    "decide_family_permission": decide_family_permission,
    "upload_family_permission_form": upload_family_permission_form,
    "confirm_family_permission_form": confirm_family_permission_form,
    "refuse_family_permission_form": refuse_family_permission_form,
    "issue_letter": issue_letter,
    "revoke_letter": revoke_letter,
}
QUERIES = {
    "list_letters": list_letters,
    "get_letter": get_letter,
    "letters_of_worker": letters_of_worker,
    "letter_pdf": letter_pdf,
    "form_scan": form_scan,
    "check_letter": check_letter,
}
