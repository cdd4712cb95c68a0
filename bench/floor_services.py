"""The nameko services the floors are measured with, each run in its own process:
``python -m bench.floor_services <name>`` (config from ``AMQP_URI`` and ``WEB_SERVER_ADDRESS``).

- ``floor_emitter``: ``emit(count)`` dispatches ``count`` events with nameko's ``EventDispatcher``.
- ``floor_handler``: an ``event_handler`` of those events; ``progress()`` says how many it handled
  and when the last one was handled.
- ``floor_gateway``: ``GET /floor/<id>`` over ``@http`` calls ``floor_backend.get_item`` through
  nameko's ``RpcProxy``, the shape of the platform's ``GET /workers/{id}``.
- ``floor_backend``: the ``@rpc`` it calls, answering a worker-sized record from memory.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)

from nameko.events import EventDispatcher, event_handler  # noqa: E402
from nameko.rpc import RpcProxy, rpc  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402
from nameko.web.handlers import http  # noqa: E402

EVENT = "floor_tick"
_handled = {"count": 0, "first": None, "last": None}


class FloorEmitter:
    name = "floor_emitter"
    dispatch = EventDispatcher()

    @rpc
    def emit(self, count: int, payload: dict) -> float:
        started = time.time()
        for sequence in range(count):
            self.dispatch(EVENT, {**payload, "sequence": sequence})
        return started


class FloorHandler:
    name = "floor_handler"

    @event_handler("floor_emitter", EVENT)
    def on_tick(self, payload: dict) -> None:
        now = time.time()
        _handled["count"] += 1
        _handled["first"] = _handled["first"] or now
        _handled["last"] = now

    @rpc
    def progress(self) -> dict:
        return dict(_handled)


class FloorBackend:
    name = "floor_backend"

    @rpc
    def get_item(self, item_id: str) -> dict:
        return {
            "id": item_id,
            "full_name": "Siti Nur'aini binti Ahmad",
            "status": "registered",
            "stage": "pre_departure",
            "destination_country": "HK",
            "cycle": 1,
            "address": {"village": "Kademangan", "regency": "Blitar"},
        }


class FloorGateway:
    name = "floor_gateway"
    backend = RpcProxy("floor_backend")

    @http("GET", "/floor/<string:item_id>")
    def get_item(self, request, item_id: str):
        return 200, {"Content-Type": "application/json"}, json.dumps(self.backend.get_item(item_id))


SERVICES = {cls.name: cls for cls in (FloorEmitter, FloorHandler, FloorBackend, FloorGateway)}


def main() -> None:
    service = SERVICES[sys.argv[1]]
    config = {
        "AMQP_URI": os.environ["AMQP_URI"],
        "serializer": "json",
        "WEB_SERVER_ADDRESS": os.environ.get("WEB_SERVER_ADDRESS", "127.0.0.1:8001"),
    }
    runner = ServiceRunner(config)
    runner.add_service(service)
    stopping = eventlet.event.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.ready() or stopping.send(True))
    runner.start()
    print("ready", flush=True)
    stopping.wait()
    runner.stop()


if __name__ == "__main__":
    main()
