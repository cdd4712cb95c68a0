"""``pmi broker setup``: as the broker's administrator, one user per platform process with the
permissions ``pmi_common.broker_users.permissions_for`` gives it, and the whole topology."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from pmi_common.broker_users import parse_users, permissions_for
from pmi_common.management import Management, vhost_of
from pmi_common.topology import declare_topology


def provision(management, vhost: str, users: Mapping[str, tuple[str, str]]) -> None:
    """Create (or update) each process's user, ``{process: (user, password)}``, with its
    permissions on ``vhost``. ``management`` is a ``Management``."""
    for process, (user, password) in users.items():
        management.put_user(user, password)
        management.set_permissions(vhost, user, **permissions_for(process))


def passwords_from(env: Mapping[str, str], users: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """``{process: (user, BROKER_PASSWORD_<PROCESS>)}`` for ``pmi broker setup``."""
    missing = [
        f"BROKER_PASSWORD_{process.upper()}"
        for process in users
        if not env.get(f"BROKER_PASSWORD_{process.upper()}")
    ]
    if missing:
        raise ValueError(f"set {', '.join(missing)} (`make secrets` writes them into .env)")
    return {
        process: (user, env[f"BROKER_PASSWORD_{process.upper()}"])
        for process, user in users.items()
    }


def setup(env: Mapping[str, str]) -> list[str]:
    """``pmi broker setup``: as the administrator (``RABBITMQ_MANAGEMENT_URL``, ``AMQP_URI``),
    create each process's user from ``BROKER_USERS`` and ``BROKER_PASSWORD_<PROCESS>``, tag the
    administrator ``impersonator`` (so ``pmi ops replay`` keeps a message's ``user_id``), and
    declare the whole topology. Returns what it did, a line each."""
    users = parse_users(env.get("BROKER_USERS"))
    if not users:
        raise ValueError(
            "BROKER_USERS is not set: name each process's broker user "
            "(e.g. registration=pmi-registration,...)"
        )
    admin_url, amqp_uri = env["RABBITMQ_MANAGEMENT_URL"], env["AMQP_URI"]
    management = Management(admin_url)
    vhost = vhost_of(amqp_uri)
    provision(management, vhost, passwords_from(env, users))
    admin = urlsplit(admin_url)
    management.put_user(
        unquote(admin.username or ""),
        unquote(admin.password or ""),
        tags="administrator,impersonator",
    )
    declare_topology(amqp_uri, again=True)
    return [f"{process}: user {user}, {vhost}" for process, user in users.items()] + [
        "topology declared"
    ]
