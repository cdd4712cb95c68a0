from pmi_common.migrations import run_env
from services.reintegration.models import metadata

run_env(metadata)
