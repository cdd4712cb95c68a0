from pmi_common.migrations import run_env
from services.protection.models import metadata

run_env(metadata)
