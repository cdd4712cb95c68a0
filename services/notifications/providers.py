"""The service's door to its providers and its settings, read from the configuration once."""

from __future__ import annotations

from nameko.extensions import DependencyProvider

from pmi_common import production

from . import domain as d
from .channels import Channel, channels_from
from .handlers import Settings

DEVELOPMENT_INBOUND_SECRET = "pmi-development-inbound-secret-never-use-outside-a-laptop"


def retry_delays(config) -> tuple[float, ...]:
    given = config.get("NOTIFY_RETRY_DELAYS")
    if not given:
        return d.DEFAULT_RETRY_DELAYS
    if isinstance(given, str):
        return tuple(float(x) for x in given.split(",") if x.strip())
    return tuple(float(x) for x in given)


def settings_from(config, channels: dict[str, Channel]) -> Settings:
    secret = config.get("NOTIFY_INBOUND_SECRET") or (
        DEVELOPMENT_INBOUND_SECRET if production.is_development(config) else ""
    )
    return Settings(
        desk=config.get("NOTIFY_DESK") or Settings.desk,
        daily_cap=int(config.get("NOTIFY_DAILY_CAP") or d.DEFAULT_DAILY_CAP),
        zone=config.get("DISTRICT_TIMEZONE") or d.DISTRICT_TIMEZONE,
        channels=tuple(channels),
        inbound_secret=secret,
    )


class Providers(DependencyProvider):
    """The channels with their providers (``channels``), the settings messages are composed
    with (``settings``) and the retry delays (``delays``)."""

    def setup(self):
        config = self.container.config
        self.channels = channels_from(config)
        self.settings = settings_from(config, self.channels)
        self.delays = retry_delays(config)

    def get_dependency(self, worker_ctx) -> Providers:
        return self
