"""A small client of RabbitMQ's management HTTP API: the queues' statistics, users, permissions.

Operators' commands read queue depths, consumers and rates here; onboarding an agency creates its
user and permissions here. Messages themselves are moved over AMQP, never through this API.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

import requests

DEFAULT_TIMEOUT = 10.0


class ManagementError(RuntimeError):
    """The management API refused a request or could not be reached."""


def vhost_of(amqp_uri: str) -> str:
    """The virtual host an AMQP URI names (``/`` when it names none); of a cluster's list of
    URIs (``amqp://node1/vh;amqp://node2/vh``), the first's."""
    path = urlsplit(amqp_uri.split(";", 1)[0]).path
    vhost = unquote(path[1:]) if path.startswith("/") else unquote(path)
    return vhost or "/"


class Management:
    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT):
        parts = urlsplit(url)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}{parts.path}"
        self.base = self.base.rstrip("/") + "/api"
        self.session = requests.Session()
        self.session.auth = (unquote(parts.username or "guest"), unquote(parts.password or "guest"))
        self.session.headers["content-type"] = "application/json"
        self.timeout = timeout

    def _url(self, *segments: str) -> str:
        return "/".join([self.base, *(quote(segment, safe="") for segment in segments)])

    def _request(
        self,
        method: str,
        *segments: str,
        params: dict | None = None,
        json: dict | None = None,
        missing_ok: bool = False,
    ):
        try:
            response = self.session.request(
                method, self._url(*segments), params=params, json=json, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise ManagementError(
                f"the management API at {self.base} is not reachable: {exc}"
            ) from exc
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            raise ManagementError(
                f"{method} {'/'.join(segments)}: {response.status_code} {response.text[:300]}"
            )
        return response.json() if response.content else None

    # queues ---------------------------------------------------------------------------------

    def queues(self, vhost: str) -> list[dict]:
        return self._request("GET", "queues", vhost) or []

    def queue(self, vhost: str, name: str) -> dict | None:
        return self._request("GET", "queues", vhost, name, missing_ok=True)

    def delete_queue(self, vhost: str, name: str) -> None:
        self._request("DELETE", "queues", vhost, name, missing_ok=True)

    def queue_bindings(self, vhost: str, name: str) -> list[dict]:
        return self._request("GET", "queues", vhost, name, "bindings") or []

    def connections(self, vhost: str) -> list[dict]:
        return self._request("GET", "vhosts", vhost, "connections") or []

    def close_connection(self, name: str) -> None:
        self._request("DELETE", "connections", name, missing_ok=True)

    # users and permissions ----------------------------------------------------------------

    def user(self, name: str) -> dict | None:
        return self._request("GET", "users", name, missing_ok=True)

    def put_user(self, name: str, password: str, tags: str = "") -> None:
        self._request("PUT", "users", name, json={"password": password, "tags": tags})

    def delete_user(self, name: str) -> None:
        """Delete a user (closing its connections); nothing happens when there is none."""
        self._request("DELETE", "users", name, missing_ok=True)

    def permissions(self, vhost: str, user: str) -> dict | None:
        return self._request("GET", "permissions", vhost, user, missing_ok=True)

    def set_permissions(self, vhost: str, user: str, configure: str, write: str, read: str) -> None:
        self._request(
            "PUT",
            "permissions",
            vhost,
            user,
            json={"configure": configure, "write": write, "read": read},
        )
