"""The route table: one method per route, one route per method, and a document that says so."""

import inspect
from pathlib import Path

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from gateway import openapi
from gateway.agency_reads import SHAPED
from gateway.docs import endpoint_table
from gateway.http import ApiHandler
from gateway.roles import AUDITORS, DPO, PLANNING, ROLES, WORKER
from gateway.routes import BY_NAME, CONSOLE_PAGES, ROUTES, console_pages
from gateway.service import GatewayService


def served_methods() -> set[str]:
    return {
        name
        for name, method in inspect.getmembers(GatewayService, inspect.isfunction)
        if any(isinstance(e, ApiHandler) for e in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()))
    }


def test_every_route_is_served_by_the_method_of_its_name_and_nothing_else_is():
    assert served_methods() == {route.name for route in ROUTES}


def test_methods_take_what_their_route_gives():
    for route in ROUTES:
        parameters = set(inspect.signature(getattr(GatewayService, route.name)).parameters)
        expected = {"self", *route.parameters}
        expected |= {"body"} if route.body else set()
        expected |= {"query"} if route.takes_query else set()
        assert parameters == expected, route.name


def test_roles_in_the_table_are_roles_and_workers_only_reach_their_own_record():
    for route in ROUTES:
        assert route.roles <= set(ROLES), route.name
        if WORKER in route.roles:
            assert "worker_id" in route.parameters, route.name


def test_only_the_admin_reads_the_metrics_and_anyone_checks_a_certificate():
    by_name = {route.name: route for route in ROUTES}
    assert by_name["metrics"].roles == {"admin"}
    assert by_name["verify_certificate"].public
    # every write needs a token, but the SMS provider's replies and delivery reports and
    # Twilio's webhook (a provider holds no token; the notifications service checks each one's
    # HMAC signature instead) and the worker's app's sign-in, which is how a worker gets a token
    signed = {"notification_reply", "notification_delivery_report", "notification_twilio"}
    signing_in = {"ask_sign_in_code", "try_sign_in_code", "refresh_app_token"}
    assert all(
        route.roles for route in ROUTES if route.writes and route.name not in signed | signing_in
    )
    assert by_name["notification_reply"].public and not by_name["notification_reply"].personal


def test_the_document_describes_every_route_and_its_problems():
    document = openapi.document()
    operations = [(path, method) for path, item in document["paths"].items() for method in item]
    assert len(operations) == len(ROUTES)
    for route in ROUTES:
        operation = document["paths"][route.path][route.method.lower()]
        assert operation["operationId"] == route.name
        problems = {status for status in operation["responses"] if status >= "400"}
        assert "422" in problems or route.status == 422
        if route.writes:
            assert "409" in problems, route.name
        if route.body is not None:  # a DELETE reads none
            assert {"415", "413"} <= problems, route.name
        if route.calls and not route.answers:
            assert {"503", "504"} <= problems, route.name


def roles_of(name: str) -> set[str]:
    return set(BY_NAME[name].roles)


def test_the_table_gives_each_desk_the_work_the_brief_gives_it():
    staff = {"operator", "verifier", "trainer", "admin"}
    self_service = {
        "get_worker",
        "update_worker",
        "get_timeline",
        "submit_document",
        "get_checklist",
        "get_document_file",
        "invitations",
        "worker_disclosures",
        "export_worker",
        "list_family",
        "add_family_member",
        "change_family_member",
        "remove_family_member",
        "worker_notifications",
        "notification_choices",
        "request_letter",
        "worker_letters",
        "worker_devices",
        "end_worker_device",
        "worker_sessions",
        "enrol_self",
        "worker_orientation",
        "orientation_ticket",
        "join_program",
        "get_notification_choices",
        "worker_letter_pdf",
        "report_problem",
    }
    for name in ("register_worker", "record_departure", "record_return", "withdraw_worker"):
        assert roles_of(name) == {"operator", "admin"}, name
    for name in ("verify_document", "reject_document", "desk_queue"):
        assert roles_of(name) == {"verifier", "admin"}, name
    assert roles_of("submit_document") == {"verifier", "admin", "worker"}
    # a scan: the worker's own (the export links each), the desks; no trainer, no agency
    assert roles_of("get_document_file") == {"operator", "verifier", "admin", "worker"}
    for name in (
        "schedule_session",
        "cancel_session",
        "enrol_worker",
        "record_attendance",
        "create_program",
        "enrol_participant",
        "record_round_result",
        "complete_participant",
    ):
        assert roles_of(name) == {"trainer", "admin"}, name
    assert roles_of("list_incidents") == {"operator", "admin"}
    for name in ("worker_disclosures", "export_worker"):  # the worker's record of its own data
        assert roles_of(name) == {"operator", "admin", "worker"}, name
    for name in ("list_family", "add_family_member", "change_family_member"):  # and her family
        assert roles_of(name) == {"operator", "admin", "worker"}, name
    for name in ("extend_contract", "change_employer", "expect_return"):
        assert roles_of(name) == {"operator", "admin"}, name
    # the complaints desk: the LTSA's desk files a case, caseworkers and the admin work on it
    assert roles_of("open_case") == {"caseworker", "operator", "admin"}
    for name in (
        "list_cases",
        "get_case",
        "assign_case",
        "move_case",
        "link_case",
        "console_cases",
        "answer_referral",
        "get_referral_letter",
    ):
        assert roles_of(name) == {"caseworker", "admin"}, name
    assert roles_of("public_case_status") == set()
    assert roles_of("desk_lapsed_abroad") == {"verifier", "operator", "admin"}
    # the messages sent to a worker, and her choices for them: the worker and the desk
    for name in ("worker_notifications", "notification_choices"):
        assert roles_of(name) == {"operator", "admin", "worker"}, name
    # Go-TKI letters: the desk or the worker requests; a village office reads and decides on its
    # own residents' family permissions (the service scopes it); the desk issues and revokes
    for name in ("request_letter", "worker_letters"):
        assert roles_of(name) == {"operator", "admin", "worker"}, name
    for name in ("list_letters", "get_letter"):
        assert roles_of(name) == {"operator", "admin", "village"}, name
    assert roles_of("decide_family_permission") == {"village", "admin"}
    for name in (
        "issue_letter",
        "revoke_letter",
        "get_letter_pdf",
        "get_letter_form",
        "get_letter_form_scan",
        "upload_letter_form",
        "confirm_letter_form",
        "refuse_letter_form",
    ):
        assert roles_of(name) == {"operator", "admin"}, name
    assert roles_of("check_letter") == set()
    # the console: each who signs in sees the pages of the routes the role may call
    assert roles_of("console_me") == {
        "operator",
        "admin",
        "caseworker",
        "planning",
        "village",
        "trainer",
    }
    assert console_pages("admin") == list(CONSOLE_PAGES)
    assert console_pages("operator") == [
        "health",
        "queues",
        "letters",
        "lifecycle",
        "webhooks",
        "gotki",
    ]
    assert console_pages("caseworker") == ["cases"]
    assert console_pages("village") == ["gotki"]  # its own residents' requests (the service)
    assert console_pages("trainer") == ["checkin"]  # the orientation's door
    assert console_pages("worker") == console_pages(None) == []
    # the worker's app: signing in is public (it is how a worker gets a token); her devices,
    # the worker and the desk (a lost phone)
    for name in ("ask_sign_in_code", "try_sign_in_code", "refresh_app_token"):
        assert roles_of(name) == set(), name
    for name in ("worker_devices", "end_worker_device"):
        assert roles_of(name) == {"operator", "admin", "worker"}, name
    assert roles_of("enrol_self") == {"trainer", "admin", "worker"}
    assert roles_of("join_program") == {"trainer", "admin", "worker"}
    # her app's orientation (her seat's ticket, its QR, her certificate), her choices of
    # messages and her own issued letters: the worker and the desk
    for name in (
        "worker_orientation",
        "orientation_ticket",
        "get_notification_choices",
        "worker_letter_pdf",
    ):
        assert roles_of(name) == {"operator", "admin", "worker"}, name
    assert roles_of("report_problem") == {"caseworker", "operator", "admin", "worker"}
    assert {route.name for route in ROUTES if WORKER in route.roles} == self_service
    for route in ROUTES:
        if route.method == "GET" and route.roles and route.tag != "operations":
            assert route.roles >= staff or route.name in (
                "desk_queue",
                "desk_lapsed_abroad",
                "list_incidents",
                "worker_disclosures",
                "export_worker",
                "get_document_file",
                "list_family",
                "list_webhooks",
                "webhook_deliveries",
                "agency_settings",
                "list_cases",  # cases: the complaints desk only
                "get_case",
                "worker_notifications",  # the worker and the desk (docs/notifications.md)
                "console_cases",
                "get_case_attachment",
                "get_referral_letter",
                "monthly_report",  # the figures: the planning office and the admin
                "monthly_report_csv",
                "monthly_report_xlsx",
                "monthly_report_parquet",
                "monthly_report_pdf",
                "worker_letters",  # letters: the LTSA desk, the worker, the village
                "list_letters",
                "get_letter",
                "get_letter_pdf",
                "get_letter_form",
                "get_letter_form_scan",
                "worker_devices",  # the worker's app's devices: the worker and the desk
                "worker_orientation",  # her ticket and certificate: the worker and the desk
                "orientation_ticket",
                "get_notification_choices",  # as for the messages themselves
                "worker_letter_pdf",
            )
        # an agency writes one thing: its answer on a case referred to it (docs/agencies.md)
        assert "agency" not in route.roles or not route.writes or route.name == "answer_case"
    assert roles_of("answer_case") == {"agency"}


def test_an_agency_reaches_only_routes_that_apply_its_agreement_or_hold_no_one_s_data():
    no_personal_data = {
        "get_stats",
        "list_sessions",
        "get_session",
        "list_programs",
        "get_program",
        "program_stats",
    }
    own_webhooks = {"list_webhooks", "webhook_deliveries", "agency_settings"}  # its own only
    answers = {"answer_case"}  # its own answer on a case referred to it: nothing of the case
    reached = {route.name for route in ROUTES if "agency" in route.roles}
    assert reached == set(SHAPED) | no_personal_data | own_webhooks | answers
    assert set(SHAPED) == {"get_worker", "list_workers", "get_timeline"}
    # the admin does everything but read the access log: the admin's own reads are in it
    # (and answer for an agency: the answer is the agency's own word)
    assert all(
        "admin" in route.roles
        for route in ROUTES
        if not route.public and not audit(route) and route.name not in answers
    )


def audit(route) -> bool:
    return route.roles == AUDITORS


def test_only_the_data_protection_officer_reads_the_access_log_and_reads_nothing_else():
    assert {route.name for route in ROUTES if DPO in route.roles} == {"access_log"}
    assert BY_NAME["access_log"].roles == {DPO}


def test_the_planning_office_reads_the_figures_and_nothing_else_and_anyone_the_open_data():
    reports = {
        "monthly_report",
        "monthly_report_csv",
        "monthly_report_xlsx",
        "monthly_report_parquet",
        "monthly_report_pdf",
    }
    # and who signed into the console, with no page of its own there (reports.html)
    assert {route.name for route in ROUTES if PLANNING in route.roles} == reports | {"console_me"}
    for name in reports:
        assert roles_of(name) == {"planning", "admin"}, name
        assert not BY_NAME[name].personal and not BY_NAME[name].audited, name
    assert BY_NAME["open_data"].public and not BY_NAME["open_data"].personal
    assert BY_NAME["monthly_report_xlsx"].media_type == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert BY_NAME["monthly_report_parquet"].media_type == "application/zip"
    assert BY_NAME["monthly_report_pdf"].media_type == "application/pdf"
    for name in ("monthly_report_csv", "open_data"):
        assert BY_NAME[name].media_type == "text/csv", name


def test_every_read_of_a_worker_s_record_is_written_to_the_access_log():
    audited = {route.name for route in ROUTES if route.audited}
    assert audited == {
        "get_worker",
        "get_timeline",
        "list_family",
        "worker_disclosures",
        "export_worker",
        "get_document_file",
        "worker_notifications",  # what was said to the worker: her phone, what happened to her
    }


def test_the_documentation_lists_every_endpoint_as_the_table_says():
    guide = Path(__file__).resolve().parents[2] / "docs" / "gateway.md"
    assert endpoint_table() in guide.read_text(encoding="utf-8"), "regenerate the table"
