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


COST_SETTINGS = {
    d.SMS: "NOTIFY_COST_SMS",
    d.WHATSAPP: "NOTIFY_COST_WHATSAPP",
    d.EMAIL: "NOTIFY_COST_EMAIL",
}


def costs_from(config) -> dict[str, float]:
    """What a message costs the office per channel, in rupiah (an SMS: per segment); 0 when
    not configured."""
    return {channel: float(config.get(name) or 0) for channel, name in COST_SETTINGS.items()}


def settings_from(config, channels: dict[str, Channel]) -> Settings:
    twilio = (config.get("NOTIFY_SMS_PROVIDER") or "").strip().lower() == "twilio"
    secret = config.get("NOTIFY_INBOUND_SECRET") or (
        DEVELOPMENT_INBOUND_SECRET if production.is_development(config) else ""
    )
    return Settings(
        desk=config.get("NOTIFY_DESK") or Settings.desk,
        daily_cap=int(config.get("NOTIFY_DAILY_CAP") or d.DEFAULT_DAILY_CAP),
        zone=config.get("DISTRICT_TIMEZONE") or d.DISTRICT_TIMEZONE,
        channels=tuple(channels),
        inbound_secret=secret,
        costs=costs_from(config),
        twilio_auth_token=(config.get("NOTIFY_SMS_TOKEN") or "") if twilio else "",
        twilio_inbound_url=config.get("NOTIFY_TWILIO_INBOUND_URL") or "",
    )


class Providers(DependencyProvider):
    """The channels with their providers (``channels``), the settings messages are composed
    with (``settings``) and the retry delays (``delays``)."""

    def setup(self):
        config = self.container.config
        self.channels = channels_from(config)
        self.settings = settings_from(config, self.channels)
        self.delays = retry_delays(config)
        # each channel's provider as its last round found it (this instance's view)
        self.health: dict[str, dict] = {
            name: {"provider": channel.provider, "up": None, "checked_at": None, "error": None}
            for name, channel in self.channels.items()
        }

    def round_done(self, channel: str, down: bool, error: str | None, at: str) -> None:
        self.health[channel] = {
            **self.health.get(channel, {}),
            "up": not down,
            "checked_at": at,
            "error": error if down else None,
        }

    def get_dependency(self, worker_ctx) -> Providers:
        return self
