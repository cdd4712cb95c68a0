"""Configuration from the environment, in one place for every process of the platform."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_MANAGEMENT_URL = "http://guest:guest@127.0.0.1:15672"
DEFAULT_GATEWAY_ADDRESS = "127.0.0.1:8000"
STATE_DIR = Path(os.environ.get("PMI_STATE_DIR", "var"))


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)


def management_url() -> str:
    return os.environ.get("RABBITMQ_MANAGEMENT_URL", DEFAULT_MANAGEMENT_URL)


def database_url(service: str) -> str:
    """``<SERVICE>_DATABASE_URL`` (several services in one environment), then ``DATABASE_URL``
    (one service per container), then a SQLite file under ``var/`` for a quick local run."""
    specific = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if specific:
        return specific
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{STATE_DIR / (service + '.db')}"


def service_config(service: str) -> dict:
    """The nameko config dict for one service process."""
    config = {
        "AMQP_URI": amqp_uri(),
        "DATABASE_URL": database_url(service),
        "max_workers": int(os.environ.get("MAX_WORKERS", "10")),
        "serializer": "json",
        "RPC_TIMEOUT": float(os.environ.get("RPC_TIMEOUT", "10")),
        "PMI_ENV": os.environ.get("PMI_ENV", "development"),
    }
    if service == "gateway":
        config["WEB_SERVER_ADDRESS"] = os.environ.get("GATEWAY_ADDRESS", DEFAULT_GATEWAY_ADDRESS)
        config["JWT_SECRET"] = os.environ.get("JWT_SECRET", "")
        config["RABBITMQ_MANAGEMENT_URL"] = management_url()
    return config
