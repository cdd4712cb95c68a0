"""The endpoint table of ``docs/gateway.md``, written from the route table so the two agree."""

from __future__ import annotations

from .roles import ROLES, WORKER
from .routes import PREFIX, ROUTES, Route


def _roles(route: Route) -> str:
    if route.public:
        return "public"
    return ", ".join(
        f"{role} (own)" if role == WORKER else role for role in ROLES if role in route.roles
    )


def endpoint_table() -> str:
    rows = ["| method and path | roles | answers | what |", "|---|---|---|---|"]
    for route in ROUTES:
        answers = " or ".join(str(status) for status in (route.status, *route.answers))
        rows.append(
            f"| `{route.method} {PREFIX}{route.path}` | {_roles(route)} | "
            f"{answers} | {route.summary} |"
        )
    return "\n".join(rows) + "\n"
