"""The last hour of every queue: depth and rates sampled every few seconds into a ring buffer.

The broker's management API keeps only a few minutes of rates by default; the console's charts
want the last hour, so the gateway samples the queues' statistics itself and keeps, per queue, a
bounded window of samples in memory. Each gateway instance keeps its own window from its start.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the epoch
    ready: int
    unacked: int
    consumers: int
    publish_rate: float
    deliver_rate: float
    delivered: int  # messages delivered since the queue was declared (the broker's counter)


def sample_of(stats: dict, at: float) -> Sample:
    message_stats = stats.get("message_stats") or {}

    def rate(key: str) -> float:
        return float((message_stats.get(key) or {}).get("rate", 0.0))

    return Sample(
        at=at,
        ready=int(stats.get("messages_ready", 0)),
        unacked=int(stats.get("messages_unacknowledged", 0)),
        consumers=int(stats.get("consumers", 0)),
        publish_rate=rate("publish_details"),
        deliver_rate=rate("deliver_get_details"),
        delivered=int(message_stats.get("deliver_get", 0)),
    )


class QueueHistory:
    """Per queue, the samples of the last ``window`` seconds (at most ``window / interval``)."""

    def __init__(self, interval: float, window: float = WINDOW_SECONDS):
        self.interval = interval
        self.window = window
        self.size = max(2, int(window / interval) + 1)
        self.samples: dict[str, deque[Sample]] = {}
        self.consumed_at: dict[str, float] = {}

    def record(self, stats: list[dict], at: float) -> None:
        """One round of statistics; queues no longer there are forgotten."""
        seen = set()
        for queue in stats:
            name = queue["name"]
            seen.add(name)
            sample = sample_of(queue, at)
            samples = self.samples.setdefault(name, deque(maxlen=self.size))
            if samples and sample.delivered > samples[-1].delivered:
                self.consumed_at[name] = at
            samples.append(sample)
        for name in set(self.samples) - seen:
            del self.samples[name]
            self.consumed_at.pop(name, None)

    def series(self, name: str, now: float) -> dict:
        """A queue's samples of the last window, as columns (what a chart draws)."""
        rows = [s for s in self.samples.get(name, ()) if now - s.at <= self.window]
        return {
            "at": [round(s.at, 1) for s in rows],
            "ready": [s.ready for s in rows],
            "unacked": [s.unacked for s in rows],
            "publish_rate": [round(s.publish_rate, 2) for s in rows],
            "deliver_rate": [round(s.deliver_rate, 2) for s in rows],
        }

    def last_consumed(self, name: str) -> float | None:
        """When the queue's delivered count last rose, as this gateway saw it."""
        return self.consumed_at.get(name)
