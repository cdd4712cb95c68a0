"""Is this service process ready?
``python -m pmi_tools.probe <service> [--timeout SECONDS]``.

The readiness probe of a service's pods (Kubernetes runs it inside the container, with the
container's environment). It exits 0 and prints one line when

1. the broker answers at ``AMQP_URI``;
2. this process is up: it accepts connections on its metrics port (``METRICS_PORT``, when set),
   which it opens only after its migrations and broker topology are in place;
3. the service answers its ``health()`` RPC within the timeout, and its database is ``ok``.

Otherwise it exits 1 and prints the one-line reason. RPC goes through the service's shared queue,
so step 3 may be answered by another replica: it says the service can work (broker, RPC path,
database), while step 2 ties the answer to this pod. Nothing here writes anything; the reply
queue is exclusive and goes away with the probe's connection.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
import uuid
import warnings

from pmi_common.green import import_eventlet

import_eventlet()  # quietly, without the green resolver: the probe connects and exits
warnings.filterwarnings("ignore", category=DeprecationWarning)

from kombu import Queue  # noqa: E402
from kombu.utils.url import maybe_sanitize_url  # noqa: E402

from pmi_common.amqp import broker_reachable  # noqa: E402
from pmi_common.config import service_config  # noqa: E402
from pmi_common.contract import AGENCIES, SERVICES  # noqa: E402

DEFAULT_TIMEOUT = 5.0
READY, NOT_READY = 0, 1


def verdict(service: str, answer: object) -> str | None:
    """Why a ``health()`` answer says the service is not ready, or None when it is."""
    if not isinstance(answer, dict) or answer.get("service") != service:
        return f"health() answered something other than {service}'s health: {answer!r:.200}"
    if answer.get("database") != "ok":
        return f"its database is not ok: {answer.get('database')}"
    return None


def summary(answer: dict) -> str:
    backlog = answer.get("outbox_backlog")
    return f"database ok, outbox backlog {backlog}"


def check(service: str, config: dict, timeout: float = DEFAULT_TIMEOUT) -> tuple[bool, str]:
    """(ready, one line saying why)."""
    reason = broker_reachable(config["AMQP_URI"], timeout=min(timeout, 3.0))
    if reason:
        return False, f"broker unreachable at {maybe_sanitize_url(config['AMQP_URI'])}: {reason}"
    port = int(config.get("METRICS_PORT") or 0)
    if port > 0:
        reason = _refused(port, timeout)
        if reason:
            return False, f"this process does not listen on its metrics port {port}: {reason}"
    try:
        answer = call_health(service, config, timeout)
    except Exception as exc:  # noqa: BLE001 - the probe's answer is the reason
        return False, _rpc_failure(service, exc, timeout)
    reason = verdict(service, answer)
    return (False, reason) if reason else (True, summary(answer))


def _refused(port: int, timeout: float) -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return None
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"


def _rpc_failure(service: str, exc: Exception, timeout: float) -> str:
    from nameko.exceptions import RpcTimeout, UnknownService

    if isinstance(exc, UnknownService):
        return f"no {service} RPC queue on the broker: the service has never started here"
    if isinstance(exc, RpcTimeout):
        return f"{service} did not answer health() within {timeout:g}s"
    return f"health() failed: {type(exc).__name__}: {exc}"[:300]


def call_health(service: str, config: dict, timeout: float) -> object:
    with _health_proxy(service, config, timeout) as health:
        return health()


def _health_proxy(service: str, config: dict, timeout: float):
    """A standalone nameko proxy to one service's ``health()``. Its request expires after the
    timeout, so probes of a service that is down do not pile up in its RPC queue; its reply queue
    is exclusive to the probe's connection, so it goes when the probe exits instead of lingering
    as nameko's durable reply queues do (a probe runs every few seconds in every pod)."""
    from nameko.rpc import RPC_REPLY_QUEUE_TEMPLATE, MethodProxy, get_rpc_exchange
    from nameko.standalone.rpc import SingleThreadedReplyListener, StandaloneProxyBase

    class ExclusiveReplyListener(SingleThreadedReplyListener):
        def setup(self):
            reply_id = uuid.uuid4()
            self.routing_key = str(reply_id)
            self.queue = Queue(
                RPC_REPLY_QUEUE_TEMPLATE.format("probe", reply_id),
                exchange=get_rpc_exchange(self.container.config),
                routing_key=self.routing_key,
                exclusive=True,
                auto_delete=True,
            )
            self.queue_consumer.register_provider(self)

    class HealthProxy(StandaloneProxyBase):
        def __init__(self):
            super().__init__(config, timeout=timeout, reply_listener_cls=ExclusiveReplyListener)
            self._proxy = MethodProxy(
                self._worker_ctx, service, "health", self._reply_listener, expiration=timeout
            )

    return HealthProxy()


def line(service: str, ready: bool, reason: str) -> str:
    """What the probe prints: one line, whatever the reason holds (database errors span several)."""
    return f"{service} {'ready' if ready else 'not ready'}: {' '.join(reason.split())}"


class _Deadline(Exception):
    pass


def _give_up(*_):
    raise _Deadline


def check_before_deadline(service: str, config: dict, timeout: float) -> tuple[bool, str]:
    """``check`` with a hard stop, whatever hangs (a half-open connection, a stalled broker)."""
    deadline = int(timeout * 3) + 1
    signal.signal(signal.SIGALRM, _give_up)
    signal.alarm(deadline)
    try:
        return check(service, config, timeout)
    except _Deadline:
        return False, f"no verdict within {deadline}s"
    finally:
        signal.alarm(0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pmi_tools.probe", description="Exit 0 when the service is ready."
    )
    parser.add_argument("service", choices=(*SERVICES, AGENCIES))
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds to wait for each answer (default {DEFAULT_TIMEOUT:g})",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.getLogger("amqp").setLevel(logging.ERROR)  # one line of output, nothing else
    ready, reason = check_before_deadline(args.service, service_config(args.service), args.timeout)
    print(line(args.service, ready, reason))
    return READY if ready else NOT_READY


if __name__ == "__main__":
    sys.exit(main())
