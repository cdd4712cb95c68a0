"""A worker on a cheap phone (360 px, Chromium in Debian) uses her app: she signs in with the
code the SMS provider received, reads her status and next step, sends a scan from the camera
(made small on the phone), enrols in an orientation session and shows her ticket's QR at the
door, finds her certificate, its printable page and the public page its check link opens,
reports a problem that her family follows with its number and code, downloads her issued
letter's PDF, reads who received her data, chooses how she is written to, sees her contract's
dates and her family's contacts while abroad, opens the app without a signal to find her last
status, and after her return applies to a programme open to her. axe-core finds no serious or
critical violation on any page; the page's JavaScript and CSS are measured compressed.

Set ``PMI_APP_SCREENSHOTS=docs/app`` to write the screenshots the docs show."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import struct
import zlib
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import WAIT_MS
from tests.e2e.journey import EXPIRING, Journey
from tests.helpers import district_today, wait_for
from tests.integration.test_gateway_letters import KADEMANGAN, MOTHER

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PHONE = {"width": 360, "height": 740}
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = os.environ.get("PMI_APP_SCREENSHOTS")
BUNDLE = ("index.html", "app.js", "app.css", "sw.js", "manifest.webmanifest")
MOST_COMPRESSED = 150 * 1024  # bytes: the ceiling for the JavaScript and CSS


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="id-ID"
    )
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert not errors, f"the page failed: {errors}"


def violations(page) -> list:
    """axe-core's serious and critical violations on the page as it is shown now (axe is put
    in through the browser's debugging protocol, which the page's policy does not govern)."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def camera_photo(width: int = 3000, height: int = 4000) -> bytes:
    """A photo as a phone's camera takes it, 3000 x 4000 pixels: a PNG of grey lines."""
    row = b"\x00" + bytes([240, 236, 220]) * width
    dark = b"\x00" + bytes([30, 30, 90]) * width
    pixels = b"".join(dark if y % 200 < 40 else row for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels, 6))
        + chunk(b"IEND", b"")
    )


def jpeg_size(data: bytes) -> tuple[int, int]:
    """A JPEG's width and height, from its start-of-frame segment."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    at = 2
    while at < len(data):
        marker, length = data[at + 1], struct.unpack(">H", data[at + 2 : at + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        at += 2 + length
    raise AssertionError("no frame in the JPEG")


def test_a_worker_signs_in_and_goes_through_her_app_on_a_phone(stack, stack_sms, phone, browser):
    journey = Journey(stack)
    worker = journey.register()
    journey.wait_known_to_documents()
    session = journey.schedule_session("Balai Latihan Kerja Blitar", capacity=20)
    app = f"{stack.base_url}/app"

    # signing in: the code as the SMS provider received it
    phone.goto(app)
    expect(phone.get_by_role("heading", name="Masuk")).to_be_visible()
    shot(phone, "signin")
    assert violations(phone) == []
    phone.get_by_label("NIK (16 angka, di KTP)").fill(journey.payload["nik"])
    phone.get_by_label("Nomor HP yang terdaftar").fill("0812-3456-7890")
    sent_before = len(stack_sms.accepted())  # the shared stack's SMS provider: hers come after
    phone.get_by_role("button", name="Kirim kode lewat SMS").click()
    text = wait_for(
        lambda: next(
            (
                body["text"]
                for body in stack_sms.accepted()[sent_before:]
                if body["to"] == journey.payload["phone"] and body["text"].startswith("Kode masuk")
            ),
            None,
        ),
        message="the sign-in code at the SMS provider",
    )
    phone.get_by_label("Kode 6 angka").fill(re.search(r"[0-9]{6}", text).group(0))
    phone.get_by_role("button", name="Masuk", exact=True).click()

    # her status and the next step in plain words
    expect(phone.locator("#status-value")).to_have_text("Terdaftar", timeout=WAIT_MS)
    expect(phone.locator("#status-next")).to_contain_text("Paspor")
    shot(phone, "status")
    assert violations(phone) == []

    # a scan from the camera, made small on the phone before it is sent
    phone.get_by_role("link", name="Dokumen").click()
    phone.get_by_label("Jenis dokumen").select_option("passport")
    phone.get_by_label("Nomor dokumen").fill("C4812379")
    phone.get_by_label("Tanggal terbit").fill(
        (district_today() - dt.timedelta(days=30)).isoformat()
    )
    phone.get_by_label("Berlaku sampai (jika ada)").fill(
        (district_today() + dt.timedelta(days=1800)).isoformat()
    )
    phone.get_by_label("Foto (kamera)").set_input_files(
        {"name": "paspor.png", "mimeType": "image/png", "buffer": camera_photo()}
    )
    phone.get_by_role("button", name="Kirim", exact=True).click()
    expect(phone.locator("#upload-result")).to_have_text("Terkirim. Petugas akan memeriksanya.")
    expect(phone.locator('#documents-list [data-type="passport"]')).to_contain_text("Diperiksa")
    shot(phone, "documents")
    assert violations(phone) == []
    checklist = journey.call(journey.verifier, "GET", f"/workers/{worker['id']}/documents")
    (passport,) = [i for i in checklist["items"] if i["type"] == "passport"]
    scan = requests.get(
        stack.url(f"/workers/{worker['id']}/documents/{passport['document']['id']}/file"),
        headers=journey.verifier.headers,
        timeout=30,
    )
    assert scan.headers["Content-Type"] == "image/jpeg"
    assert max(jpeg_size(scan.content)) == 1600  # from 4000 px

    # the desk verifies her papers; then she enrols in the orientation session herself
    journey.call(
        journey.verifier, "POST", f"/documents/{passport['document']['id']}/verify", json={}
    )
    others = [t for t in checklist["items"] if t["type"] != "passport"]
    submit_and_verify(journey, [item["type"] for item in others])
    journey.wait_status("documents_verified")
    phone.get_by_role("link", name="Orientasi").click()
    seat = phone.locator("#sessions li", has_text="Balai Latihan Kerja Blitar")
    expect(seat).to_contain_text("20 kursi kosong")
    seat.get_by_role("button", name="Daftar").click()
    expect(phone.locator("#orientation-result")).to_have_text("Anda terdaftar. Bawa KTP asli.")
    held = journey.call(journey.trainer, "GET", f"/orientation/sessions/{session['id']}")
    assert held["enrolled"] == 1
    expect(phone.get_by_role("heading", name="Tiket OPP saya")).to_be_visible()
    ticket = phone.locator("#ticket-code").inner_text().removeprefix("Kode tiket: ")
    qr = phone.get_by_role("img", name=f"QR {ticket}")
    expect(qr).to_be_visible()
    assert qr.evaluate("(img) => img.complete && img.naturalWidth") > 0
    shot(phone, "orientation")
    assert violations(phone) == []

    # the desk reads the ticket's QR at the door, she shows her identity card: her certificate
    attended = journey.call(
        journey.trainer,
        "POST",
        f"/orientation/sessions/{session['id']}/attendance",
        json={"ticket": ticket, "nik": journey.payload["nik"]},
    )
    number = attended["certificate_number"]
    phone.reload()
    expect(phone.locator("#earned-number")).to_have_text(f"Nomor: {number}", timeout=WAIT_MS)
    expect(phone.locator("#ticket")).to_be_hidden()
    # no session takes her again (the shared stack lists other tests' sessions too)
    expect(seat.get_by_role("button", name="Daftar")).to_be_disabled()
    for enrol in phone.locator("#sessions").get_by_role("button", name="Daftar").all():
        expect(enrol).to_be_disabled()
    phone.get_by_role("link", name="Lihat dan cetak sertifikat").click()
    expect(phone.locator("#certificate-number")).to_have_text(f"Nomor: {number}")
    expect(phone.locator("#certificate-card")).to_contain_text(journey.payload["full_name"])
    expect(phone.get_by_role("button", name="Cetak")).to_be_visible()
    shot(phone, "certificate")
    assert violations(phone) == []
    # its check link: the public page anyone opens, her initials and the date only
    checked = f"{stack.base_url}/verify/certificate/{number}"
    expect(phone.locator("#certificate-check")).to_have_attribute("href", checked)
    anyone = browser.new_context(viewport=PHONE, locale="id-ID").new_page()
    anyone.goto(phone.locator("#certificate-check").get_attribute("href"))
    expect(anyone.locator(".status")).to_have_text("SAH / Valid")
    expect(anyone.locator("body")).to_contain_text(number)
    expect(anyone.locator("body")).not_to_contain_text(journey.payload["full_name"])
    expect(anyone.locator("body")).not_to_contain_text(journey.payload["nik"])
    shot(anyone, "certificate-check")
    assert violations(anyone) == []
    anyone.context.close()
    phone.emulate_media(media="print")
    expect(phone.locator("nav")).to_be_hidden()
    expect(phone.get_by_role("button", name="Cetak")).to_be_hidden()
    phone.emulate_media(media="screen")
    phone.get_by_role("link", name="Kembali").click()

    # a problem reported; her family follows it with the number and code, without an account
    phone.get_by_role("link", name="Lapor masalah").click()
    phone.get_by_label("Masalahnya").select_option("unpaid_wages")
    phone.get_by_label("Ceritakan singkat").fill("Gaji dua bulan belum dibayar majikan.")
    phone.get_by_role("button", name="Kirim laporan").click()
    expect(phone.locator("#problem-result")).to_contain_text("Laporan diterima")
    assert violations(phone) == []
    number, code = re.search(
        r"Nomor: (\S+), kode: (\S+)\.", phone.locator("#problem-result").inner_text()
    ).groups()
    family = browser.new_context(viewport=PHONE, locale="id-ID").new_page()
    family.goto(f"{app}#follow")
    family.get_by_label("Nomor laporan").fill(number)
    family.get_by_label("Kode laporan").fill(code)
    family.get_by_role("button", name="Lihat").click()
    expect(family.locator("#follow-result .status")).not_to_be_empty()
    family.get_by_label("Kode laporan").fill("000000")
    family.get_by_role("button", name="Lihat").click()
    expect(family.locator("#follow-result")).to_have_text("Nomor atau kode tidak cocok.")
    assert violations(family) == []
    family.context.close()

    # a family permission asked for from the app, her mother on her record at the desk; once
    # her village acknowledged it and the desk issued it, its signed PDF from her phone
    mother = journey.call(
        journey.operator, "POST", f"/workers/{worker['id']}/family", 201, json=MOTHER
    )
    phone.get_by_role("link", name="Surat").click()
    phone.get_by_label("Jenis surat").select_option("family_permission")
    phone.get_by_label("Kode desa/kelurahan (untuk surat izin keluarga)").fill(KADEMANGAN)
    phone.get_by_role("button", name="Minta", exact=True).click()
    expect(phone.locator("#letter-result")).to_have_text("Permintaan diterima.")
    expect(phone.locator("#letters-list li")).to_contain_text("Diminta")
    assert violations(phone) == []
    (asked,) = journey.call(journey.operator, "GET", f"/workers/{worker['id']}/letters")["items"]
    village = stack.client("village", sub="kades-kademangan", village=KADEMANGAN)
    journey.call(
        village,
        "POST",
        f"/letters/{asked['id']}/acknowledgement",
        json={
            "decision": "acknowledged",
            "family_member_id": mother["id"],
            "given_on": district_today().isoformat(),
        },
    )
    issued = journey.call(journey.operator, "POST", f"/letters/{asked['id']}/issue")
    phone.get_by_role("link", name="Status").click()
    phone.get_by_role("link", name="Surat").click()
    expect(phone.locator("#letters-list li")).to_contain_text(issued["number"])
    with phone.expect_download() as downloaded:
        phone.get_by_role("button", name="Unduh PDF").click()
    pdf = Path(downloaded.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and downloaded.value.suggested_filename.endswith(".pdf")
    desk_copy = requests.get(
        stack.url(f"/letters/{asked['id']}/pdf"), headers=journey.operator.headers, timeout=30
    )
    assert pdf == desk_copy.content
    shot(phone, "letters")
    assert violations(phone) == []

    # who received her data, and all of it downloaded; her devices; English
    phone.get_by_role("link", name="Data saya").click()
    expect(phone.locator("#disclosures-list li").first).to_be_visible()
    with phone.expect_download() as downloaded:
        phone.get_by_role("button", name="Unduh semua data saya").click()
    exported = json.loads(Path(downloaded.value.path()).read_text())
    assert exported["worker_id"] == worker["id"] and exported["services"]
    shot(phone, "disclosures")
    assert violations(phone) == []
    phone.get_by_role("link", name="Perangkat").click()
    expect(phone.locator("#devices-list li")).to_contain_text("perangkat ini")
    assert violations(phone) == []
    phone.get_by_role("button", name="English").click()
    expect(phone.get_by_role("heading", name="Devices signed in")).to_be_visible()
    phone.get_by_role("button", name="Bahasa Indonesia").click()

    # how she is written to: WhatsApp, in English, no reminders (sign-in codes go all the same)
    phone.get_by_role("link", name="Pesan").click()
    expect(phone.get_by_label("SMS")).to_be_checked()
    expect(
        phone.get_by_label("Kirim juga pengingat dan kabar (jadwal, dokumen, surat)")
    ).to_be_checked()
    phone.get_by_label("WhatsApp").check()
    phone.get_by_label("English", exact=True).check()
    phone.get_by_label("Kirim juga pengingat dan kabar (jadwal, dokumen, surat)").uncheck()
    phone.get_by_role("button", name="Simpan").click()
    expect(phone.locator("#messages-result")).to_have_text("Pilihan tersimpan.")
    kept = journey.call(journey.operator, "GET", f"/workers/{worker['id']}/notification-choices")
    assert (kept["channel"], kept["language"], kept["consent"]) == ("whatsapp", "en", False)
    shot(phone, "messages")
    assert violations(phone) == []

    # abroad: her contract's dates and her family's contacts, read-only
    journey.wait_status("orientation_completed")
    journey.add_bpjs()
    journey.wait_status("cleared_for_departure")
    today = district_today()
    ends = today + dt.timedelta(days=730)
    journey.call(
        journey.operator,
        "POST",
        f"/workers/{worker['id']}/departure",
        json={
            "departed_on": today.isoformat(),
            "destination_country": "HK",
            "employer": "Chan Tai Man",
            "contract_ends_on": ends.isoformat(),
        },
    )
    phone.get_by_role("link", name="Status").click()
    expect(phone.locator("#status-value")).to_have_text("Bekerja di luar negeri")
    expect(phone.get_by_role("heading", name="Kontrak kerja saya")).to_be_visible()
    expect(phone.locator("#contract")).to_contain_text("Chan Tai Man")
    expect(phone.locator("#contract")).to_contain_text(str(ends.year))
    expect(phone.locator("#family-list li")).to_contain_text("Sumini (Orang tua)")
    expect(phone.locator("#family-list").get_by_role("link", name=MOTHER["phone"])).to_be_visible()
    shot(phone, "abroad")
    assert violations(phone) == []

    # without a signal: the app opens from the phone and shows the last status it knew
    phone.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    phone.context.set_offline(True)
    phone.reload()
    expect(phone.locator("#status-value")).to_have_text("Bekerja di luar negeri", timeout=WAIT_MS)
    expect(phone.locator("#offline")).to_contain_text("Tidak ada sinyal")
    expect(phone.locator("#family-list li")).to_contain_text("Sumini")
    shot(phone, "offline")
    phone.context.set_offline(False)

    # home again: the programmes open to her, and applying to one
    programme = journey.call(
        journey.trainer,
        "POST",
        "/reintegration/programs",
        201,
        json={
            "name": "PAK CAMAT PMI Kademangan",
            "audience": "returnee",
            "capacity": 25,
            "starts_on": today.isoformat(),
            "rounds": [{"name": "kanvas model usaha", "advance": 20}],
        },
    )
    journey.come_home()
    wait_for(
        lambda: journey.call(journey.trainer, "GET", f"/workers/{worker['id']}/invitations")[
            "programs"
        ],
        message="reintegration knows she is home",
    )
    phone.reload()
    expect(phone.locator("#status-value")).to_have_text("Sudah pulang", timeout=WAIT_MS)
    phone.get_by_role("link", name="Program").click()
    offered = phone.locator("#programs-list li", has_text="PAK CAMAT PMI Kademangan")
    expect(offered).to_contain_text("25 tempat tersisa")
    shot(phone, "programs")
    assert violations(phone) == []
    offered.get_by_role("button", name="Daftar program ini").click()
    expect(phone.locator("#programs-result")).to_have_text(
        "Pendaftaran diterima. Petugas akan menghubungi Anda."
    )
    stats = journey.call(journey.trainer, "GET", f"/reintegration/programs/{programme['id']}/stats")
    assert stats["enrolled"] == 1


def submit_and_verify(journey: Journey, types: list[str]) -> None:
    today = district_today()
    for number, kind in enumerate(types, start=1):
        body = {
            "type": kind,
            "number": f"DOC{number:06d}",
            "issued_on": (today - dt.timedelta(days=30)).isoformat(),
            "file": {"content_base64": journey.scan()},
        }
        if kind in EXPIRING:
            body["expires_on"] = (today + dt.timedelta(days=700)).isoformat()
        document = journey.call(
            journey.intake, "POST", f"/workers/{journey.worker_id}/documents", 201, json=body
        )
        journey.call(journey.verifier, "POST", f"/documents/{document['id']}/verify", json={})


def test_the_apps_javascript_and_css_are_small_compressed(stack):
    sizes = {}
    for name in BUNDLE:
        answer = requests.get(f"{stack.base_url}/app/{name}", timeout=30)
        assert answer.status_code == 200, name
        assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
        sizes[name] = len(gzip.compress(answer.content, 9))
    print("compressed bytes:", sizes, "total", sum(sizes.values()))
    assert sum(sizes.values()) < MOST_COMPRESSED
