"""The agencies service's agreements as its processes read them, and the keys of what agencies are
given: staff pseudonyms (``PSEUDONYM_KEY``) and their webhooks' signing secrets, sealed
(``WEBHOOK_SECRET_KEY``)."""

from __future__ import annotations

from nameko.exceptions import ConfigurationError
from nameko.extensions import SharedExtension

from pmi_common.published import pseudonym_key
from pmi_common.sealing import webhook_sealer
from pmi_common.store import make_engine

from .agreement_repository import AgreementRepository


class AgencyGrants(SharedExtension):
    """The agencies service's agreements, in its own database; the keys of what agencies are
    given (staff pseudonyms) and of their webhooks' secrets (sealed)."""

    def setup(self):
        config = self.container.config
        try:
            self.key = pseudonym_key(config)
            self.sealer = webhook_sealer(config)
        except ValueError as exc:
            raise ConfigurationError(f"{self.container.service_name} cannot start: {exc}") from exc
        self.engine = make_engine(config["DATABASE_URL"], workers=5)
        self.agreements = AgreementRepository(self.engine)

    def stop(self):
        self.engine.dispose()

    def kill(self):
        self.stop()
