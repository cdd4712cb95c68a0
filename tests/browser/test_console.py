"""Operators watch the platform and act on it from the console, in Bahasa Indonesia or English."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import requests
from kombu import Connection
from playwright.sync_api import expect

from pmi_common import contract as c
from tests.browser.conftest import LAPTOP, TABLET, WAIT_MS, held, screenshot, sign_in
from tests.e2e.journey import Journey
from tests.events import envelope, publish
from tests.helpers import district_today, wait_for, worker_payload

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

FICTIONAL_NIK = "3505125703940002"
PHONE = {"width": 390, "height": 800}


def register(stack, **overrides) -> dict:
    response = stack.client("operator").post(
        stack.url("/workers"), json=worker_payload(**overrides), timeout=30
    )
    assert response.status_code == 201, response.text
    return response.json()


def status_of(stack, worker_id: str) -> str:
    return (
        stack.client("operator")
        .get(stack.url(f"/workers/{worker_id}"), timeout=30)
        .json()["status"]
    )


def test_an_operator_signs_in_and_sees_every_service_up(stack, page):
    sign_in(page, stack)

    expect(page.locator("#health-status")).to_have_text("Semua sehat", timeout=WAIT_MS)
    for service in (*c.SERVICES, c.GATEWAY):
        card = page.locator(f"article[data-service='{service}']")
        expect(card.get_by_text("HIDUP")).to_be_visible()
    expect(page.locator("#tabs button[aria-current='page']")).to_have_text("Kesehatan")
    screenshot(page, "health")


def test_a_backlog_appears_while_a_service_is_stopped_and_drains_when_it_is_back(stack, page):
    sign_in(page, stack)
    page.get_by_role("button", name="Antrean").click()
    inbox = page.locator("tr[data-queue='documents.inbox']")
    expect(inbox.locator("td.state")).to_have_text("baik", timeout=WAIT_MS)

    with held(stack, "documents"):
        expect(inbox.locator("td.consumers")).to_have_text("0", timeout=WAIT_MS)
        for _ in range(3):
            register(stack)  # each worker_registered waits in documents.inbox
        expect(inbox.locator("td.ready")).not_to_have_text("0", timeout=WAIT_MS)
        expect(inbox.locator("td.state")).to_contain_text("NO CONSUMERS")
        expect(page.locator("#overall")).to_contain_text("documents", timeout=WAIT_MS)
        screenshot(page, "queues-backlog")
        page.get_by_role("button", name="Kesehatan").click()
        card = page.locator("article[data-service='documents']")
        expect(card.get_by_text("MATI")).to_be_visible(timeout=WAIT_MS)
        screenshot(page, "health-unhealthy")
        page.get_by_role("button", name="Antrean").click()

    expect(inbox.locator("td.consumers")).to_have_text("1", timeout=WAIT_MS)
    expect(inbox.locator("td.ready")).to_have_text("0", timeout=WAIT_MS)
    expect(inbox.locator("td.state")).to_have_text("baik", timeout=WAIT_MS)
    expect(page.locator("#overall")).to_have_text("Semua sehat", timeout=WAIT_MS)


def dead_letter(stack, body: dict, error: str, attempts: int) -> None:
    """Put a message where the inbox puts one that failed every attempt, as it records it."""
    headers = {
        "x-error": error,
        "x-attempts": attempts,
        "x-service": c.REGISTRATION,
        "x-failed-at": dt.datetime.now(dt.UTC).isoformat(),
        "x-original-routing-key": body["event_type"],
    }
    with Connection(stack.amqp_uri) as connection:
        connection.Producer().publish(
            json.dumps(body),
            exchange="",
            routing_key="registration.dead-letter",
            headers=headers,
            content_type="application/json",
            delivery_mode=2,
        )


def test_a_dead_letter_is_inspected_with_the_nik_masked_then_replayed_and_leaves_the_list(
    stack, page
):
    worker = register(stack)
    # documents completed while registration's database was down: it failed every attempt
    completed = envelope(
        c.DOCUMENTS_COMPLETED,
        worker["id"],
        {"document_ids": ["d1"], "earliest_expiry": None},
        sequence=9,
    )
    dead_letter(stack, completed, "OperationalError: could not connect to server", 6)
    # a message that is no event at all, carrying a NIK in clear: dead-lettered at once
    publish(
        stack.amqp_uri,
        None,
        routing_key=c.ORIENTATION_ENROLLED,
        source=c.ORIENTATION,
        raw=json.dumps({"note": "not an event", "nik": FICTIONAL_NIK}).encode(),
    )

    sign_in(page, stack)
    page.get_by_role("button", name="Pesan gagal").click()
    replayable = page.locator(f"tr[data-event-id='{completed['event_id']}']")
    expect(replayable).to_contain_text("OperationalError", timeout=WAIT_MS)
    malformed = page.locator("tr[data-service='registration'][data-event-id='']")
    expect(malformed).to_have_count(1, timeout=WAIT_MS)

    malformed.get_by_role("button", name="Periksa").click()
    expect(page.locator("#letter-body")).to_contain_text("not an event")
    expect(page.locator("#letter-body")).to_contain_text(FICTIONAL_NIK[-4:])  # masked, not gone
    assert FICTIONAL_NIK not in page.content()
    screenshot(page, "dead-letters")

    replayable.get_by_role("button", name="Putar ulang").click()
    dialog = page.locator("dialog#confirm")
    expect(dialog).to_contain_text(completed["event_id"])
    screenshot(page, "dead-letters-confirm")
    dialog.get_by_role("button", name="Ya, putar ulang").click()

    expect(replayable).to_have_count(0, timeout=WAIT_MS)
    expect(page.locator("#letters-outcome")).to_contain_text("1 pesan dikembalikan")
    expect(page.locator("#actions-list")).to_contain_text("siti.operator (operator)")
    wait_for(
        lambda: status_of(stack, worker["id"]) == "documents_verified",
        timeout=30,
        message="the replayed event applied",
    )
    expect(malformed).to_have_count(1)  # only the chosen one moved


def test_discarding_what_matches_asks_first_and_a_cancel_changes_nothing(stack, page):
    for note in ("garbage to discard", "garbage to discard", "keep me"):
        publish(
            stack.amqp_uri,
            None,
            routing_key=c.ORIENTATION_ENROLLED,
            source=c.ORIENTATION,
            raw=json.dumps({"note": note}).encode(),
        )
    sign_in(page, stack)
    page.get_by_role("button", name="Pesan gagal").click()
    page.get_by_label("Layanan").select_option("registration")
    page.get_by_label("Berisi teks").fill("garbage to discard")
    page.get_by_role("button", name="Terapkan").click()
    garbage = page.locator("#letters-table tbody tr")
    expect(garbage).to_have_count(2, timeout=WAIT_MS)

    page.get_by_role("button", name="Buang semua yang cocok").click()
    page.locator("dialog#confirm").get_by_role("button", name="Batal").click()
    expect(garbage).to_have_count(2)

    page.get_by_role("button", name="Buang semua yang cocok").click()
    dialog = page.locator("dialog#confirm")
    expect(dialog).to_contain_text("2")
    dialog.get_by_role("button", name="Ya, buang").click()
    expect(page.locator("#letters-outcome")).to_contain_text("2 pesan dari registration dibuang")
    expect(garbage).to_have_count(0, timeout=WAIT_MS)
    expect(page.locator("#actions-list li").first).to_contain_text("match=garbage to discard")
    page.get_by_label("Berisi teks").fill("keep me")
    page.get_by_role("button", name="Terapkan").click()
    expect(garbage).to_have_count(1, timeout=WAIT_MS)  # what did not match stays


def passport_decisions(stack) -> int:
    """The passport decisions the console's lifecycle page counts, before this test's."""
    answer = stack.client("operator").get(stack.url("/ops/lifecycle"), timeout=30)
    assert answer.status_code == 200, answer.text
    desk = answer.json().get("documents_desk") or {}
    return desk.get("by_type", {}).get("passport", {}).get("decisions", 0)


PROGRAM = "PAK CAMAT PMI Kanigoro"  # this test's own: the stack is shared


def test_the_lifecycle_page_charts_workers_desks_seats_and_funnels(stack, page):
    decided_before = passport_decisions(stack)
    journey = Journey(stack)
    journey.register()
    journey.submit_and_verify_documents()  # eight decisions at the document desk
    journey.wait_status("documents_verified")
    journey.attend_orientation()  # a session with one seat of thirty taken
    trainer = stack.client("trainer")
    program = trainer.post(
        stack.url("/reintegration/programs"),
        timeout=30,
        json={
            "name": PROGRAM,
            "starts_on": district_today().isoformat(),
            "capacity": 100,
            "audience": "both",
            "rounds": [{"name": "business model", "advance": 75}, {"name": "pitch", "advance": 50}],
        },
    )
    assert program.status_code == 201, program.text
    enrolled = trainer.post(
        stack.url(f"/reintegration/programs/{program.json()['id']}/enrollments"),
        timeout=30,
        json={"worker_id": journey.worker_id},
    )
    assert enrolled.status_code == 201, enrolled.text

    sign_in(page, stack)
    page.get_by_role("button", name="Siklus & loket").click()
    expect(page.locator("#bars-status dt", has_text="orientation_completed")).to_be_visible(
        timeout=WAIT_MS
    )
    expect(page.locator("#bars-country dt", has_text="HK")).to_be_visible()
    passport = page.locator("#desk-table tr[data-type='passport'] td")
    expect(passport.nth(1)).to_have_text(str(decided_before + 1))  # this one, its median shown
    expect(passport.nth(2)).not_to_have_text("–")
    expect(page.locator("#bars-seats")).to_contain_text("1 / 30")
    funnel = page.locator("#funnels .funnel", has=page.locator("h4", has_text=PROGRAM))
    expect(funnel).to_have_count(1)
    expect(funnel.locator(".count").first).to_have_text("1")
    screenshot(page, "lifecycle")


def test_the_console_switches_to_english_and_back(stack, page):
    sign_in(page, stack)
    expect(page.locator("#health-status")).not_to_be_empty(timeout=WAIT_MS)

    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Queues")).to_be_visible()
    expect(page.get_by_role("heading", name="Health")).to_be_visible()
    expect(page.locator("article[data-service='registration']")).to_contain_text("Instances")
    page.get_by_role("button", name="Dead letters").click()
    expect(page.get_by_role("button", name="Replay all matching")).to_be_visible()
    expect(page.locator("#actions-list li").first).to_be_visible(timeout=WAIT_MS)
    screenshot(page, "english")
    page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.get_by_role("button", name="Pesan gagal")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "id")


def focused(page) -> str:
    return page.evaluate("document.activeElement.id")


def test_the_console_is_used_with_the_keyboard_alone(stack, page):
    page.goto(f"{stack.base_url}/console")
    order = []
    for _ in range(4):
        page.keyboard.press("Tab")
        order.append(focused(page))
    assert order == ["skip", "language", "token", "signin-submit"]

    page.keyboard.press("Shift+Tab")
    page.keyboard.type(stack.token("admin", sub="admin-1"))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#health-status")).not_to_be_empty(timeout=WAIT_MS)
    while focused(page) != "tab-queues":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("tr[data-queue='registration.inbox']")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#tab-queues")).to_have_attribute("aria-current", "page")


def test_a_tablet_shows_the_console_without_sideways_scrolling(stack, browser):
    context = browser.new_context(viewport=TABLET, locale="id-ID")
    tablet = context.new_page()
    try:
        sign_in(tablet, stack)
        expect(tablet.locator("#health-status")).not_to_be_empty(timeout=WAIT_MS)
        width = tablet.evaluate("document.documentElement.scrollWidth")
        assert width <= TABLET["width"]
        screenshot(tablet, "health-tablet")
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [LAPTOP, TABLET, PHONE], ids=["laptop", "tablet", "phone"])
def test_the_tabs_stay_put_whatever_the_platforms_status_says(stack, page, viewport):
    """The status in the header changes as services come and go, every refresh; a tab or a
    button it moved would take a click meant for it to another tab, or to nothing."""
    page.set_viewport_size(viewport)
    sign_in(page, stack)
    status = page.locator("#overall")
    expect(status).not_to_be_empty(timeout=WAIT_MS)
    controls = page.locator("#tabs button:visible, #tabs a:visible, .tools button:visible")

    def places() -> list[dict]:
        return [controls.nth(i).bounding_box() for i in range(controls.count())]

    drawn = places()
    assert len(drawn) >= 8 and all(drawn), drawn  # the operator's five tabs, the reports, tools
    down = "Tidak sehat: " + ", ".join((*c.SERVICES, c.AGENCIES))  # as long as it gets
    for said in (down, "Semua sehat", ""):  # "": before the first answer
        page.evaluate("said => { document.querySelector('#overall').textContent = said; }", said)
        assert places() == drawn, f"moved when the status said {said!r}"
    # cut short on a narrow screen, it is whole where the pointer rests on it
    status.evaluate("status => { status.textContent = ''; }")
    expect(status).not_to_be_empty(timeout=WAIT_MS)  # drawn again by the next refresh
    text, title = status.evaluate("status => [status.textContent, status.title]")
    assert text and title == text


def test_a_verifier_gets_a_refusal_page(stack, page):
    sign_in(page, stack, role="verifier", sub="desk-2")

    expect(page.get_by_role("heading", name="Akses ditolak")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#refused-detail")).to_contain_text("verifier")
    expect(page.locator("#tabs")).to_be_hidden()
    screenshot(page, "refused")
    refused = requests.get(
        stack.url("/ops/queues"),
        timeout=30,
        headers={"Authorization": f"Bearer {stack.token('verifier')}"},
    )
    assert refused.status_code == 403


def test_the_webhooks_page_lists_each_agency_endpoint_and_its_health(stack, page):
    from sqlalchemy import create_engine

    from pmi_common.agreement import Agreement
    from services.agencies.agreement_repository import AgreementRepository

    engine = create_engine(stack.env["AGENCIES_DATABASE_URL"])
    AgreementRepository(engine).put(
        Agreement(
            agency="bpjs-console",
            fields={c.WORKER_DEPARTED: ("departed_on",)},
            purpose="BPJS membership",
            legal_basis="legal_obligation",
            approved_by="Kepala Disnaker",
            valid_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        ),
        "e2e",
        dt.datetime.now(dt.UTC),
    )
    engine.dispose()
    added = stack.client("admin").post(
        stack.url("/agencies/bpjs-console/webhooks"),
        json={
            "url": "https://siap.bpjs.invalid/hooks/pmi",
            "events": [c.WORKER_DEPARTED],
            "description": "SIAP",
        },
        timeout=30,
    )
    assert added.status_code == 201, added.text
    sign_in(page, stack)

    page.get_by_role("button", name="Webhook instansi").click()

    row = page.locator(f"tr[data-endpoint='{added.json()['id']}']")
    expect(row).to_contain_text("bpjs-console", timeout=WAIT_MS)
    expect(row.locator("td.state")).to_have_text("aktif")
    expect(row.locator("td.pending")).to_have_text("0")
    expect(page.locator("#notices-list")).to_have_text("Belum ada pemberitahuan.")
    screenshot(page, "webhooks")
    # the stack is shared: no delivery to this address from the tests after this one
    disabled = stack.client("admin").post(
        stack.url(f"/webhooks/{added.json()['id']}/disabling"), json={"reason": "test ended"}
    )
    assert disabled.status_code == 200, disabled.text


def test_a_caseworker_signs_in_and_sees_the_cases_page_alone(stack, page):
    filed = stack.client("caseworker", sub="siti.pengaduan").post(
        stack.url("/cases"),
        json={
            "person_name": "Sri Wahyuni",
            "village_code": "35.05.12.2001",
            "destination_country": "MY",
            "reporter_kind": "other",
            "reporter_name": "Kepala Desa Kademangan",
            "channel": "phone",
            "aspect": "economic",
            "case_type": "unpaid_wages",
            "urgency": "high",
            "summary": "gaji belum dibayar tiga bulan",
        },
        timeout=30,
    )
    assert filed.status_code == 201, filed.text
    # referred to legal aid (a letter to print) and answered: the page lists the thread
    siti = stack.client("caseworker", sub="siti.pengaduan")
    path = stack.url(f"/cases/{filed.json()['id']}")
    for step in (
        ("assign", {"caseworker": "siti.pengaduan"}),
        ("transitions", {"to": "assessed"}),
        (
            "transitions",
            {
                "to": "referred",
                "referral": {
                    "kind": "legal_aid",
                    "name": "LBH Surabaya Pos Blitar",
                    "summary": "gaji tiga bulan belum dibayar; mohon pendampingan hukum",
                },
            },
        ),
    ):
        moved = siti.post(f"{path}/{step[0]}", json=step[1], timeout=30)
        assert moved.status_code == 200, moved.text
    (referral,) = moved.json()["referrals"]
    answered = siti.post(
        f"{path}/referrals/{referral['id']}/answers",
        json={"status": "in_progress", "answered_by": "Ibu Ratna, advokat LBH"},
        timeout=30,
    )
    assert answered.status_code == 201, answered.text

    sign_in(page, stack, role="caseworker", sub="siti.pengaduan")

    expect(page.locator("#view-cases")).to_be_visible(timeout=WAIT_MS)
    row = page.locator(f"tr[data-case='{filed.json()['id']}']")
    expect(row.locator("th")).to_have_text(filed.json()["number"], timeout=WAIT_MS)
    thread = row.locator(f"li[data-referral='{referral['id']}']")
    expect(thread.locator(".whom")).to_have_text("bantuan hukum: LBH Surabaya Pos Blitar")
    expect(thread.locator(".delivery")).to_have_text("surat dicetak (tanpa alamat e-mail)")
    expect(thread.locator("ul.answers li")).to_have_text(
        re.compile(r"^sedang ditangani: Ibu Ratna, advokat LBH \(")
    )
    expect(row).not_to_contain_text("pendampingan")  # the letter's text stays on the case
    expect(page.locator("#tabs button:visible")).to_have_text(["Kasus pengaduan"])
    expect(page.locator("#overall")).to_be_hidden()  # the platform's health is the operators'
    page.goto(f"{stack.base_url}/console#queues")  # a page not its own opens its own
    expect(page.locator("#view-cases")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#view-queues")).to_be_hidden()
    screenshot(page, "cases-caseworker")


KADEMANGAN, SANANKULON = "35.05.12.2001", "35.05.13.2004"
MOTHER = {"full_name": "Sumini", "relation": "parent", "phone": "+6281311112222"}


def family_permission_requested(stack, village: str) -> dict:
    desk = stack.client("operator", sub="desk-1")
    worker = register(stack)
    added = desk.post(stack.url(f"/workers/{worker['id']}/family"), json=MOTHER, timeout=30)
    assert added.status_code == 201, added.text
    asked = desk.post(
        stack.url(f"/workers/{worker['id']}/letters"),
        json={"letter_type": "family_permission", "village_code": village},
        timeout=30,
    )
    assert asked.status_code == 201, asked.text
    return asked.json()


def test_the_go_tki_page_shows_where_each_request_waits_and_a_village_its_own(stack, page):
    ours = family_permission_requested(stack, KADEMANGAN)
    theirs = family_permission_requested(stack, SANANKULON)

    sign_in(page, stack)
    page.get_by_role("button", name="Surat Go-TKI").click()
    row = page.locator(f"tr[data-letter='{ours['id']}']")
    expect(row.locator("td.state")).to_have_text("pengetahuan kepala desa", timeout=WAIT_MS)
    expect(page.locator(f"tr[data-letter='{theirs['id']}']")).to_be_visible()
    screenshot(page, "gotki")

    page.get_by_role("button", name="Keluar").click()
    sign_in(page, stack, role="village", sub="kades-kademangan", village=KADEMANGAN)
    expect(page.locator("#view-gotki")).to_be_visible(timeout=WAIT_MS)
    expect(row).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(f"tr[data-letter='{theirs['id']}']")).to_have_count(0)
    expect(page.locator("#tabs button:visible")).to_have_text(["Surat Go-TKI"])


def test_the_trainer_checks_a_participant_in_at_the_door_by_her_ticket(stack, browser):
    # a page of its own: the refusal it provokes (a 409) is one the browser reports as an error
    context = browser.new_context(viewport=LAPTOP, locale="id-ID")
    page = context.new_page()
    failures: list[str] = []
    page.on("pageerror", lambda exc: failures.append(str(exc)))
    journey = Journey(stack)
    journey.register()
    journey.submit_and_verify_documents()
    journey.wait_status("documents_verified")
    session = journey.schedule_session("Aula LTSA Blitar", capacity=20)
    seat = journey.call(
        journey.trainer,
        "POST",
        f"/orientation/sessions/{session['id']}/enrollments",
        201,
        json={"worker_id": journey.worker_id},
    )

    sign_in(page, stack, role="trainer", sub="opp-1")
    expect(page.get_by_role("heading", name="Absen orientasi pra-penempatan (OPP)")).to_be_visible(
        timeout=WAIT_MS
    )
    expect(page.locator("#tabs button:visible")).to_have_text(["Absen OPP"])
    page.get_by_label("Sesi").select_option(session["id"])
    # the ticket as the desk types it (or a scanner that types), with another's NIK: refused
    page.get_by_label("Kode tiket (QR di aplikasi peserta)").fill(seat["ticket"].lower())
    page.get_by_label("NIK di KTP asli peserta").fill("3505120101900001")
    page.get_by_role("button", name="Catat hadir").click()
    expect(page.locator("#checkin-result")).to_contain_text("Tidak tercatat", timeout=WAIT_MS)
    assert journey.status() == "documents_verified"

    page.get_by_label("NIK di KTP asli peserta").fill(journey.payload["nik"])
    page.get_by_role("button", name="Catat hadir").click()
    expect(page.locator("#checkin-result")).to_contain_text("Hadir tercatat", timeout=WAIT_MS)
    number = re.search(r"Sertifikat (\S+)\.", page.locator("#checkin-result").inner_text())[1]
    expect(page.get_by_label("Kode tiket (QR di aplikasi peserta)")).to_be_empty()
    screenshot(page, "checkin")
    certificate = journey.call(journey.reader, "GET", f"/certificates/{number}")
    assert certificate["valid"] and certificate["holder_initials"]
    assert "worker_id" not in certificate  # a public number names no one's record
    journey.wait_status("orientation_completed")
    context.close()
    assert not failures, failures
