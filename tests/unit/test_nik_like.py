"""A NIK however it is typed is caught by the scrubber (what agencies receive) and the log
masker (what logs show); ordinary numbers pass both untouched."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmi_common import nik_like
from pmi_common.logs import mask_identity
from pmi_common.published import SCRUBBED, scrub

NIK = "3505125703940001"
AN_ID = "f6267ddc-7107-5504-9707-4145db6de117"

# what a keyboard, a copy from a PDF or a phone puts between the digit groups
VISIBLE_SEPARATORS = [" ", "/", ",", ".", "-", "_", "\t", "\n", "\r", ":", "\u00a0", "\u2013"]
FORMAT_CHARACTERS = ["\u200b", "\u00ad", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e"]
# how one digit may be encoded: ASCII, full-width, mathematical bold, Arabic-Indic, Devanagari,
# superscript, circled
ENCODINGS = [
    lambda d: d,
    lambda d: chr(0xFF10 + int(d)),
    lambda d: chr(0x1D7CE + int(d)),
    lambda d: chr(0x0660 + int(d)),
    lambda d: chr(0x0966 + int(d)),
    lambda d: "⁰¹²³⁴⁵⁶⁷⁸⁹"[int(d)],
    lambda d: "⓪①②③④⑤⑥⑦⑧⑨"[int(d)],
]
BEFORE = ["", "NIK ", "alasan: salah ketik ", AN_ID, AN_ID + " ", AN_ID + "/", "(", "Rp 1.500.000 "]
AFTER = ["", " salah", ", 2 anak", ".", ")", " " + AN_ID]


def gaps(characters: list[str]):
    """The 15 gaps between a NIK's digits: up to three of ``characters`` each."""
    return st.lists(st.text(st.sampled_from(characters), max_size=3), min_size=15, max_size=15)


@st.composite
def typed_niks(draw) -> tuple[str, str]:
    """A NIK and the text it was typed into: every gap between its digits a run of up to three
    separators with format characters among them, every digit in any encoding."""
    nik = draw(st.text(alphabet="0123456789", min_size=16, max_size=16))
    encodings = draw(st.lists(st.sampled_from(ENCODINGS), min_size=16, max_size=16))
    visible = draw(gaps(VISIBLE_SEPARATORS))
    hidden = draw(gaps(FORMAT_CHARACTERS))
    where = draw(st.lists(st.integers(0, 3), min_size=15, max_size=15))
    typed = encodings[15](nik[15])
    for i in reversed(range(15)):
        cut = min(where[i], len(visible[i]))
        gap = visible[i][:cut] + hidden[i] + visible[i][cut:]
        typed = encodings[i](nik[i]) + gap + typed
    text = draw(st.sampled_from(BEFORE)) + typed + draw(st.sampled_from(AFTER))
    return nik, text


# no wall-clock budget: the machine running the suite may be busy
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def readable_digits(text: str) -> str:
    """Every digit a reader gets back from ``text``, as ASCII, separators dropped."""
    return nik_like.digits_of(nik_like.normalise(text))


@PROPERTY
@given(typed_niks())
def test_no_typed_nik_passes_the_scrubber(typed):
    nik, text = typed

    scrubbed = scrub(text)

    assert SCRUBBED in scrubbed
    assert nik not in readable_digits(scrubbed)
    assert not nik_like.contains(scrubbed)


@PROPERTY
@given(typed_niks())
def test_no_typed_nik_passes_the_log_masker(typed):
    nik, text = typed

    logged = mask_identity(None, "info", {"event": text, "extra": {"reasons": [text]}})

    for line in (logged["event"], logged["extra"]["reasons"][0]):
        assert "******" in line  # the birth date, at least, in stars
        assert nik not in readable_digits(line)
        assert not nik_like.contains(line)


@pytest.mark.parametrize(
    "text",
    [
        "3505  1257  0394  0001",
        "3505/1257/0394/0001",
        "3505,1257,0394,0001",
        "3505_1257_0394_0001",
        "3505\t1257\n0394\r\n0001",
        "3505\u00a01257\u00a00394\u00a00001",
        "3505\u200b1257\u00ad0394\u200b0001",
        "3505 \u2013 1257 \u2013 0394 \u2013 0001",
        "3505.1257.0394.0001",
        "３５０５１２５７０３９４０００１",
        f"{AN_ID}{NIK}",
        f"{AN_ID}/{NIK}",
        f"{NIK}, 2 anak",
    ],
)
def test_each_way_of_typing_a_nik_is_caught(text):
    scrubbed = scrub(f"alasan: {text}")
    logged = mask_identity(None, "info", {"event": text})["event"]

    assert nik_like.contains(text)
    assert SCRUBBED in scrubbed and NIK not in readable_digits(scrubbed)
    assert "******" in logged and NIK not in readable_digits(logged)


ORDINARY = [
    "ditolak 12/03/2024, bayar Rp 1.500.000,00 sebelum 2026-03-02T03:15:00Z",
    "telepon +62 812-3456-7890 atau 0812 3456 7891",
    "paspor C1234567, BPJS 12345678901, kode pos 66161",
    "NPWP 12.345.678.9-012.345",
    "gaji HKD 4.990 per bulan selama 24 bulan, potongan 15.000.000",
    "cuti 12/03/2024 sampai 15/03/2024 pukul 08:30",
    f"lihat {AN_ID}",
    "dokumen f6267ddc-7107-5504-9707-414512345678 dan 0b6e1bb1-2c3d-4e5f-8a9b-123456789012",
    "a very long figure 123456789012345",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_numbers_pass_the_scrubber_and_the_log_masker_untouched(text):
    assert not nik_like.contains(text)
    assert scrub(text) == text
    assert mask_identity(None, "info", {"event": text})["event"] == text


def test_the_log_masker_keeps_region_and_sequence_of_a_sixteen_digit_nik():
    assert mask_identity(None, "info", {"event": f"NIK {NIK} refused"})["event"] == (
        "NIK 350512******0001 refused"
    )
    assert mask_identity(None, "info", {"presented": int(NIK)})["presented"] == "350512******0001"
