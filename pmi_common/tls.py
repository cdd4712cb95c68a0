"""TLS to the broker and the database, with a CA given by configuration.

- Broker: an ``amqps://`` ``AMQP_URI`` is verified against ``AMQP_CA_FILE`` (the system's CAs when
  unset), the certificate must name the URI's host, and ``AMQP_CERT_FILE``/``AMQP_KEY_FILE`` give
  a client certificate when the broker asks for one.
- Database: ``DATABASE_CA_FILE`` makes every PostgreSQL connection ``sslmode=verify-full`` against
  that CA (libpq's ``sslrootcert``): encrypted, the server's certificate signed by that CA and
  naming the URL's host. Without it, what ``DATABASE_URL`` says (``?sslmode=...``) applies.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit


def amqp_ssl(amqp_uri: str, env: Mapping[str, str] | None = None) -> dict | None:
    """The ``ssl`` options of a kombu connection (nameko's ``AMQP_SSL``); None for ``amqp://``."""
    env = os.environ if env is None else env
    if urlsplit(amqp_uri).scheme != "amqps":
        return None
    options: dict = {"cert_reqs": ssl.CERT_REQUIRED, "server_hostname": urlsplit(amqp_uri).hostname}
    if env.get("AMQP_CA_FILE"):
        options["ca_certs"] = env["AMQP_CA_FILE"]
    if env.get("AMQP_CERT_FILE"):
        options["certfile"] = env["AMQP_CERT_FILE"]
        options["keyfile"] = env.get("AMQP_KEY_FILE") or None
    return options


def database_connect_args(url: str, env: Mapping[str, str] | None = None) -> dict:
    """psycopg2 connection arguments: verify-full against ``DATABASE_CA_FILE`` when it is set."""
    env = os.environ if env is None else env
    if not url.startswith("postgresql") or not env.get("DATABASE_CA_FILE"):
        return {}
    return {"sslmode": "verify-full", "sslrootcert": env["DATABASE_CA_FILE"]}
