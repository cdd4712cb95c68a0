"""One configuration value as a dependency: ``horizon = Setting("DEPARTURE_HORIZON_DAYS", 90,
int)`` gives each worker the value from the container's config, or the default."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nameko.extensions import DependencyProvider


class Setting(DependencyProvider):
    def __init__(self, key: str, default: Any, kind: Callable[[Any], Any] = float):
        self.key = key
        self.default = default
        self.kind = kind
        self.value: Any = None

    def setup(self):
        raw = self.container.config.get(self.key)
        self.value = self.default if raw in (None, "") else self.kind(raw)

    def get_dependency(self, worker_ctx) -> Any:
        return self.value
