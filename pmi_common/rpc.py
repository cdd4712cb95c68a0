"""RPC entrypoints and proxies as the platform uses them.

``rpc`` is nameko's, with the platform's named errors marked as expected (logged as a warning,
not as a crash), and a reply that cannot be delivered logged instead of killing the service.
``TimedRpcProxy`` is nameko's ``RpcProxy`` with a timeout, which nameko lacks. The platform's
named errors (``errors``) are registered here to cross RPC as themselves: a caller catches
``NotFound``, not nameko's ``RemoteError``.
"""

from __future__ import annotations

import amqp.exceptions
import eventlet
from kombu.exceptions import OperationalError as KombuOperationalError
from nameko.exceptions import UnknownService, deserialize_to_instance
from nameko.rpc import Rpc, RpcProxy

from . import errors, logs
from .errors import PlatformError

log = logs.get_logger(__name__)
UNDELIVERABLE = (KombuOperationalError, amqp.exceptions.AMQPError, OSError)
# rebuilt by nameko on the caller's side as the same class, with the same message and details
REMOTE_ERRORS = (
    errors.InvalidInput,
    errors.NotFound,
    errors.DuplicateRegistration,
    errors.TransitionRefused,
    errors.AlreadyDecided,
    errors.NotEligible,
    errors.CapacityReached,
    errors.IdentityMismatch,
    errors.AnswerUnreadable,
    errors.Forbidden,
    errors.TooManyAttempts,
)
for _error in REMOTE_ERRORS:
    deserialize_to_instance(_error)


class PlatformRpc(Rpc):
    """nameko's RPC entrypoint, except that a reply the broker will not take (the caller's
    reply queue went with a broker node, the connection dropped) is logged and dropped. nameko
    kills the whole service then; the caller has given up on its timeout and retries, and the
    retry is answered from what the first call committed (the write's idempotency key)."""

    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except UNDELIVERABLE as exc:
            log.warning(
                "rpc_reply_undeliverable",
                method=self.method_name,
                error=f"{type(exc).__name__}: {exc}",
            )
            try:
                self.rpc_consumer.queue_consumer.ack_message(message)
            except UNDELIVERABLE:
                pass  # the connection is gone: the request comes back once it is restored
            return result, exc_info


def rpc(fn=None, **options):
    """``@rpc`` or ``@rpc(...)``: ``PlatformRpc``, with the platform's errors expected.

    (nameko's bare ``@rpc`` form drops keyword arguments, so they are applied here.)"""
    options.setdefault("expected_exceptions", (PlatformError,))
    decorate = PlatformRpc.decorator(**options)
    return decorate if fn is None else decorate(fn)


class ServiceUnavailable(Exception):
    """The service is not running, or did not answer in time; ``retry_after`` in seconds."""

    def __init__(self, service: str, reason: str, retry_after: int = 5):
        super().__init__(f"{service} {reason}")
        self.service = service
        self.reason = reason
        self.retry_after = retry_after


class _TimedServiceProxy:
    def __init__(self, proxy, service: str, timeout: float):
        self._proxy = proxy
        self._service = service
        self._timeout = timeout

    def cast(self, method: str, *args, **kwargs) -> None:
        """Ask the service to run ``method`` and do not wait for its answer (nor learn of its
        failure): the request is on the broker when this returns."""
        try:
            getattr(self._proxy, method).call_async(*args, **kwargs)
        except (KombuOperationalError, OSError) as exc:
            raise ServiceUnavailable(
                self._service, "cannot be reached: the broker is unavailable"
            ) from exc

    def __getattr__(self, method: str):
        def call(*args, **kwargs):
            try:
                reply = getattr(self._proxy, method).call_async(*args, **kwargs)
            except UnknownService as exc:
                raise ServiceUnavailable(self._service, "is not running") from exc
            except (KombuOperationalError, OSError) as exc:
                raise ServiceUnavailable(
                    self._service, "cannot be reached: the broker is unavailable"
                ) from exc
            try:
                with eventlet.Timeout(self._timeout):
                    return reply.result()
            except eventlet.Timeout as exc:
                raise ServiceUnavailable(
                    self._service, f"did not answer within {self._timeout:g}s"
                ) from exc

        return call


class TimedRpcProxy(RpcProxy):
    """``RpcProxy`` whose calls give up after ``RPC_TIMEOUT`` seconds (config)."""

    def get_dependency(self, worker_ctx):
        timeout = float(self.container.config.get("RPC_TIMEOUT", 10))
        return _TimedServiceProxy(super().get_dependency(worker_ctx), self.target_service, timeout)
