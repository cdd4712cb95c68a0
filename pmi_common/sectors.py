"""The sector of a placement abroad, from the occupation: registration records it on the worker
and the planning office's figures count by it (one rule, one place)."""

from __future__ import annotations

FORMAL, INFORMAL = "formal", "informal"
# Work for a household rather than a company: the informal sector of the placement statistics
# (domestic workers, carers of the elderly or sick at home, nannies, household drivers and
# gardeners), in English and in Indonesian. Matched as words in the occupation, any case.
INFORMAL_OCCUPATIONS = (
    "domestic",
    "household",
    "housekeeper",
    "housemaid",
    "maid",
    "caregiver",
    "carer",
    "nanny",
    "babysitter",
    "private driver",
    "gardener",
    "rumah tangga",  # penata laksana / asisten / pekerja rumah tangga (PLRT, ART, PRT)
    "plrt",
    "prt",
    "pengasuh",  # a carer of children or the elderly
    "perawat lansia",
    "perawat jompo",
    "sopir pribadi",
    "tukang kebun",
)


def sector_of(occupation: str) -> str:
    """The placement's sector from the occupation: informal when the work is for a household."""
    words = " " + " ".join("".join(ch if ch.isalnum() else " " for ch in occupation).split()) + " "
    words = words.casefold()
    return INFORMAL if any(f" {term} " in words for term in INFORMAL_OCCUPATIONS) else FORMAL
