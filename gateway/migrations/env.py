from gateway.models import metadata
from pmi_common.migrations import run_env

run_env(metadata)
