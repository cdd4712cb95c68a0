from pmi_common.migrations import run_env
from services.orientation.models import metadata

run_env(metadata)
