"""The bodies outside the platform a case is referred to, and where their letters go: BP3MI, the
Indonesian embassy or consulate of each destination country, and the police stations, hospitals,
legal aid offices and placement companies the district works with.

The embassies and consulates of the countries Indonesian workers go to are built in, by name;
the addresses are the district's to give (``REFERRAL_DIRECTORY``: a JSON list, inline or in the
file it names, of ``{"kind", "name", "country", "email"}``; an entry for an embassy names its
``country``, any other its ``name``, matched without regard to case). A body with no e-mail
address in the directory gets its letter printed; a caseworker never types an address for one
case: a mistyped address would carry a worker's case to a stranger.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

BP3MI, EMBASSY = "bp3mi", "embassy"
# the Republic's missions where the platform's workers go (the labour attaché's or the protection
# desk's of each); Taiwan's is the Indonesian Economic and Trade Office
EMBASSIES: dict[str, str] = {
    "HK": "Konsulat Jenderal Republik Indonesia di Hong Kong",
    "TW": "Kantor Dagang dan Ekonomi Indonesia (KDEI) di Taipei",
    "MY": "Kedutaan Besar Republik Indonesia di Kuala Lumpur",
    "SG": "Kedutaan Besar Republik Indonesia di Singapura",
    "BN": "Kedutaan Besar Republik Indonesia di Bandar Seri Begawan",
    "SA": "Kedutaan Besar Republik Indonesia di Riyadh",
    "AE": "Kedutaan Besar Republik Indonesia di Abu Dhabi",
    "QA": "Kedutaan Besar Republik Indonesia di Doha",
    "KW": "Kedutaan Besar Republik Indonesia di Kuwait",
    "OM": "Kedutaan Besar Republik Indonesia di Muscat",
    "JP": "Kedutaan Besar Republik Indonesia di Tokyo",
    "KR": "Kedutaan Besar Republik Indonesia di Seoul",
}
DEFAULT_BP3MI = "Balai Pelayanan Pelindungan Pekerja Migran Indonesia (BP3MI) Jawa Timur"


@dataclass(frozen=True)
class Body:
    """A body a letter is addressed to: its name, and its e-mail address if the directory has
    one."""

    kind: str
    name: str
    email: str | None = None
    country: str | None = None


class Directory:
    def __init__(self, entries: list[Mapping] = ()):  # type: ignore[assignment]
        self.entries = [dict(entry) for entry in entries]
        for entry in self.entries:
            if not entry.get("kind") or not (entry.get("name") or entry.get("country")):
                raise ValueError(
                    "REFERRAL_DIRECTORY: every entry names its kind, and its name or country"
                )

    @classmethod
    def from_config(cls, config: Mapping) -> Directory:
        given = (config.get("REFERRAL_DIRECTORY") or "").strip()
        if not given:
            return cls()
        text = given if given.startswith("[") else Path(given).read_text(encoding="utf-8")
        entries = json.loads(text)
        if not isinstance(entries, list):
            raise ValueError("REFERRAL_DIRECTORY is a JSON list of bodies")
        return cls(entries)

    def find(self, kind: str, name: str | None, country: str | None) -> Body:
        """The body a referral names: an embassy by its country, BP3MI by its name if given
        (the province's office otherwise), any other by its name."""
        if kind == EMBASSY:
            entry = self._entry(kind, country=country)
            default = EMBASSIES.get(country or "", f"Perwakilan Republik Indonesia ({country})")
            return Body(kind, name or entry.get("name") or default, entry.get("email"), country)
        entry = self._entry(kind, name=name)
        if kind == BP3MI and not entry and not name:
            entry = self._entry(kind)
        fallback = DEFAULT_BP3MI if kind == BP3MI else "-"
        return Body(kind, name or entry.get("name") or fallback, entry.get("email"), country)

    def _entry(self, kind: str, name: str | None = None, country: str | None = None) -> dict:
        for entry in self.entries:
            if entry["kind"] != kind:
                continue
            if country is not None and entry.get("country") == country:
                return entry
            if name is not None and (entry.get("name") or "").casefold() == name.casefold():
                return entry
            if name is None and country is None:
                return entry
        return {}
