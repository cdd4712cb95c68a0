"""``pmi agency webhook ...``: agencies' webhook endpoints, for operators.

pmi agency webhook add AGENCY URL --events A,B [--description TEXT] [--by WHO]
                                    a new endpoint (its secret is shown once)
pmi agency webhook list [AGENCY]    endpoints, their state and why one was disabled
pmi agency webhook edit ENDPOINT [--url URL] [--events A,B] [--description TEXT]
                                    change it in place (secrets, log, what waits: kept)
pmi agency webhook rotate-secret ENDPOINT [--keep-old-for HOURS]
                                    a new secret; the old one signs too for HOURS (24)
pmi agency webhook disable ENDPOINT [--reason TEXT] | enable ENDPOINT
pmi agency webhook deliveries ENDPOINT [--limit N] [--since DATE] [--until DATE]
                                    the delivery log: every attempt, newest first
pmi agency webhook replay ENDPOINT (--delivery ID | --since DATE [--until DATE])
pmi agency webhook backfill ENDPOINT --events A,B --since DATE
                                    history, through the agreement, to this endpoint only
pmi agency settings NAME [--queue-format platform|cloudevents-binary|cloudevents-structured]
                         [--contact-email ADDRESS]
                                    how its queue carries events; whom notices go to
"""

from __future__ import annotations

import datetime as dt
import json
import os

from pmi_common import config


def _webhook_handlers():
    from pmi_common.migrations import upgrade
    from pmi_common.sealing import webhook_sealer
    from pmi_common.store import make_engine
    from services.agencies.agreement_repository import AgreementRepository
    from services.agencies.targets import target_policy
    from services.agencies.webhook_handlers import WebhookHandlers
    from services.agencies.webhook_repository import WebhookRepository

    url = config.database_url("agencies")
    upgrade("agencies", url)
    engine = make_engine(url)
    settings = {
        **os.environ,
        "AMQP_URI": config.amqp_uri(),
        "DATABASE_URL": url,
        "RABBITMQ_MANAGEMENT_URL": config.management_url(),
        "GATEWAY_ADDRESS": os.environ.get("GATEWAY_ADDRESS", config.DEFAULT_GATEWAY_ADDRESS),
    }
    return WebhookHandlers(
        WebhookRepository(engine, webhook_sealer(settings)),
        AgreementRepository(engine),
        target_policy(settings),
    )


def _by(args) -> str:
    import getpass

    return args.by or getpass.getuser()


def _add(args) -> None:
    handlers = _webhook_handlers()
    endpoint, secret = handlers.add(args.agency, args.url, args.events, _by(args), args.description)
    print(f"endpoint {endpoint.id} of {endpoint.agency}: {endpoint.url}")
    print(f"events: {', '.join(endpoint.event_types)}")
    print(f"signing secret (shown once): {secret}")


def _list(args) -> None:
    from services.agencies.webhook_handlers import render_endpoints

    handlers = _webhook_handlers()
    views = [handlers.view(e) for e in handlers.endpoints.of_agency(args.agency)]
    print(json.dumps(views, indent=2) if args.json else render_endpoints(views))


def _edit(args) -> None:
    endpoint = _webhook_handlers().edit(
        args.endpoint, _by(args), url=args.url, events=args.events, description=args.description
    )
    print(f"endpoint {endpoint.id} of {endpoint.agency}: {endpoint.url}")
    print(f"events: {', '.join(endpoint.event_types)}")


def _settings(args) -> None:
    from services.agencies.domain import UNSET

    handlers = _webhook_handlers()
    if args.queue_format is None and args.contact_email is None:
        settings = handlers.settings_of(args.name)
    else:
        settings = handlers.change_settings(
            args.name,
            _by(args),
            queue_format=UNSET if args.queue_format is None else args.queue_format,
            contact_email=UNSET if args.contact_email is None else args.contact_email,
        )
    print(
        f"agency {settings.agency}: queue format {settings.queue_format}; contact e-mail "
        f"{settings.contact_email or '(none)'}"
    )


def add_settings_command(agency_commands, failing_clearly) -> None:
    from pmi_common.agreement import QUEUE_FORMATS

    settings = agency_commands.add_parser(
        "settings", help="how an agency's queue carries events; its contact e-mail"
    )
    settings.add_argument("name")
    settings.add_argument(
        "--queue-format",
        choices=QUEUE_FORMATS,
        help="the platform's own form (default) or a CloudEvent",
    )
    settings.add_argument(
        "--contact-email", help="told when an endpoint is disabled ('' removes it)"
    )
    settings.add_argument("--by", help="who makes this change (default: your login)")
    settings.set_defaults(run=failing_clearly(_settings))


def _rotate(args) -> None:
    endpoint, secret = _webhook_handlers().rotate(
        args.endpoint, _by(args), dt.timedelta(hours=args.keep_old_for)
    )
    print(f"endpoint {endpoint.id}: new signing secret (shown once): {secret}")
    print(f"the previous secret signs too for {args.keep_old_for:g} hours")


def _disable(args) -> None:
    endpoint = _webhook_handlers().disable(args.endpoint, _by(args), args.reason)
    print(f"endpoint {endpoint.id} disabled: {endpoint.disabled_reason}")


def _enable(args) -> None:
    endpoint = _webhook_handlers().enable(args.endpoint, _by(args))
    print(f"endpoint {endpoint.id} enabled: what waited is delivered from where it stopped")


def _deliveries(args) -> None:
    from pmi_common.history import parse_moment
    from services.agencies.webhook_handlers import render_deliveries

    handlers = _webhook_handlers()
    endpoint = handlers.endpoints.get(args.endpoint)
    log = handlers.endpoints.deliveries(
        endpoint.id,
        args.limit,
        since=parse_moment(args.since, "since") if args.since else None,
        until=parse_moment(args.until, "until") if args.until else None,
        before=args.before,
    )
    print(json.dumps(log, indent=2) if args.json else render_deliveries(log))


def _replay(args) -> None:
    queued = _webhook_handlers().replay(args.endpoint, args.delivery, args.since, args.until)
    print(f"{queued} deliveries queued again to {args.endpoint}")


def _backfill(args) -> None:
    from nameko.standalone.rpc import ClusterRpcProxy

    import pmi_common.rpc  # noqa: F401 - the platform's errors come back as themselves
    from pmi_common.history import event_types_of, parse_since

    endpoint = _webhook_handlers().endpoints.get(args.endpoint)
    wanted = list(event_types_of(args.events))
    since = parse_since(args.since).isoformat()
    with ClusterRpcProxy({"AMQP_URI": config.amqp_uri()}, timeout=args.timeout) as cluster:
        sent = cluster.agencies.backfill(endpoint.agency, wanted, since, endpoint.id)
    for service, count in sent.items():
        print(f"{service}: {count} events queued to endpoint {endpoint.id}")


def add_webhook_commands(agency_commands, failing_clearly) -> None:
    hooks = agency_commands.add_parser("webhook", help="an agency's webhook endpoints")
    commands = hooks.add_subparsers(dest="webhook_command", required=True)

    def command(name, run, text, *arguments):
        parser = commands.add_parser(name, help=text)
        for argument in arguments:
            parser.add_argument(argument)
        parser.set_defaults(run=failing_clearly(run))
        return parser

    add = command("add", _add, "a new endpoint", "agency", "url")
    add.add_argument("--events", required=True, help="event types (within the agreement)")
    add.add_argument("--description", default="", help="what the endpoint is")
    add.add_argument("--by", help="who makes this change (default: your login)")
    listing = command("list", _list, "endpoints")
    listing.add_argument("agency", nargs="?")
    listing.add_argument("--json", action="store_true")
    edit = command("edit", _edit, "change an endpoint in place", "endpoint")
    edit.add_argument("--url")
    edit.add_argument("--events", help="event types (within the agreement)")
    edit.add_argument("--description")
    edit.add_argument("--by")
    rotate = command("rotate-secret", _rotate, "a new signing secret", "endpoint")
    rotate.add_argument(
        "--keep-old-for",
        type=float,
        default=24.0,
        metavar="HOURS",
        help="how long the previous secret signs too (default 24; 0: not)",
    )
    rotate.add_argument("--by")
    disable = command("disable", _disable, "stop delivering to an endpoint", "endpoint")
    disable.add_argument("--reason")
    disable.add_argument("--by")
    enable = command("enable", _enable, "deliver to an endpoint again", "endpoint")
    enable.add_argument("--by")
    log = command("deliveries", _deliveries, "the delivery log", "endpoint")
    log.add_argument("--limit", type=int, default=20)
    log.add_argument("--since")
    log.add_argument("--until")
    log.add_argument("--before", type=int, help="deliveries older than this one")
    log.add_argument("--json", action="store_true")
    replay = command("replay", _replay, "queue deliveries again", "endpoint")
    chosen = replay.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--delivery", type=int, help="one delivery (its #)")
    chosen.add_argument("--since", help="those queued since (ISO date or date-time)")
    replay.add_argument("--until")
    backfill = command("backfill", _backfill, "send history to one endpoint", "endpoint")
    backfill.add_argument("--events", required=True)
    backfill.add_argument("--since", required=True)
    backfill.add_argument("--timeout", type=float, default=120.0)
