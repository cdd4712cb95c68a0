"""The worker's app on a cheap phone and a weak signal, measured: ``python -m bench.app_network``.

A stack of its own (``make run``'s, on this run's own RabbitMQ and PostgreSQL, its SMS provider
a fake one on loopback) and Debian's Chromium at 360 x 740 under Chrome DevTools' slow 3G preset
(``Slow3GConditions`` in devtools-frontend's ``front_end/core/sdk/NetworkManager.ts``, titled
"3G" since May 2024: 500 kbit/s x 0.8 = 400 kbit/s down and up, 400 ms x 5 = 2000 ms latency)
with the CPU four times slower. A worker opens ``/app`` for the first time, signs in with the
code the SMS provider received, reads her status; then opens the app again, and again without a
signal. It prints, and writes to ``bench/results/app_network.json``:

- the time until the sign-in form answers (the page's script has run and shown it), with the
  requests and bytes (as they crossed the network, compressed or not) by then;
- the time from asking for the code to the code's form, and from sending the code to her
  status shown, with the requests and bytes of signing in;
- a second visit with the signal (the shell already on the phone) and one without (from the
  service worker's copy): the time to her status shown, and their requests and bytes.

The figures are the page's own, as the browser's debugging protocol reports them: the service
worker's own fetches (its first copy of the shell) are not throttled nor counted.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

SLOW_3G = {
    "offline": False,
    "latency": 400 * 5,  # ms
    "downloadThroughput": 500 * 1000 / 8 * 0.8,  # bytes per second: 400 kbit/s
    "uploadThroughput": 500 * 1000 / 8 * 0.8,
}
OFFLINE = {**SLOW_3G, "offline": True}
CPU_SLOWDOWN = 4
PHONE = {"width": 360, "height": 740}
WAIT_MS = 120_000  # a ceiling: every step takes several round trips of two seconds
RESULTS = Path(__file__).parent / "results" / "app_network.json"
SMS_SETTINGS = {
    "NOTIFY_SMS_PROVIDER": "json",
    "NOTIFY_SMS_TOKEN": "sms-provider-token-of-the-bench",
    "NOTIFY_SEND_SECONDS": "0.2",
}


class Traffic:
    """The requests the page sent and the bytes that crossed the network for it (headers and
    body, compressed as sent), from the debugging protocol's events."""

    def __init__(self, cdp) -> None:
        self.requests: list[str] = []
        self.bytes = 0
        self.from_worker = 0
        self.worker_requests = 0
        self.worker_bytes = 0
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.responseReceived", self._received)

    def follow_service_worker(self, browser, conditions: dict) -> None:
        """The service worker's own fetches under the same network conditions, and counted:
        it is a target of its own, reached through the browser's session."""
        session = browser.new_browser_cdp_session()
        targets = session.send("Target.getTargets")["targetInfos"]
        (worker,) = [t for t in targets if t["type"] == "service_worker"]
        attached = session.send(
            "Target.attachToTarget", {"targetId": worker["targetId"], "flatten": False}
        )["sessionId"]

        def heard(event: dict) -> None:
            message = json.loads(event["message"])
            if message.get("method") == "Network.requestWillBeSent":
                self.worker_requests += 1
            elif message.get("method") == "Network.loadingFinished":
                self.worker_bytes += int(message["params"].get("encodedDataLength", 0))

        session.on("Target.receivedMessageFromTarget", heard)
        self._worker = (session, attached)
        self.tell_service_worker("Network.enable", {})
        self.tell_service_worker("Network.emulateNetworkConditions", conditions)

    def tell_service_worker(self, method: str, params: dict) -> None:
        session, attached = self._worker
        message = {"id": int(time.monotonic() * 1000), "method": method, "params": params}
        session.send(
            "Target.sendMessageToTarget", {"sessionId": attached, "message": json.dumps(message)}
        )

    def _sent(self, event: dict) -> None:
        if not event["request"]["url"].startswith("data:"):
            self.requests.append(event["request"]["url"])

    def _received(self, event: dict) -> None:
        if event["response"].get("fromServiceWorker"):
            self.from_worker += 1

    def _finished(self, event: dict) -> None:
        self.bytes += int(event.get("encodedDataLength", 0))

    def mark(self) -> tuple[int, int, int, int, int]:
        counts = (self.bytes, self.from_worker, self.worker_requests, self.worker_bytes)
        return (len(self.requests), *counts)

    def since(self, mark: tuple[int, int, int, int, int]) -> dict:
        requests, sent, from_worker, worker_requests, worker_bytes = mark
        return {
            "requests": len(self.requests) - requests,
            "bytes": self.bytes - sent,
            "answered_by_service_worker": self.from_worker - from_worker,
            "service_worker_requests": self.worker_requests - worker_requests,
            "service_worker_bytes": self.worker_bytes - worker_bytes,
            "paths": sorted({re.sub(r"^https?://[^/]+", "", u) for u in self.requests[requests:]}),
        }


def measure(base_url: str, nik: str, phone_number: str, sign_in_code) -> dict:
    """The three visits of a worker on slow 3G, as a dict of figures; ``sign_in_code()`` is the
    code the SMS provider received once it was asked for."""
    from playwright.sync_api import expect, sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    figures: dict = {}
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="id-ID"
        )
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        traffic = Traffic(cdp)

        say("the first visit")
        # the first visit: nothing on the phone yet
        mark, started = traffic.mark(), time.monotonic()
        page.goto(f"{base_url}/app", wait_until="commit")
        nik_field = page.get_by_label("NIK (16 angka, di KTP)")
        nik_field.wait_for(state="visible")
        page.wait_for_load_state("load")
        figures["first_visit"] = {**_timings(page), **traffic.since(mark)}

        say("signing in")
        # signing in: the code as the SMS provider received it
        mark, started = traffic.mark(), time.monotonic()
        nik_field.fill(nik)
        page.get_by_label("Nomor HP yang terdaftar").fill(phone_number)
        page.get_by_role("button", name="Kirim kode lewat SMS").click()
        code_field = page.get_by_label("Kode 6 angka")
        code_field.wait_for(state="visible")
        asked = _since(started)
        code = sign_in_code()
        sent = time.monotonic()
        code_field.fill(code)
        page.get_by_role("button", name="Masuk", exact=True).click()
        expect(page.locator("#status-value")).not_to_be_empty()
        expect(page.locator("#status-card[aria-busy=true]")).to_have_count(0)
        figures["sign_in"] = {
            "code_form_s": asked,
            "status_after_code_s": _since(sent),
            **traffic.since(mark),
        }
        page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
        traffic.follow_service_worker(browser, SLOW_3G)

        say("the second visit")
        # again, with the signal: the shell on the phone, a new access token, her status
        figures["second_visit"] = _visit(page, traffic)

        say("the visit without a signal")
        # again, without a signal: the service worker's copy and the status kept on the phone
        context.set_offline(True)
        cdp.send("Network.emulateNetworkConditions", OFFLINE)
        traffic.tell_service_worker("Network.emulateNetworkConditions", OFFLINE)
        figures["offline_visit"] = _visit(page, traffic)
        expect(page.locator("#offline")).to_be_visible()
        browser.close()
    return figures


def say(what: str) -> None:
    print(f"app_network: {what}", file=sys.stderr, flush=True)


def _visit(page, traffic: Traffic) -> dict:
    """The app opened again: the time to her status shown (the last one the phone knew), and to
    her status read afresh (or given up without a signal)."""
    from playwright.sync_api import expect

    mark, started = traffic.mark(), time.monotonic()
    page.reload(wait_until="commit")
    expect(page.locator("#status-value")).not_to_be_empty()
    shown = _since(started)
    expect(page.locator("#status-card[aria-busy=true]")).to_have_count(0)
    return {"status_shown_s": shown, "status_read_s": _since(started), **traffic.since(mark)}


def _timings(page) -> dict:
    """The page's own marks since it was asked for: its first paint with content, its script
    run (the sign-in form answers: a module script runs before ``DOMContentLoaded``), loaded."""
    marks = page.evaluate(
        """() => {
        const [nav] = performance.getEntriesByType("navigation");
        const paint = performance.getEntriesByName("first-contentful-paint")[0];
        return {paint: paint ? paint.startTime : null, ready: nav.domContentLoadedEventEnd,
                load: nav.loadEventEnd};
    }"""
    )
    return {
        "first_paint_s": round(marks["paint"] / 1000, 2) if marks["paint"] else None,
        "sign_in_usable_s": round(marks["ready"] / 1000, 2),
        "load_s": round(marks["load"] / 1000, 2),
    }


def _since(started: float) -> float:
    return round(time.monotonic() - started, 2)


def _code(sms) -> str | None:
    texts = [b["text"] for b in sms.accepted() if b["text"].startswith("Kode masuk")]
    return re.search(r"[0-9]{6}", texts[-1]).group(0) if texts else None


def _wait(probe, what: str, ceiling: float = 120):
    deadline = time.monotonic() + ceiling
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise RuntimeError(f"no {what} after {ceiling:g} s")


def run() -> dict:
    """A stack of its own with a worker on record, and her three visits measured by a browser
    driven from a process of its own (``--browser``): this one runs the stack's tools under
    eventlet's monkey patching, which Playwright's sync API does not bear."""
    from tests import servers
    from tests.e2e.conftest import running_stack
    from tests.e2e.journey import Journey
    from tests.integration.test_notifications_service import SmsProvider

    with ExitStack() as held:
        running = held.enter_context(servers.private_servers())
        servers.use(running)
        sms = SmsProvider()
        held.callback(sms.close)
        log_dir = Path(held.enter_context(tempfile.TemporaryDirectory(prefix="pmi-app-net-")))
        stack = held.enter_context(
            running_stack(log_dir, settings={**SMS_SETTINGS, "NOTIFY_SMS_URL": sms.url})
        )
        journey = Journey(stack)
        journey.register()
        journey.wait_known_to_documents()
        browser = subprocess.Popen(
            [sys.executable, "-m", "bench.app_network", "--browser", stack.base_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        held.callback(browser.kill)
        _tell(browser, {"nik": journey.payload["nik"], "phone": journey.payload["phone"]})
        for line in browser.stdout or ():
            asked = json.loads(line)
            if asked.get("code"):
                _tell(browser, {"code": _wait(lambda: _code(sms), "the sign-in code")})
            else:
                figures = asked["figures"]
                break
        else:
            raise RuntimeError(f"the browser's process stopped ({browser.wait()})")
    return {
        "network": {"preset": "Chrome DevTools slow 3G", **SLOW_3G},
        "cpu_slowdown": CPU_SLOWDOWN,
        "viewport": PHONE,
        **figures,
    }


def _tell(process: subprocess.Popen, what: dict) -> None:
    assert process.stdin is not None
    process.stdin.write(json.dumps(what) + "\n")
    process.stdin.flush()


def browse(base_url: str) -> None:
    """The browser's process: the worker's NIK and phone, then her code when asked for, on
    stdin; the figures on stdout."""
    worker = json.loads(sys.stdin.readline())

    def sign_in_code() -> str:
        print(json.dumps({"code": "?"}), flush=True)
        return json.loads(sys.stdin.readline())["code"]

    figures = measure(base_url, worker["nik"], worker["phone"], sign_in_code)
    print(json.dumps({"figures": figures}), flush=True)


def table(result: dict) -> str:
    first, signin = result["first_visit"], result["sign_in"]
    second, offline = result["second_visit"], result["offline_visit"]
    rows = [
        ("first visit: first paint", first["first_paint_s"], None),
        ("first visit: sign-in form usable", first["sign_in_usable_s"], first),
        ("signing in: code form shown", signin["code_form_s"], None),
        ("signing in: status read, after the code", signin["status_after_code_s"], signin),
        ("second visit: last status shown", second["status_shown_s"], None),
        ("second visit: status read afresh", second["status_read_s"], second),
        ("offline visit: last status shown", offline["status_shown_s"], offline),
    ]
    lines = [
        "| step | seconds | requests (answered by the service worker) | bytes (page + worker) |",
        "|---|---:|---:|---:|",
    ]
    for name, seconds, counted in rows:
        counts = " | "
        if counted:
            counts = (
                f"{counted['requests']} ({counted['answered_by_service_worker']}) | "
                f"{counted['bytes']:,} + {counted['service_worker_bytes']:,}"
            )
        lines.append(f"| {name} | {seconds if seconds is not None else '-'} | {counts} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browser", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.browser:
        return browse(args.browser)
    # stopped (Ctrl-C, SIGTERM): the stack and the servers are stopped and removed all the same
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    result = run()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
