"""The planning office's reports at the gateway's edge: the period a report is asked for is
checked before the reporting service is called, and refused in Bahasa Indonesia first; the
planning role reaches the figures and no one's record."""

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway import edge
from gateway.problems import problem_for
from gateway.roles import PLANNING, READERS, STAFF
from gateway.routes import BY_NAME, ROUTES
from gateway.schemas import REPORT_MONTHS
from pmi_common.errors import InvalidInput

REPORTS = (
    "monthly_report",
    "monthly_report_csv",
    "monthly_report_xlsx",
    "monthly_report_parquet",
    "monthly_report_pdf",
    "open_data",
)


def period(route: str, query: str) -> dict:
    environ = EnvironBuilder(method="GET", query_string=query).get_environ()
    return edge.read_query(BY_NAME[route], Request(environ))


@pytest.mark.parametrize("route", REPORTS)
def test_a_period_of_two_months_in_order_is_passed_on_as_given(route):
    assert period(route, "from=2025-11&to=2025-12") == {"from": "2025-11", "to": "2025-12"}
    assert period(route, "from=2026-03&to=2026-03") == {"from": "2026-03", "to": "2026-03"}


def refusal(query: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        period("monthly_report", query)
    assert problem_for(refused.value).status == 422
    assert refused.value.message.startswith("Periode laporan tidak sah")
    return refused.value


@pytest.mark.parametrize(
    "query, field",
    [
        ("from=2026-13&to=2026-12", "from"),
        ("from=2026-1&to=2026-12", "from"),
        ("from=2026-01&to=december", "to"),
        ("from=2026-01-01&to=2026-12", "from"),
        ("to=2026-12", "from"),
        ("from=2026-01", "to"),
    ],
)
def test_a_month_that_is_not_a_month_is_refused_in_bahasa_indonesia_first(query, field):
    reasons = refusal(query).details[field]
    assert reasons[0].startswith(("harus berupa bulan", "wajib diisi")), reasons


def test_a_period_that_ends_before_it_starts_is_refused():
    reasons = refusal("from=2026-05&to=2026-04").details["to"]
    assert reasons == ["tidak boleh sebelum bulan from (must not be before from)"]


def test_a_period_of_more_than_three_years_is_refused_and_three_years_is_not():
    assert REPORT_MONTHS == 36
    assert period("monthly_report", "from=2024-01&to=2026-12")["to"] == "2026-12"  # 36 months
    reasons = refusal("from=2023-12&to=2026-12").details["to"]
    assert reasons[0].startswith("paling lama 36 bulan per laporan, bukan 37")


def test_a_parameter_the_report_does_not_take_is_refused():
    assert "district" in refusal("from=2026-01&to=2026-02&district=35.05.12").details


def test_the_planning_office_is_no_reader_of_workers_records():
    assert PLANNING not in READERS and PLANNING not in STAFF
    reached = {route.name for route in ROUTES if PLANNING in route.roles}
    assert reached == set(REPORTS) - {"open_data"} | {"console_me"}  # who signed in, no record
    assert all(not BY_NAME[name].personal for name in REPORTS)
    assert all("worker_id" not in BY_NAME[name].parameters for name in reached)
