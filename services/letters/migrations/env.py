from pmi_common.migrations import run_env
from services.letters.models import metadata

run_env(metadata)
