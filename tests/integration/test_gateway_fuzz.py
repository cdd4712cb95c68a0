"""The API fuzzed: schemathesis reads the gateway's OpenAPI document, generates requests from it
(its examples, boundary values, random valid and invalid requests, and sequences that follow the
document's links from a created record to the routes about it) and sends them to the gateway in
front of the four running services, as an admin (who may call everything).

Every answer must be no server error and conform to the document (status, content type, headers,
body schema); requests that break the document must be refused (4xx); requests without a token
must be refused (401). Not checked: ``positive_data_acceptance`` ("schema-valid requests are
accepted"), because the services enforce rules a schema cannot state (a NIK that matches the birth
date, ISO country codes, dates in the future, the cursors a service gave out) and a generated
``Idempotency-Key`` reused for another request is refused on purpose. No operation is excluded.

schemathesis runs as its command line (its pytest integration does not run under pytest 9), so
the report shows its summary: how many requests it generated and what it found; its JSON report
says that every operation of the document was tested and every phase ran.

The run is bounded by examples, never by time, and reproducible: a fixed seed, no example
database carried over from an earlier run. ``MAX_EXAMPLES`` bounds the examples, fuzzing and
stateful phases: 5 per operation in ``make test``, 50 in ``make reliability``
(``RELIABILITY_SCALE=large``); the coverage phase (boundary values and invalid variants of every
parameter, most of the requests) is deterministic and runs whole in both. Every operation, every
phase, every check, in both.
"""

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.auth import mint
from gateway.testing import TEST_SECRET, start_stack
from tests.scale import sized

MAX_EXAMPLES = sized(small=5, large=50)  # per operation and phase
PHASES = ("examples", "coverage", "fuzzing", "stateful")
SEED = 20260
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
    "unsupported_method",
    "missing_required_header",
    "use_after_free",
    "ensure_resource_availability",
)
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# schemathesis' own list of refusals, plus 414: a URL longer than the gateway reads is refused
# as such (hypothesis builds query strings of several kilobytes from repeated parameters)
REFUSALS = (
    "400",
    "401",
    "403",
    "404",
    "405",
    "406",
    "409",
    "414",
    "415",
    "422",
    "428",
    "429",
    "5xx",
)


@pytest.fixture
def api(container_factory, config_for, private_servers):
    # the console's routes read queue statistics from the broker's management API
    return start_stack(
        container_factory, config_for, RABBITMQ_MANAGEMENT_URL=private_servers.broker.management_url
    )


@pytest.mark.timeout(960)  # the run's own bound is the subprocess's 900 s, under any load
def test_no_generated_request_breaks_the_gateway_or_its_document(api, request, tmp_path):
    token = mint(TEST_SECRET, "admin", "fuzzer", ttl=dt.timedelta(hours=2))
    config = tmp_path / "schemathesis.toml"
    statuses = ", ".join(f'"{status}"' for status in REFUSALS)
    config.write_text(f"[checks.negative_data_rejection]\nexpected-statuses = [{statuses}]\n")
    report_path = tmp_path / "schemathesis.json"
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"{api.base_url}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--phases",
            ",".join(PHASES),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--generation-database",
            "none",
            "--checks",
            ",".join(CHECKS),
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--no-color",
            "--report",
            "json",
            "--report-json-path",
            str(report_path),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    output = run.stdout + run.stderr
    summary = re.search(r"(\d+) generated, ([^\n]*)", output)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and summary:
        reporter.write_line(f"\nschemathesis: {summary.group(0)}")
    (tmp_path / "schemathesis.log").write_text(output)
    # the failures themselves (each with the request that reproduces it) come before the long
    # list of warnings that ends the output
    failures = output.find("FAILURES")
    assert run.returncode == 0, (
        output[failures : failures + 6000] if failures >= 0 else output[-6000:]
    )
    report = json.loads(report_path.read_text())
    operations = report["operations"]
    assert operations["tested"] == operations["total"] > 0, operations  # every operation fuzzed
    assert {phase: report["phases"][phase]["status"] for phase in PHASES} == dict.fromkeys(
        PHASES, "success"
    ), report["phases"]
    assert summary and int(summary.group(1)) > 1000, output[-2000:]
