"""The floors of the framework, each service in its own process as the platform runs them.

- events: ``floor_emitter`` dispatches with nameko's ``EventDispatcher`` (persistent, each
  publish confirmed, as nameko does by default) from ``EMITTERS`` concurrent RPC workers;
  ``floor_handler`` handles them with ``@event_handler`` (nameko's defaults: 10 workers, prefetch
  10, an ack each). The figure: events handled per second, first dispatch to last handled.
- HTTP -> RPC: ``GET /floor/<id>`` on ``@http`` calling an ``@rpc`` through ``RpcProxy``, under
  ``connections`` connections from the load generator.
"""

from __future__ import annotations

import time
from pathlib import Path

from nameko.standalone.rpc import ClusterRpcProxy

from . import load
from .environment import free_port
from .processes import Child, wait_until

EMITTERS = 4


def _rpc_config(amqp_uri: str) -> dict:
    return {"AMQP_URI": amqp_uri, "serializer": "json"}


def _service(name: str, amqp_uri: str, log_dir: Path, **env) -> Child:
    return Child(
        "bench.floor_services", name, env={"AMQP_URI": amqp_uri, **env}, log=log_dir / f"{name}.log"
    ).start()


def _answers(proxy, service: str, method: str) -> bool:
    try:
        getattr(getattr(proxy, service), method).call_async()
        return True
    except Exception:  # noqa: BLE001 - not started yet
        return False


def events(amqp_uri: str, count: int, log_dir: Path) -> dict:
    emitter = _service("floor_emitter", amqp_uri, log_dir)
    handler = _service("floor_handler", amqp_uri, log_dir)
    try:
        with ClusterRpcProxy(_rpc_config(amqp_uri), timeout=120) as proxy:
            wait_until(lambda: _ready(proxy), 60, "the nameko floor services")
            payload = {
                "worker_id": "00000000-0000-0000-0000-000000000000",
                "data": {"type": "passport", "number_masked": "******123"},
            }
            per_emitter = count // EMITTERS
            replies = [
                proxy.floor_emitter.emit.call_async(per_emitter, payload) for _ in range(EMITTERS)
            ]
            started = min(reply.result() for reply in replies)
            total = per_emitter * EMITTERS
            progress = wait_until(
                lambda: (p := proxy.floor_handler.progress()) and p["count"] >= total and p,
                300,
                "the nameko event floor",
                interval=0.2,
            )
        seconds = progress["last"] - started
        return {
            "events": total,
            "per_second": total / seconds,
            "peak_rss_mb": {"emitter": emitter.peak_rss_mb(), "handler": handler.peak_rss_mb()},
        }
    finally:
        emitter.stop()
        handler.stop()


def _ready(proxy) -> bool:
    try:
        proxy.floor_handler.progress()
        proxy.floor_emitter.emit(0, {})
        return True
    except Exception:  # noqa: BLE001 - still starting
        time.sleep(0.2)
        return False


def http_rpc(amqp_uri: str, connections: int, seconds: float, log_dir: Path) -> dict:
    port = free_port()
    backend = _service("floor_backend", amqp_uri, log_dir)
    gateway = _service("floor_gateway", amqp_uri, log_dir, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _http_ok(f"{base_url}/floor/warm-up"), 60, "the nameko HTTP floor")
        paths = [f"/floor/{i:08d}" for i in range(1000)]
        result = load.run(base_url, "floor", paths=paths, connections=connections, seconds=seconds)
        return {
            **result.as_dict(),
            "peak_rss_mb": {"gateway": gateway.peak_rss_mb(), "backend": backend.peak_rss_mb()},
        }
    finally:
        gateway.stop()
        backend.stop()


def _http_ok(url: str) -> bool:
    import requests

    try:
        return requests.get(url, timeout=5).ok
    except requests.RequestException:
        return False
