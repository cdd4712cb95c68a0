from gateway.models import metadata
from pmi_common.migrations import run_env
from pmi_common.tables import combined
from services.agencies.models import metadata as agencies

run_env(combined(metadata, agencies))  # the agencies' tables live in this database for now
