"""Managing agencies' webhook endpoints, for the operators' command and the gateway's routes:
each endpoint within its agency's agreement (only event types it grants), at a URL the target
policy accepts, with a secret shown once; and the agency's own settings (its queue's format, its
contact e-mail)."""

from __future__ import annotations

import datetime as dt

from pmi_common.errors import InvalidInput, NotFound
from pmi_common.history import event_types_of, parse_moment
from services.agencies import domain

from .agreement_repository import AgreementRepository
from .domain import UNSET, AgencySettings
from .schemas import endpoint_view
from .settings import SettingsRepository
from .webhook_repository import WebhookRepository

DEFAULT_OVERLAP = dt.timedelta(hours=24)  # how long the old secret signs after a rotation


class WebhookHandlers:
    def __init__(
        self,
        endpoints: WebhookRepository,
        agreements: AgreementRepository,
        targets: domain.TargetPolicy,
    ):
        self.endpoints = endpoints
        self.agreements = agreements
        self.targets = targets
        self.settings = SettingsRepository(endpoints.engine)

    def add(
        self,
        agency: str,
        url: str,
        events,
        changed_by: str,
        description: str = "",
        now: dt.datetime | None = None,
    ) -> tuple[domain.Endpoint, str]:
        """A new endpoint of ``agency`` and its secret (shown once); ``InvalidInput`` when the
        agreement does not grant the events or the URL is refused."""
        now = now or dt.datetime.now(dt.UTC)
        agreement = self.agreements.get(agency)
        if agreement is None:
            raise NotFound(f"agency {agency} has no agreement")
        if agreement.valid_until is not None and agreement.valid_until <= now:
            raise InvalidInput(
                "the agreement has ended",
                {
                    "agency": [
                        f"the agreement of {agency} ended on {agreement.valid_until.isoformat()}"
                    ]
                },
            )
        types = domain.check_event_types(event_types_of(events), agreement.event_types)
        self.check_url(url)
        return self.endpoints.add(agency, url, types, changed_by, now, description)

    def edit(
        self,
        endpoint_id: str,
        changed_by: str,
        url: str | None = None,
        events=None,
        description: str | None = None,
    ) -> domain.Endpoint:
        """Change an endpoint's URL, event types or description in place (its secrets, its
        delivery log and what waits for it are kept), checked as when it was added."""
        endpoint = self.endpoints.get(endpoint_id)
        if url is None and events is None and description is None:
            raise InvalidInput(
                "nothing to change", {"url": ["give a new url, events or description"]}
            )
        values: dict = {}
        if events is not None:
            agreement = self.agreements.get(endpoint.agency)
            if agreement is None:
                raise NotFound(f"agency {endpoint.agency} has no agreement")
            values["event_types"] = list(
                domain.check_event_types(event_types_of(events), agreement.event_types)
            )
        if url is not None:
            self.check_url(url)
            values["url"] = url
        if description is not None:
            values["description"] = description
        return self.endpoints.change(endpoint.id, changed_by, **values)

    def settings_of(self, agency: str) -> AgencySettings:
        """An onboarded agency's settings (``NotFound`` without an agreement)."""
        if self.agreements.get(agency) is None:
            raise NotFound(f"agency {agency} has no agreement")
        return self.settings.get(agency)

    def change_settings(
        self, agency: str, changed_by: str, queue_format=UNSET, contact_email=UNSET
    ) -> AgencySettings:
        self.settings_of(agency)
        return self.settings.put(
            agency,
            changed_by,
            dt.datetime.now(dt.UTC),
            queue_format=queue_format,
            contact_email=contact_email,
        )

    def check_url(self, url: str) -> None:
        try:
            self.targets.check(url)
        except domain.Unresolved:
            pass  # it may resolve where the agencies service runs: checked before every attempt
        except domain.TargetRefused as exc:
            raise InvalidInput("webhook URL refused", {"url": [str(exc)]}) from None

    def rotate(
        self,
        endpoint_id: str,
        changed_by: str,
        keep_old_for: dt.timedelta | None = None,
        now: dt.datetime | None = None,
    ) -> tuple[domain.Endpoint, str]:
        return self.endpoints.rotate(
            endpoint_id,
            changed_by,
            now or dt.datetime.now(dt.UTC),
            DEFAULT_OVERLAP if keep_old_for is None else keep_old_for,
        )

    def disable(
        self, endpoint_id: str, changed_by: str, reason: str | None = None
    ) -> domain.Endpoint:
        return self.endpoints.disable(
            endpoint_id, reason or f"disabled by {changed_by}", changed_by, dt.datetime.now(dt.UTC)
        )

    def enable(self, endpoint_id: str, changed_by: str) -> domain.Endpoint:
        endpoint = self.endpoints.get(endpoint_id)
        self.check_url(endpoint.url)
        return self.endpoints.enable(endpoint_id, changed_by)

    def replay(
        self,
        endpoint_id: str,
        delivery_id: int | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> int:
        return self.endpoints.replay(
            endpoint_id,
            dt.datetime.now(dt.UTC),
            delivery_id=delivery_id,
            since=parse_moment(since, "since") if since else None,
            until=parse_moment(until, "until") if until else None,
        )

    def health(self) -> dict:
        """The console's panel: every endpoint's health, and the latest notices."""
        from .notices import NoticeRepository

        return {
            "endpoints": self.endpoints.health(dt.datetime.now(dt.UTC)),
            "notices": NoticeRepository(self.endpoints.engine).recent(),
        }

    def view(self, endpoint: domain.Endpoint) -> dict:
        return endpoint_view(endpoint, dt.datetime.now(dt.UTC))


def render_endpoints(views: list[dict]) -> str:
    """``pmi agency webhook list``."""
    if not views:
        return "no webhook endpoints"
    lines = []
    for view in views:
        lines.append(f"{view['id']}  {view['agency']}  {view['status']}  {view['url']}")
        lines.append(f"    events: {', '.join(view['event_types'])}")
        signing = ", ".join(
            "current" if not s["expires_at"] else f"old until {s['expires_at']}"
            for s in view["secrets"]
        )
        lines.append(f"    secrets signing: {signing or 'none'}")
        if view["failing_since"]:
            lines.append(f"    failing since {view['failing_since']}")
        if view["disabled_reason"]:
            lines.append(f"    disabled: {view['disabled_reason']}")
    return "\n".join(lines)


def render_deliveries(log: dict) -> str:
    """``pmi agency webhook deliveries``: each delivery, newest first, with every attempt."""
    if not log["items"]:
        return "no deliveries"
    lines = []
    for item in log["items"]:
        replay = f" (replay of #{item['replay_of']})" if item["replay_of"] else ""
        lines.append(
            f"#{item['id']} {item['queued_at']} {item['event_type']} "
            f"worker {item['worker_id']} event {item['event_id']}: "
            f"{item['state']}{replay}"
            + (f", next attempt {item['next_attempt_at']}" if item["next_attempt_at"] else "")
        )
        for attempt in item["attempts"]:
            lines.append(
                f"    {attempt['at']}  {attempt['status'] or '---'}  "
                f"{attempt['latency_ms']:>6} ms  {attempt['error'] or 'ok'}"
            )
    if log["next_before"]:
        lines.append(f"(older: --before {log['next_before']})")
    return "\n".join(lines)
