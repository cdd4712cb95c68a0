"""Go-TKI's letters as plain Python: what each letter needs first, who decides on it, the office's
numbering, and what anyone may read of an issued letter.

A letter is requested by the desk or by the worker. A **family permission** (*surat izin
keluarga*) names who gives permission (the spouse, a parent or a guardian from the worker's family
list) and is acknowledged, or refused, by the village office of the worker's village; the desk
then issues it. The office's **recommendations** for the passport and for the police certificate
(SKCK) need the family permission acknowledged first, the passport's also the placement company
known; the desk issues them. An issued letter has a number from the office's scheme (gapless per
year and type), a verification code anyone can check, and may be revoked; its number stays its
own, never given again.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pmi_common.errors import (
    AlreadyDecided,
    Forbidden,
    InvalidInput,
    NotEligible,
    NotFound,
    TransitionRefused,
)
from pmi_common.lifecycle import PRE_DEPARTURE
from pmi_common.names import PERMISSION_RELATIONS

FAMILY_PERMISSION, PASSPORT, SKCK = (
    "family_permission",
    "passport_recommendation",
    "skck_recommendation",
)
REQUESTED, ACKNOWLEDGED, REFUSED, ISSUED, REVOKED = (
    "requested",
    "acknowledged",
    "refused",
    "issued",
    "revoked",
)
STANDING = (REQUESTED, ACKNOWLEDGED, ISSUED)  # a letter of the type is already under way or held
VILLAGE, WORKER = "village", "worker"  # the gateway's roles this service tells apart

# what a worker, a family or anyone checking a letter reads: Bahasa Indonesia first
TYPE_LABELS: dict[str, dict[str, str]] = {
    FAMILY_PERMISSION: {"id": "Surat izin keluarga", "en": "Family permission"},
    PASSPORT: {"id": "Surat rekomendasi paspor", "en": "Passport recommendation"},
    SKCK: {"id": "Surat rekomendasi SKCK", "en": "Police certificate (SKCK) recommendation"},
}
# the short code each type's numbers carry (``{type}`` in the numbering scheme)
TYPE_CODES = {FAMILY_PERMISSION: "IK", PASSPORT: "RP", SKCK: "RS"}


# what must be true first -------------------------------------------------------------------


@dataclass(frozen=True)
class Prerequisite:
    """One condition a letter type needs, with what the desk or the worker is told when it is not
    met: Bahasa Indonesia first."""

    code: str
    id: str
    en: str

    def said(self) -> str:
        return f"{self.id} ({self.en})"


BEFORE_DEPARTURE = Prerequisite(
    "worker_before_departure",
    "pekerja terdaftar dan belum berangkat",
    "a registered worker who has not departed",
)
GIVER_LISTED = Prerequisite(
    "permission_giver_listed",
    "suami/istri, orang tua atau wali tercatat dalam daftar keluarga",
    "a spouse, parent or guardian on the worker's family list",
)
FAMILY_PERMISSION_ACKNOWLEDGED = Prerequisite(
    "family_permission_acknowledged",
    "surat izin keluarga sudah diketahui kepala desa",
    "the family permission acknowledged by the village head",
)
PLACEMENT_COMPANY_KNOWN = Prerequisite(
    "placement_company_known",
    "perusahaan penempatan (P3MI) tercatat",
    "the placement company on the worker's record",
)

NEEDS: dict[str, tuple[Prerequisite, ...]] = {
    FAMILY_PERMISSION: (BEFORE_DEPARTURE, GIVER_LISTED),
    PASSPORT: (BEFORE_DEPARTURE, FAMILY_PERMISSION_ACKNOWLEDGED, PLACEMENT_COMPANY_KNOWN),
    SKCK: (BEFORE_DEPARTURE, FAMILY_PERMISSION_ACKNOWLEDGED),
}


@dataclass(frozen=True)
class Facts:
    """What the prerequisites are decided on: registration's record of the worker (None: no such
    worker), the worker's family list, and the worker's letters here."""

    worker: Mapping | None
    family: Sequence[Mapping]
    letters: Sequence[Letter]


def _met(need: Prerequisite, facts: Facts) -> bool:
    worker = facts.worker or {}
    if need is BEFORE_DEPARTURE:
        return worker.get("status") in PRE_DEPARTURE
    if need is GIVER_LISTED:
        return any(m.get("relation") in PERMISSION_RELATIONS for m in facts.family)
    if need is FAMILY_PERMISSION_ACKNOWLEDGED:
        return any(
            x.letter_type == FAMILY_PERMISSION and x.status in (ACKNOWLEDGED, ISSUED)
            for x in facts.letters
        )
    if need is PLACEMENT_COMPANY_KNOWN:
        return bool((worker.get("placement_agency") or "").strip())
    raise ValueError(f"no rule for {need.code}")


def missing(letter_type: str, facts: Facts) -> list[Prerequisite]:
    """What ``letter_type`` needs that ``facts`` do not show, in the order it is needed."""
    return [need for need in NEEDS[letter_type] if not _met(need, facts)]


def check_prerequisites(letter_type: str, facts: Facts) -> None:
    """Refuse a letter whose prerequisites are not met, naming each one missing."""
    if facts.worker is None:
        raise NotFound("pekerja tidak ditemukan (no such worker)")
    lacking = missing(letter_type, facts)
    if lacking:
        raise NotEligible(
            f"{TYPE_LABELS[letter_type]['id']} belum dapat diproses, belum terpenuhi: "
            + "; ".join(need.said() for need in lacking),
            {
                "letter_type": letter_type,
                "missing": [{"code": n.code, "message": {"id": n.id, "en": n.en}} for n in lacking],
            },
        )


def check_not_standing(letter_type: str, letters: Sequence[Letter]) -> None:
    """One letter of a type at a time: a new one only after the last was refused or revoked."""
    standing = [x for x in letters if x.letter_type == letter_type and x.status in STANDING]
    if standing:
        raise AlreadyDecided(
            f"{TYPE_LABELS[letter_type]['id']} sudah diajukan atau terbit "
            f"(a {letter_type} is already {standing[0].status})",
            {"letter_id": standing[0].id, "status": standing[0].status},
        )


# the letter --------------------------------------------------------------------------------


@dataclass(eq=False)
class Letter:
    id: str
    worker_id: str
    letter_type: str
    status: str
    requested_at: dt.datetime
    updated_at: dt.datetime
    requested_by: str | None = None
    requested_role: str | None = None
    village_code: str | None = None  # the worker's village: whose office acknowledges
    purpose: str | None = None
    # the family permission: who gave it, what they are to the worker, when; the village's step
    permission_giver_id: str | None = None
    permission_giver_relation: str | None = None
    permission_given_on: dt.date | None = None
    decided_at: dt.datetime | None = None
    decided_by: str | None = None
    refusal_reason: str | None = None
    # offline: the printed form signed on paper, scanned, and confirmed by a second officer
    form_scan: bytes | None = None
    form_scan_sha256: str | None = None
    form_scan_media_type: str | None = None
    form_uploaded_by: str | None = None
    form_uploaded_at: dt.datetime | None = None
    form_refused_at: dt.datetime | None = None  # the last scan a second officer refused
    form_refused_by: str | None = None
    form_refusal_reason: str | None = None
    # issued
    number: str | None = None
    year: int | None = None
    seq: int | None = None
    issued_at: dt.datetime | None = None
    issued_on: dt.date | None = None
    issued_by: str | None = None
    verification_code: str | None = None
    worker_initials: str | None = None
    pdf: bytes | None = None
    pdf_sha256: str | None = None
    # revoked: the number stays the letter's, never given again
    revoked_at: dt.datetime | None = None
    revoked_by: str | None = None
    revocation_reason: str | None = None

    def visible_to(self, actor: Mapping | None) -> bool:
        """A village office sees only its own residents' letters; the desk (and a worker, on
        their own record, as the gateway decides) every one."""
        if actor and actor.get("role") == VILLAGE:
            return self.village_code is not None and self.village_code == actor.get("village")
        return True

    def decide(
        self,
        decision: str,
        member: Mapping | None,
        given_on: dt.date | None,
        reason: str | None,
        by: str | None,
        now: dt.datetime,
        today: dt.date,
    ) -> None:
        """The village's decision on a family permission: acknowledged with its giver (a
        spouse, parent or guardian from the family list) and the day given, or refused why."""
        self._check_waiting()
        if decision == ACKNOWLEDGED:
            self._name_giver(member, given_on, today)
        elif not (reason or "").strip():
            raise InvalidInput(
                "alasan penolakan wajib (say why it is refused)", {"reason": ["needed"]}
            )
        else:
            self.refusal_reason = reason
        self.status = decision
        self.decided_at, self.decided_by, self.updated_at = now, by, now

    def _check_waiting(self) -> None:
        if self.letter_type != FAMILY_PERMISSION:
            raise TransitionRefused(
                "hanya surat izin keluarga yang diketahui desa "
                "(only a family permission is acknowledged by the village)"
            )
        if self.status != REQUESTED:
            raise AlreadyDecided(
                f"permohonan ini sudah {self.status} (this request is already {self.status})"
            )

    def _name_giver(self, member: Mapping | None, given_on: dt.date | None, today: dt.date) -> None:
        """The permission giver: a spouse, parent or guardian from the family list, and the day
        given, not in the future."""
        if member is None:
            raise InvalidInput(
                "pemberi izin tidak ada dalam daftar keluarga pekerja "
                "(the permission giver is not on the worker's family list)",
                {"family_member_id": ["not on the worker's family list"]},
            )
        if member.get("relation") not in PERMISSION_RELATIONS:
            raise InvalidInput(
                "pemberi izin harus suami/istri, orang tua atau wali "
                "(the permission giver must be the spouse, a parent or a guardian)",
                {"family_member_id": [f"a {member.get('relation')} may not give it"]},
            )
        if given_on is None or given_on > today:
            raise InvalidInput(
                "tanggal izin wajib dan tidak boleh di masa depan "
                "(the day permission was given is needed and not in the future)",
                {"given_on": ["needed, not after today"]},
            )
        self.permission_giver_id = str(member["id"])
        self.permission_giver_relation = member["relation"]
        self.permission_given_on = given_on

    def upload_form(
        self,
        scan: tuple[bytes, str, str],
        member: Mapping | None,
        given_on: dt.date | None,
        by: str | None,
        now: dt.datetime,
        today: dt.date,
    ) -> None:
        """Offline: the printed form, signed by the permission giver and acknowledged by the
        village head on paper, scanned (content, media type, SHA-256) with the giver and the
        day written on it; it counts once a second officer confirms it."""
        self._check_waiting()
        self._name_giver(member, given_on, today)
        self.form_scan, self.form_scan_media_type, self.form_scan_sha256 = scan
        self.form_uploaded_by, self.form_uploaded_at, self.updated_at = by, now, now

    def confirm_form(self, by: str | None, now: dt.datetime) -> None:
        """Four eyes: another officer than the one who uploaded the scan confirms it, and the
        family permission is acknowledged as the paper says."""
        self._check_second_officer(by, "confirms")
        self.status = ACKNOWLEDGED
        self.decided_at, self.decided_by, self.updated_at = now, by, now

    def refuse_form(self, by: str | None, reason: str, now: dt.datetime) -> None:
        """Four eyes: another officer than the one who uploaded the scan refuses it (unreadable,
        unsigned, the village's stamp missing, not the giver named), saying why. The scan is
        not kept and the giver it named is forgotten: the paper stays with the family and the
        desk uploads a new scan; the request keeps waiting, with the last refusal on it."""
        self._check_second_officer(by, "refuses")
        self.form_scan = self.form_scan_media_type = self.form_scan_sha256 = None
        self.form_uploaded_by = self.form_uploaded_at = None
        self.permission_giver_id = self.permission_giver_relation = None
        self.permission_given_on = None
        self.form_refused_at, self.form_refused_by, self.form_refusal_reason = now, by, reason
        self.updated_at = now

    def _check_second_officer(self, by: str | None, does: str) -> None:
        self._check_waiting()
        if self.form_uploaded_at is None:
            raise TransitionRefused("belum ada formulir yang dipindai (no scanned form to check)")
        if by is None or by == self.form_uploaded_by:
            raise Forbidden(
                f"formulir harus diperiksa petugas lain (four eyes: another officer {does} the "
                "form than the one who uploaded it)"
            )

    def check_issuable(self) -> None:
        ready = ACKNOWLEDGED if self.letter_type == FAMILY_PERMISSION else REQUESTED
        if self.status != ready:
            waiting = (
                " (menunggu pengetahuan kepala desa: waiting for the village)"
                if self.status == REQUESTED
                else ""
            )
            raise TransitionRefused(
                f"surat berstatus {self.status} tidak dapat diterbitkan{waiting} "
                f"(a {self.status} letter cannot be issued)",
                {"status": self.status},
            )

    def issue(
        self,
        number: str,
        year: int,
        seq: int,
        code: str,
        initials: str,
        by: str | None,
        now: dt.datetime,
        today: dt.date,
    ) -> None:
        self.check_issuable()
        self.status = ISSUED
        self.number, self.year, self.seq, self.verification_code = number, year, seq, code
        self.worker_initials = initials
        self.issued_at, self.issued_on, self.issued_by, self.updated_at = now, today, by, now

    def revoke(self, reason: str, by: str | None, now: dt.datetime) -> None:
        if self.status != ISSUED:
            raise TransitionRefused(
                f"hanya surat yang terbit dapat dicabut (only an issued letter is revoked; "
                f"this one is {self.status})",
                {"status": self.status},
            )
        self.status = REVOKED
        self.revoked_at, self.revoked_by, self.revocation_reason = now, by, reason
        self.updated_at = now


def visible(letter: Letter | None, actor: Mapping | None, letter_id: str) -> Letter:
    """The letter, if the actor may see it; another village's is as if it did not exist."""
    if letter is None or not letter.visible_to(actor):
        raise NotFound(f"surat tidak ditemukan (no letter {letter_id})")
    return letter


# the office's numbering ---------------------------------------------------------------------

DEFAULT_NUMBER_FORMAT = "560/{seq}/{type}/409.112/{year}"
_FIELDS = re.compile(r"{(\w*)[^}]*}")


@dataclass(frozen=True)
class NumberFormat:
    """The office's scheme (``LETTER_NUMBER_FORMAT``): ``{seq}`` the sequence of the year and
    type, ``{year}``, ``{type}`` the type's code (IK, RP, RS), e.g. ``560/{seq}/{type}/409.112/
    {year}`` gives ``560/17/RP/409.112/2026``. Each of the three must be in it, so that no two
    letters can get the same number."""

    pattern: str = DEFAULT_NUMBER_FORMAT

    def __post_init__(self) -> None:
        named = {m.group(1) for m in _FIELDS.finditer(self.pattern)}
        if named != {"seq", "year", "type"}:
            raise ValueError(
                "LETTER_NUMBER_FORMAT must hold {seq}, {year} and {type} and nothing else in "
                f"braces, e.g. {DEFAULT_NUMBER_FORMAT}; not {self.pattern!r}"
            )

    def number(self, letter_type: str, year: int, seq: int) -> str:
        return self.pattern.format(seq=seq, year=year, type=TYPE_CODES[letter_type])


# what anyone may read -----------------------------------------------------------------------

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U
CODE_LENGTH = 12  # about 59 bits: not found by trying, at the public routes' rate
CODE_PATTERN = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


UNKNOWN = "unknown"
CHECK_LABELS = {
    ISSUED: {"id": "SAH", "en": "Valid"},
    REVOKED: {"id": "DICABUT", "en": "Revoked"},
    UNKNOWN: {"id": "TIDAK DIKENAL", "en": "Unknown"},
}


def public_check(letter: Letter | None, code: str) -> dict:
    """What anyone holding a letter (or its QR code) may read: valid, revoked (and when) or
    unknown, with the type, number, date and the holder's initials; one shape for every answer,
    an unknown code's fields empty."""
    known = letter is not None and letter.status in (ISSUED, REVOKED)
    status = letter.status if known and letter is not None else UNKNOWN
    shown = letter if known else None
    return {
        "code": code,
        "status": "valid" if status == ISSUED else status,
        "status_label": CHECK_LABELS[status],
        "letter_type": shown.letter_type if shown else None,
        "letter_type_label": TYPE_LABELS[shown.letter_type] if shown else None,
        "number": shown.number if shown else None,
        "issued_on": shown.issued_on.isoformat() if shown and shown.issued_on else None,
        "revoked_at": shown.revoked_at.isoformat() if shown and shown.revoked_at else None,
        "worker_initials": shown.worker_initials if shown else None,
    }
