"""Run one of the platform's processes: ``python -m pmi_common.runner <service>``.

Reads the configuration from the environment, applies the service's migrations, declares the
broker topology, then runs the nameko service until SIGTERM or SIGINT.
"""

from __future__ import annotations

import os
import sys
import warnings

from .green import import_eventlet

# A service or the gateway resolves names only as a connection opens (the broker, the databases,
# the management API) or as a webhook's target is checked (on a thread: the agencies service's
# targets.resolve), so eventlet's green resolver (dnspython: 17 MB in every process) is not loaded.
# The agencies service keeps it: it resolves agencies' hosts as it delivers.
eventlet = import_eventlet(green_dns=__name__ != "__main__" or sys.argv[1:2] == ["agencies"])

eventlet.monkey_patch()  # must come before anything opens a socket

import gc  # noqa: E402
import importlib  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
from functools import partial  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)

from eventlet.event import Event  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

from . import logs, production  # noqa: E402
from .amqp import broker_reachable  # noqa: E402
from .config import service_config  # noqa: E402
from .migrations import upgrade  # noqa: E402
from .topology import declare_topology, own_topology  # noqa: E402

SERVICE_CLASSES = {
    "registration": "services.registration.service:RegistrationService",
    "documents": "services.documents.service:DocumentsService",
    "orientation": "services.orientation.service:OrientationService",
    "reintegration": "services.reintegration.service:ReintegrationService",
    "protection": "services.protection.service:ProtectionService",
    "notifications": "services.notifications.service:NotificationsService",
    "reporting": "services.reporting.service:ReportingService",
    "letters": "services.letters.service:LettersService",
    "gateway": "gateway.service:GatewayService",
    "agencies": "services.agencies.service:AgenciesService",
}

BROKER_HELP = (
    "RabbitMQ is not reachable at {uri} ({reason}).\n"
    "Start one: `rabbitmq-server -detached` (Debian: apt-get install rabbitmq-server), or\n"
    "`docker compose up -d rabbitmq`, or point AMQP_URI at yours."
)


def service_class(service: str):
    module_name, class_name = SERVICE_CLASSES[service].split(":")
    return getattr(importlib.import_module(module_name), class_name)


STARTUP_SECONDS = float(os.environ.get("STARTUP_SECONDS", "120"))


def prepare(service: str, config: dict) -> None:
    """Everything a process needs before it serves: broker up, schema migrated, topology.

    A broker or database that is restarting is waited for (up to ``STARTUP_SECONDS``), so a
    process started during an outage comes up when its dependencies do instead of crashing in a
    loop; past that, it exits saying what is missing."""
    log = logs.get_logger("runner")
    deadline = time.monotonic() + STARTUP_SECONDS
    delay = 0.5
    while True:
        broker_down = reason = broker_reachable(config["AMQP_URI"])
        if reason is None:
            try:
                upgrade(service, config["DATABASE_URL"])
                declare_topology(config["AMQP_URI"], own_topology(service, config))
                return
            except Exception as exc:  # noqa: BLE001 - the database or broker is not ready yet
                reason = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        if time.monotonic() + delay > deadline:
            if broker_down:
                raise SystemExit(BROKER_HELP.format(uri=_safe(config["AMQP_URI"]), reason=reason))
            raise SystemExit(f"{service} could not start: {reason}")
        log.warning("waiting_for_dependencies", reason=reason, retry_in=delay)
        eventlet.sleep(delay)
        delay = min(delay * 2, 5.0)


def _safe(uri: str) -> str:
    from kombu.utils.url import maybe_sanitize_url

    return maybe_sanitize_url(uri)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in SERVICE_CLASSES:
        raise SystemExit(f"usage: python -m pmi_common.runner {{{','.join(SERVICE_CLASSES)}}}")
    service = args[0]
    logs.configure(service)
    config = service_config(service)
    production.check(service, config)
    cls = service_class(service)
    if hasattr(cls, "check_config"):
        cls.check_config(config)
    prepare(service, config)
    runner = ServiceRunner(config)
    runner.add_service(cls)
    stopping = Event()
    stop = partial(_send_once, stopping)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    serve(runner, stopping, service)


def _send_once(event: Event, *_) -> None:
    if not event.ready():
        event.send(True)


def serve(runner: ServiceRunner, stopping: Event, service: str) -> None:
    """Run the service until ``stopping`` is sent (SIGTERM, Ctrl-C), or until its container dies.

    nameko kills a container on an error outside a worker's method (a reply that cannot be
    published while the broker restarts, say). The process must end then, with status 1, so that
    whatever keeps it running starts it again, instead of living on with nothing consuming."""
    log = logs.get_logger("runner")
    runner.start()
    # What the process holds once started (modules, routes, schemas, pools: about 120,000
    # objects in the gateway) lives as long as it does: frozen out of the collector's way, a full
    # collection scans only what requests left behind (under 10 ms in the gateway under load,
    # where it took 70-160 ms with every request in flight waiting for it)
    gc.collect()
    gc.freeze()
    container_ended = eventlet.spawn(runner.wait)
    ended = partial(_send_once, stopping)
    container_ended.link(ended)
    log.info("service_started", service=service)
    stopping.wait()
    if container_ended.dead:
        try:
            container_ended.wait()
        except Exception as exc:  # noqa: BLE001 - said, then the exit status tells the supervisor
            log.critical("service_died", service=service, error=f"{type(exc).__name__}: {exc}")
            raise SystemExit(1) from exc
        raise SystemExit(1)
    container_ended.unlink(ended)
    runner.stop()


if __name__ == "__main__":
    main()
