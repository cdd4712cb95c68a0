"""docker-compose.yml, the Dockerfile and infra/ say what the code does: same commands, same
configuration keys, one database per service, the broker topology the code declares."""

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from pmi_common.config import ENVIRONMENT, database_owner
from pmi_common.runner import SERVICE_CLASSES
from pmi_common.topology import definitions

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


@pytest.mark.parametrize("name", sorted(SERVICE_CLASSES))
def test_every_platform_process_runs_with_the_command_make_run_uses(name):
    assert SERVICES[name]["command"] == ["python", "-m", "pmi_common.runner", name]


@pytest.mark.parametrize("name", sorted(SERVICE_CLASSES))
def test_compose_sets_only_configuration_keys_the_code_reads(name):
    unknown = set(SERVICES[name]["environment"]) - set(ENVIRONMENT)
    assert not unknown, f"{name} sets keys no code reads: {unknown}"


def test_each_service_has_its_own_database_created_by_the_init_script():
    created = set(re.findall(r"CREATE DATABASE (\w+);",
                             (ROOT / "infra/postgres/init.sql").read_text()))
    databases = {}
    for name in SERVICE_CLASSES:
        if database_owner(name) != name:  # the egress works in the gateway's database
            shared = SERVICES[name]["environment"]["DATABASE_URL"]
            assert shared == SERVICES[database_owner(name)]["environment"]["DATABASE_URL"]
            continue
        url = urlparse(SERVICES[name]["environment"]["DATABASE_URL"])
        assert url.scheme == "postgresql+psycopg2"
        assert url.hostname == "postgres" and "postgres" in SERVICES
        databases[name] = url.path.lstrip("/")
    assert len(set(databases.values())) == len(databases)
    assert set(databases.values()) <= created


def test_services_reach_the_broker_in_the_stack_with_its_management_plugin():
    for name in SERVICE_CLASSES:
        assert urlparse(SERVICES[name]["environment"]["AMQP_URI"]).hostname == "rabbitmq"
    assert "management" in SERVICES["rabbitmq"]["image"]
    plugins = (ROOT / "infra/rabbitmq/enabled_plugins").read_text()
    assert "rabbitmq_management" in plugins


def test_the_gateway_listens_on_the_published_port_with_a_required_secret():
    gateway = SERVICES["gateway"]
    port = gateway["environment"]["GATEWAY_ADDRESS"].rsplit(":", 1)[1]
    assert f"{port}:{port}" in gateway["ports"]
    assert gateway["environment"]["PMI_ENV"] == "production"
    assert gateway["environment"]["JWT_SECRET"].startswith("${JWT_SECRET:?")


def test_the_image_holds_every_package_the_services_import():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("pmi_common", "services", "gateway"):
        assert f"COPY {package} " in dockerfile


def test_the_committed_broker_definitions_match_the_topology_in_code():
    committed = json.loads((ROOT / "infra/rabbitmq/definitions.json").read_text())
    assert committed == definitions()


def test_every_environment_key_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [key for key in ENVIRONMENT if f"`{key}`" not in readme]
    assert not missing, f"README does not document {missing}"
