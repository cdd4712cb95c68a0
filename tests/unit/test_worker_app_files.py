"""The worker's app's files as the gateway answers them: the page's strict policy on every one,
the service worker allowed to control ``/app``, nothing outside ``static/``, and no inline
script or style in the page."""

from __future__ import annotations

import re

from gateway.app import files


def test_every_file_carries_the_policy_and_its_type():
    for asset, media in (
        ("", "text/html"),
        ("app.js", "text/javascript"),
        ("app.css", "text/css"),
        ("manifest.webmanifest", "application/manifest+json"),
    ):
        answer = files.answer(asset)
        assert answer.status_code == 200, asset
        assert answer.headers["Content-Type"].startswith(media), asset
        policy = answer.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src 'self';" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_the_service_worker_may_control_the_app_and_nothing_outside_static_is_served():
    assert files.answer("sw.js").headers["Service-Worker-Allowed"] == "/app"
    for outside in ("../files.py", "../../auth.py", ".hidden", "nothing.js"):
        assert files.answer(outside).status_code == 404, outside


def test_the_page_has_no_inline_script_style_or_handler():
    page = (files.STATIC / files.PAGE).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "<style" not in page and " style=" not in page
    assert not re.search(r"\son[a-z]+=", page)
    assert '<html lang="id">' in page  # Bahasa Indonesia first
