from pmi_common.migrations import run_env
from services.agencies.models import metadata

run_env(metadata)
