"""A nameko timer whose interval comes from the service's configuration."""

from __future__ import annotations

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    """Fires every ``config[setting]`` seconds (``default`` when the setting is absent)."""

    def __init__(self, setting: str, default: float, **kwargs):
        self.setting = setting
        super().__init__(interval=default, **kwargs)

    def setup(self):
        self.interval = float(self.container.config.get(self.setting, self.interval))
        super().setup()


every = ConfiguredTimer.decorator
