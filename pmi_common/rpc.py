"""RPC entrypoints and proxies as the platform uses them.

``rpc`` is nameko's, with the platform's named errors marked as expected (logged as a warning,
not as a crash). ``TimedRpcProxy`` is nameko's ``RpcProxy`` with a timeout, which nameko lacks.
"""

from __future__ import annotations

import eventlet
from kombu.exceptions import OperationalError as KombuOperationalError
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy
from nameko.rpc import rpc as nameko_rpc

from .errors import PlatformError


def rpc(fn=None, **options):
    """``@rpc`` or ``@rpc(...)``: nameko's, with the platform's errors expected.

    (nameko's bare ``@rpc`` form drops keyword arguments, so they are applied here.)"""
    options.setdefault("expected_exceptions", (PlatformError,))
    decorate = nameko_rpc(**options)
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

    def __getattr__(self, method: str):
        def call(*args, **kwargs):
            try:
                reply = getattr(self._proxy, method).call_async(*args, **kwargs)
            except UnknownService as exc:
                raise ServiceUnavailable(self._service, "is not running") from exc
            except (KombuOperationalError, OSError) as exc:
                raise ServiceUnavailable(self._service, "cannot be reached: the broker is "
                                                        "unavailable") from exc
            try:
                with eventlet.Timeout(self._timeout):
                    return reply.result()
            except eventlet.Timeout as exc:
                raise ServiceUnavailable(
                    self._service, f"did not answer within {self._timeout:g}s") from exc

        return call


class TimedRpcProxy(RpcProxy):
    """``RpcProxy`` whose calls give up after ``RPC_TIMEOUT`` seconds (config)."""

    def get_dependency(self, worker_ctx):
        timeout = float(self.container.config.get("RPC_TIMEOUT", 10))
        return _TimedServiceProxy(super().get_dependency(worker_ctx), self.target_service,
                                  timeout)
