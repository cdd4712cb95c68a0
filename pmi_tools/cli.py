"""``pmi``: the platform's command line for developers and operators.

pmi migrate [SERVICE ...]           apply migrations (all services by default)
pmi migration SERVICE MESSAGE       write a new migration from the models (autogenerate)
pmi topology [--definitions]        declare the broker topology, or print it as definitions
pmi broker setup                    one broker user per process (BROKER_USERS), and the topology
pmi contract                        print the lifecycle and event tables (as in the README)
pmi import-workers FILE.csv         register a district registry export (re-runnable; exits 1
                                    when the file is missing or a row is refused)
pmi asyncapi [--check]              write (or check) docs/asyncapi.yaml, the event catalogue
pmi agency onboard NAME --events A,B --fields TYPE:f1,f2 ... --purpose TEXT
        --legal-basis BASIS --approved-by WHO [--valid-from DATE] [--valid-until DATE]
        [--placement-agency "PT ..."] [--by WHO] [--password P]
                                    set an agency's agreement; give it its user and queue
pmi agency offboard NAME [--by WHO] end the agreement; remove the agency's user and queues
pmi agency show NAME                the agreement, its record of changes, the queue
pmi agency backfill NAME --events A,B --since DATE
                                    send history through the agreement to the agency
pmi agency move-tables              copy the agency tables out of the gateway's database into
                                    the agencies database (once, on upgrading to it)
pmi agency webhook add|list|edit|rotate-secret|disable|enable|deliveries|replay|backfill
                                    an agency's webhook endpoints (see agency_webhooks)
pmi agency settings NAME [--queue-format F] [--contact-email E]
                                    its queue's format (platform or CloudEvents), contact
pmi ops queues [--all]              every platform queue: depth, consumers, rates, what's wrong
pmi ops dead-letters [SERVICE] [--limit N]
                                    the dead letters with their event, attempts and error
pmi ops replay SERVICE (--event-id ID | --all | --match TEXT)
                                    move dead letters back to the service's inbox
pmi ops discard SERVICE (--event-id ID | --all | --match TEXT) --yes
                                    delete dead letters for good
pmi retention run [SERVICE ...]     prune inboxes, archive outboxes, drop expired answers now
pmi retention sizes [SERVICE ...]   rows and bytes of each service's messaging tables
pmi token [ROLE ...] [--sub ID] [--agency NAME] [--hours H]
                                    mint gateway tokens (development)
pmi token revoke SUBJECT [--by WHO] [--reason TEXT]
                                    refuse every token of SUBJECT issued until now
pmi token revoke --jti ID [--by WHO] refuse one token, by its jti
pmi notifications outbox [--limit N] [--worker ID]
                                    the messages to workers, newest first (make run's local
                                    outbox: what would have gone by SMS, WhatsApp or e-mail)
pmi reports rebuild [--timeout S]   empty the planning office's figures and replay every
                                    service's history (outbox and archive) into them
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from pmi_common import config
from pmi_common.contract import SERVICES
from pmi_common.green import import_eventlet

DATABASE_OWNERS = (*SERVICES, "agencies", "gateway")


def _migrate(args) -> None:
    from pmi_common.migrations import migrations_dir, upgrade

    for service in args.services or DATABASE_OWNERS:
        if migrations_dir(service).is_dir():
            upgrade(service, config.database_url(service))
            print(f"{service}: migrated")


def _migration(args) -> None:
    from alembic import command

    from pmi_common.migrations import alembic_config

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'head.db'}"
        alembic = alembic_config(args.service, url)
        command.upgrade(alembic, "head")
        versions = list(
            (Path(alembic.get_main_option("script_location")) / "versions").glob("[0-9]*.py")
        )
        rev_id = f"{len(versions) + 1:04d}"
        command.revision(alembic, message=args.message, autogenerate=True, rev_id=rev_id)


def _topology(args) -> None:
    from pmi_common.topology import declare_topology, definitions

    if args.definitions:
        json.dump(definitions(), sys.stdout, indent=2)
        print()
        return
    declare_topology(config.amqp_uri(), again=True)
    print("topology declared")


def _broker_setup(args) -> None:
    import os

    from .broker_setup import setup

    try:
        done = setup(os.environ)
    except (ValueError, KeyError) as exc:
        raise SystemExit(f"pmi broker setup: {exc}") from exc
    print("\n".join(done))


def _import_workers(args) -> None:
    """Exits 1 when the file is missing or empty, or when any row was refused."""
    from services.registration import importer

    if not Path(args.file).is_file():
        raise SystemExit(f"pmi import-workers: no such file: {args.file}")
    rejected = args.report or f"{Path(args.file).stem}.rejected.csv"
    report = importer.run(args.file, config.database_url("registration"), rejected)
    if report.total == 0:
        raise SystemExit(f"pmi import-workers: {args.file} has no rows")
    if report.rejected:
        raise SystemExit(
            f"pmi import-workers: {len(report.rejected)} of {report.total} rows refused: "
            f"the reasons are in {rejected}; correct them and import the file again"
        )


def _contract(args) -> None:
    import re

    from pmi_common.contract import events_markdown, lifecycle_markdown

    tables = {"lifecycle": lifecycle_markdown(), "events": events_markdown()}
    if not args.update_readme:
        print("\n\n".join(tables.values()))
        return
    readme = Path("README.md")
    text = readme.read_text()
    for name, table in tables.items():
        text = re.sub(
            rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)",
            lambda m, t=table: m.group(1) + t + "\n" + m.group(2),
            text,
            flags=re.S,
        )
    readme.write_text(text)


def main(argv: list[str] | None = None) -> None:
    import_eventlet()  # quietly, before a command imports nameko; no green resolver (see green)
    parser = argparse.ArgumentParser(
        prog="pmi", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser("migrate", help="apply migrations")
    migrate.add_argument(
        "services",
        nargs="*",
        metavar="SERVICE",
        help=f"any of {', '.join(DATABASE_OWNERS)} (default: all)",
    )
    migrate.set_defaults(run=_migrate)
    migration = commands.add_parser("migration", help="write a new migration")
    migration.add_argument("service", choices=DATABASE_OWNERS)
    migration.add_argument("message")
    migration.set_defaults(run=_migration)
    topology = commands.add_parser("topology", help="declare or print the broker topology")
    topology.add_argument("--definitions", action="store_true")
    topology.set_defaults(run=_topology)
    contract = commands.add_parser("contract", help="print the lifecycle and event tables")
    contract.add_argument(
        "--update-readme", action="store_true", help="rewrite the README's generated tables"
    )
    contract.set_defaults(run=_contract)
    broker = commands.add_parser("broker", help="the platform's broker users")
    broker.add_argument("action", choices=["setup"])
    broker.set_defaults(run=_broker_setup)
    imports = commands.add_parser("import-workers", help="import a CSV registry export")
    imports.add_argument("file")
    imports.add_argument("--report", help="where to write rejected rows (CSV)")
    imports.set_defaults(run=_import_workers)
    _add_agency_and_ops_commands(commands)
    _add_retention_command(commands)
    _add_token_command(commands)
    _add_notifications_command(commands)
    _add_reports_command(commands)
    args = parser.parse_args(argv)
    args.run(args)


# the event catalogue, agencies and operators ---------------------------------------------------


def _asyncapi(args) -> None:
    from . import catalogue

    if not args.check:
        print(f"wrote {catalogue.write()}")
        return
    path = catalogue.DOCUMENT_PATH
    if not path.is_file() or path.read_text(encoding="utf-8") != catalogue.render():
        raise SystemExit(f"{path} is out of date: run `pmi asyncapi`")
    print(f"{path} matches the contract")


def _failing_clearly(run):
    """Platform errors, unreachable brokers and missing queues end the command with their reason
    instead of a traceback."""

    def wrapped(args) -> None:
        from nameko.exceptions import MethodNotFound, RemoteError, RpcTimeout, UnknownService

        from pmi_common.errors import PlatformError
        from pmi_common.management import ManagementError

        try:
            run(args)
        except (MethodNotFound, RemoteError, UnknownService, RpcTimeout) as exc:
            raise SystemExit(f"a service could not do it: {type(exc).__name__}: {exc}") from exc
        except PlatformError as exc:
            details = "".join(
                f"\n  {field}: {'; '.join(map(str, reasons))}"
                for field, reasons in exc.details.items()
                if isinstance(reasons, list | tuple)
            )
            raise SystemExit(f"{exc.message}{details}") from exc
        except (ManagementError, LookupError, ConnectionError, OSError) as exc:
            raise SystemExit(str(exc)) from exc

    return wrapped


def _agencies():
    from pmi_common.management import Management
    from pmi_common.migrations import upgrade
    from pmi_common.store import make_engine
    from services.agencies.agreement_repository import AgreementRepository

    from .onboarding import Agencies

    url = config.database_url("agencies")
    upgrade("agencies", url)
    return Agencies(
        Management(config.management_url()),
        config.amqp_uri(),
        AgreementRepository(make_engine(url)),
    )


def _operator(args) -> str:
    import getpass

    return args.by or getpass.getuser()


def _agency_onboard(args) -> None:
    from .onboarding import Terms, agency_amqp_uri

    terms = Terms(
        events=args.events,
        fields=args.fields,
        purpose=args.purpose,
        legal_basis=args.legal_basis,
        approved_by=args.approved_by,
        valid_from=args.valid_from,
        valid_until=args.valid_until,
        placement_agency=args.placement_agency,
    )
    sub = _agencies().onboard(args.name, terms, _operator(args), password=args.password)
    print(f"agency {sub.name}: user {sub.user}, queue {sub.queue} (parked: {sub.parked_queue})")
    print(f"agreement version {sub.agreement.version}; receives: {', '.join(sub.events)}")
    if sub.unbound:
        print(f"bindings to the services' exchanges removed: {', '.join(sub.unbound)}")
    if sub.password and not args.password:
        print(
            "connect with (shown once): "
            + agency_amqp_uri(config.amqp_uri(), sub.name, sub.password)
        )


def _agency_offboard(args) -> None:
    dropped = _agencies().offboard(args.name, _operator(args))
    print(
        f"agency {args.name} offboarded, its agreement ended; messages dropped: "
        + (", ".join(f"{queue} {count}" for queue, count in dropped.items()) or "none")
    )


def _agency_show(args) -> None:
    from .onboarding import render_agency

    agencies = _agencies()
    print(
        render_agency(
            agencies.agreement_of(args.name),
            agencies.agreements.history(args.name),
            agencies.queue(args.name),
        )
    )


def _agency_move_tables(args) -> None:
    import time

    from services.agencies.move import MoveRefused, move_tables

    started = time.monotonic()
    try:
        moved = move_tables(config.database_url("gateway"), config.database_url("agencies"))
    except MoveRefused as exc:
        raise SystemExit(f"nothing moved: {exc}") from exc
    if not moved.rows:
        print("the gateway's database holds no agency tables left to move")
        return
    for table, rows in moved.rows.items():
        print(f"{table}: {rows} rows")
    print(
        f"{moved.total} rows moved in {time.monotonic() - started:.1f}s; the gateway's "
        "migration 0010 drops the tables it left (pmi migrate gateway)"
    )


def _agency_backfill(args) -> None:
    sent = _agencies().backfill(args.name, args.events, args.since, timeout=args.timeout)
    for service, count in sent.items():
        print(f"{service}: {count} events sent to the queue of {args.name}")


def _ops_queues(args) -> None:
    from pmi_common.management import Management
    from pmi_common.queue_health import queue_report

    from .reports import render_queues

    print(
        render_queues(
            queue_report(
                Management(config.management_url()), config.amqp_uri(), everything=args.all
            )
        )
    )


def _ops_dead_letters(args) -> None:
    from pmi_common.dead_letters import DeadLetterQueues, dead_letter_sources

    from .reports import render_dead_letters

    queues = DeadLetterQueues(config.amqp_uri())
    letters = [
        letter
        for queue in dead_letter_sources(args.service)
        for letter in queues.peek(queue, args.limit)
    ]
    print(render_dead_letters(letters))


def _selection(args):
    from pmi_common.dead_letters import Selection

    return Selection(event_id=args.event_id, everything=args.all, match=args.match)


def _ops_replay(args) -> None:
    from pmi_common.dead_letters import DeadLetterQueues

    from .reports import render_dead_letters

    moved = DeadLetterQueues(config.amqp_uri()).replay(args.service, _selection(args))
    if moved:
        print(render_dead_letters(moved))
    print(f"{len(moved)} dead letters moved back to {args.service}.inbox")


def _ops_discard(args) -> None:
    from pmi_common.dead_letters import DeadLetterQueues

    from .reports import render_dead_letters

    queues = DeadLetterQueues(config.amqp_uri())
    if not args.yes:
        chosen = queues.select(args.service, _selection(args))
        print(render_dead_letters(chosen))
        raise SystemExit(
            f"nothing discarded: add --yes to delete these {len(chosen)} dead letters for good"
        )
    dropped = queues.discard(args.service, _selection(args))
    if dropped:
        print(render_dead_letters(dropped))
    print(f"{len(dropped)} dead letters discarded from {args.service}.dead-letter")


def _add_agency_and_ops_commands(commands) -> None:
    from pmi_common.topology import consuming_services
    from services.agencies.domain import LEGAL_BASES

    catalogue = commands.add_parser("asyncapi", help="write docs/asyncapi.yaml")
    catalogue.add_argument(
        "--check",
        action="store_true",
        help="fail when the committed file differs from the contract",
    )
    catalogue.set_defaults(run=_asyncapi)

    agency = commands.add_parser("agency", help="partner agencies' subscriptions")
    agency_commands = agency.add_subparsers(dest="agency_command", required=True)
    onboard = agency_commands.add_parser("onboard", help="create or change a subscription")
    onboard.add_argument("name")
    onboard.add_argument("--events", required=True, help="event types, comma-separated")
    onboard.add_argument(
        "--fields",
        action="append",
        metavar="TYPE:f1,f2",
        help="the fields granted of one event type (repeat per type): required for every "
        "type the agreement does not grant yet; a type granted before keeps its fields",
    )
    onboard.add_argument("--purpose", help="what the agency processes the data for")
    onboard.add_argument(
        "--legal-basis", choices=sorted(LEGAL_BASES), help="the lawful basis (UU 27/2022 art. 20)"
    )
    onboard.add_argument("--approved-by", help="who approved the agreement")
    onboard.add_argument("--valid-from", help="ISO date or date-time (default: now)")
    onboard.add_argument("--valid-until", help="ISO date or date-time (default: open-ended)")
    onboard.add_argument(
        "--placement-agency",
        metavar="NAME",
        help="a placement company, as workers' placement_agency names it: "
        "it receives its own recruits only",
    )
    onboard.add_argument("--by", help="who makes this change (default: your login)")
    onboard.add_argument(
        "--password",
        help="the agency user's password (default: generated "
        "for a new user, unchanged for an existing one)",
    )
    onboard.set_defaults(run=_failing_clearly(_agency_onboard))
    offboard = agency_commands.add_parser("offboard", help="remove an agency")
    offboard.add_argument("name")
    offboard.add_argument("--by", help="who makes this change (default: your login)")
    offboard.set_defaults(run=_failing_clearly(_agency_offboard))
    show = agency_commands.add_parser("show", help="an agency's agreement and its changes")
    show.add_argument("name")
    show.set_defaults(run=_failing_clearly(_agency_show))
    backfill = agency_commands.add_parser("backfill", help="send history to an agency")
    backfill.add_argument("name")
    backfill.add_argument("--events", required=True, help="event types, comma-separated")
    backfill.add_argument("--since", required=True, help="ISO date or date-time")
    backfill.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for each service"
    )
    backfill.set_defaults(run=_failing_clearly(_agency_backfill))
    move = agency_commands.add_parser(
        "move-tables",
        help="copy the agency tables out of the gateway's database into the agencies database "
        "(once, with the gateway and the agencies service stopped)",
    )
    move.set_defaults(run=_failing_clearly(_agency_move_tables))
    from .agency_webhooks import add_settings_command, add_webhook_commands

    add_webhook_commands(agency_commands, _failing_clearly)
    add_settings_command(agency_commands, _failing_clearly)

    ops = commands.add_parser("ops", help="queues and dead letters, for operators")
    ops_commands = ops.add_subparsers(dest="ops_command", required=True)
    queues = ops_commands.add_parser("queues", help="every platform queue and its health")
    queues.add_argument("--all", action="store_true", help="the broker's other queues too")
    queues.set_defaults(run=_failing_clearly(_ops_queues))
    letters = ops_commands.add_parser("dead-letters", help="list dead letters")
    letters.add_argument("service", nargs="?", choices=consuming_services())
    letters.add_argument("--limit", type=int, default=50, help="at most this many per service")
    letters.set_defaults(run=_failing_clearly(_ops_dead_letters))
    for name, run, text in (
        ("replay", _ops_replay, "move dead letters back to the inbox"),
        ("discard", _ops_discard, "delete dead letters"),
    ):
        command = ops_commands.add_parser(name, help=text)
        command.add_argument("service", choices=consuming_services())
        chosen = command.add_mutually_exclusive_group(required=True)
        chosen.add_argument("--event-id", help="the dead letters of this event")
        chosen.add_argument("--all", action="store_true", help="every dead letter")
        chosen.add_argument("--match", help="those whose error, type or body contain this text")
        if name == "discard":
            command.add_argument("--yes", action="store_true", help="really delete them")
        command.set_defaults(run=_failing_clearly(run))


# retention -------------------------------------------------------------------------------------


def _retention(args) -> None:
    import os

    from pmi_common.retention import RetentionPolicy, prune, table_sizes
    from pmi_common.store import make_engine, messaging_tables

    policy = RetentionPolicy.from_config(os.environ)
    for service in args.services or SERVICES:
        engine = make_engine(config.database_url(service))
        tables = messaging_tables(_models(service).metadata)
        try:
            result = (
                prune(engine, tables, policy)
                if args.action == "run"
                else table_sizes(engine, tables)
            )
        finally:
            engine.dispose()
        print(f"{service}: {json.dumps(result)}")


def _models(service: str):
    import importlib

    return importlib.import_module(f"services.{service}.models")


def _add_retention_command(commands) -> None:
    retention = commands.add_parser("retention", help="prune the messaging tables")
    retention.add_argument("action", choices=("run", "sizes"))
    retention.add_argument(
        "services",
        nargs="*",
        metavar="SERVICE",
        help=f"any of {', '.join(SERVICES)} (default: all)",
    )
    retention.set_defaults(run=_failing_clearly(_retention))


# tokens for the gateway, in development -------------------------------------------------------


def _token(args) -> None:
    if args.roles[:1] == ["revoke"]:
        return _token_revoke(args, args.roles[1:])
    from gateway.tokens import print_tokens

    print_tokens(args.roles, subject=args.sub, agency=args.agency, hours=args.hours)


def _token_revoke(args, subjects: list[str]) -> None:
    """``pmi token revoke SUBJECT`` or ``--jti ID``, in the gateway's database (every gateway
    instance refuses the tokens at their next request)."""
    from gateway.revocations import RevocationBook
    from pmi_common.migrations import upgrade
    from pmi_common.store import make_engine

    if len(subjects) + (args.jti is not None) != 1:
        raise SystemExit("pmi token revoke takes one SUBJECT, or --jti ID")
    url = config.database_url("gateway")
    upgrade("gateway", url)
    engine = make_engine(url)
    try:
        book = RevocationBook(engine)
        if args.jti is not None:
            book.revoke_token(args.jti, _operator(args))
            print(f"token {args.jti} revoked")
        else:
            not_before = book.revoke_subject(subjects[0], _operator(args), args.reason)
            print(f"tokens of {subjects[0]} issued before {not_before.isoformat()} are refused")
    finally:
        engine.dispose()


def _add_token_command(commands) -> None:
    token = commands.add_parser("token", help="mint gateway tokens for development")
    token.add_argument(
        "roles",
        nargs="*",
        metavar="ROLE",
        help="operator, verifier, trainer, agency, worker, admin, dpo (default: all); "
        "or revoke SUBJECT",
    )
    token.add_argument("--sub", help="the subject; for the worker role, the worker's id")
    token.add_argument("--agency", help="the agency claim (the agency role needs one)")
    token.add_argument("--hours", type=float, default=8, help="lifetime (default 8)")
    token.add_argument("--jti", help="with revoke: the id of the one token to refuse")
    token.add_argument("--by", help="with revoke: who revokes (default: your login)")
    token.add_argument("--reason", help="with revoke: why (kept with the revocation)")
    token.set_defaults(run=_token)


# notifications --------------------------------------------------------------------------------


def _notifications_outbox(args) -> None:
    from sqlalchemy.orm import Session

    from pmi_common.migrations import upgrade
    from pmi_common.store import make_engine
    from services.notifications.repository import NotificationsRepository

    url = config.database_url("notifications")
    upgrade("notifications", url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            repository = NotificationsRepository(session)
            found = (
                repository.messages_of(args.worker, args.limit)
                if args.worker
                else repository.latest(args.limit)
            )
            for message in found:
                print(
                    f"{message.created_at.isoformat(timespec='seconds')}  {message.status:<10} "
                    f"{message.channel:<8} {message.language}  worker {message.worker_id}  "
                    f"{message.kind}  due {message.due_at.isoformat(timespec='minutes')}  "
                    f"{message.segments} {message.encoding}\n    {message.body}"
                )
            if not found:
                print("no messages")
    finally:
        engine.dispose()


def _add_notifications_command(commands) -> None:
    notifications = commands.add_parser("notifications", help="messages to workers")
    chosen = notifications.add_subparsers(dest="notifications_command", required=True)
    outbox = chosen.add_parser("outbox", help="the messages, newest first")
    outbox.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    outbox.add_argument("--worker", help="only this worker's")
    outbox.set_defaults(run=_failing_clearly(_notifications_outbox))


# reports ---------------------------------------------------------------------------------------


def _reports_rebuild(args) -> None:
    """Empty the reporting service's read model and replay every service's history into it."""
    from nameko.standalone.rpc import ClusterRpcProxy

    import pmi_common.rpc  # noqa: F401 - the platform's errors come back as themselves
    from pmi_common.migrations import upgrade
    from pmi_common.store import make_engine
    from services.reporting.rebuild import history_over_rpc, rebuild, store_over

    url = config.database_url("reporting")
    upgrade("reporting", url)
    engine = make_engine(url)
    zone = os.environ.get("DISTRICT_TIMEZONE") or "Asia/Jakarta"
    try:
        with ClusterRpcProxy({"AMQP_URI": config.amqp_uri()}, timeout=args.timeout) as cluster:
            read = rebuild(store_over(engine), history_over_rpc(cluster), zone)
    finally:
        engine.dispose()
    for source, count in read.items():
        print(f"{source}: {count} events replayed")


def _add_reports_command(commands) -> None:
    reports = commands.add_parser("reports", help="the planning office's figures")
    chosen = reports.add_subparsers(dest="reports_command", required=True)
    rebuilt = chosen.add_parser(
        "rebuild", help="empty the read model and replay the services' history into it"
    )
    rebuilt.add_argument("--timeout", type=float, default=60.0, help="seconds per history page")
    rebuilt.set_defaults(run=_failing_clearly(_reports_rebuild))


if __name__ == "__main__":
    main()
