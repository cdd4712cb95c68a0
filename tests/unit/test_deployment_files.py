"""docker-compose.yml, the Dockerfile and infra/ say what the code does: same commands, same
configuration keys, one database per service, the broker topology the code declares."""

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from pmi_common import production
from pmi_common.broker_users import parse_users
from pmi_common.config import ENVIRONMENT
from pmi_common.runner import SERVICE_CLASSES
from pmi_common.topology import definitions
from pmi_tools import envfile
from pmi_tools.envfile import add_missing, generate, write

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
# a required variable (${NAME:?message}), as compose would put the value of .env: __NAME__
COMPOSE = yaml.safe_load(re.sub(r"\$\{(\w+):\?[^}]*\}", r"__\1__", COMPOSE_TEXT))
SERVICES = COMPOSE["services"]


@pytest.mark.parametrize("name", sorted(SERVICE_CLASSES))
def test_every_platform_process_runs_with_the_command_make_run_uses(name):
    assert SERVICES[name]["command"] == ["python", "-m", "pmi_common.runner", name]


@pytest.mark.parametrize("name", sorted(SERVICE_CLASSES))
def test_compose_sets_only_configuration_keys_the_code_reads(name):
    unknown = set(SERVICES[name]["environment"]) - set(ENVIRONMENT)
    assert not unknown, f"{name} sets keys no code reads: {unknown}"


def test_each_service_has_its_own_database_and_role_made_by_the_init_script():
    script = (ROOT / "infra/postgres/databases.sh").read_text()
    created = set(re.search(r"PLATFORM_DATABASES:-([\w ]+)\}", script).group(1).split())
    postgres = SERVICES["postgres"]
    assert (
        "./infra/postgres/databases.sh:/docker-entrypoint-initdb.d/databases.sh:ro"
        in (postgres["volumes"])
    )
    databases = {}
    for name in SERVICE_CLASSES:
        url = urlparse(SERVICES[name]["environment"]["DATABASE_URL"])
        assert url.scheme == "postgresql+psycopg2"
        assert url.hostname == "postgres" and "postgres" in SERVICES
        databases[name] = url.path.lstrip("/")
        # its own role, never the superuser, with the password the script gives that role
        assert url.username == databases[name] != "postgres"
        assert url.password == f"__DB_PASSWORD_{name.upper()}__"
        assert postgres["environment"][f"DB_PASSWORD_{name.upper()}"] == url.password
    assert len(set(databases.values())) == len(databases)
    assert set(databases.values()) == created == set(envfile.DATABASE_OWNERS)


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
    assert gateway["environment"]["JWT_SECRET"] == "__JWT_SECRET__"  # required: ${JWT_SECRET:?}


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


# secure by default -------------------------------------------------------------------------


def test_only_the_gateway_is_published_beyond_this_machine():
    published = {name: service.get("ports", []) for name, service in SERVICES.items()}
    assert published["gateway"] == ["8000:8000"]
    for name, ports in published.items():
        if name != "gateway":
            assert all(str(port).startswith("127.0.0.1:") for port in ports), name
    assert not published["rabbitmq"] and not published["postgres"]


def test_every_secret_comes_from_the_env_file_and_none_is_a_default():
    text = COMPOSE_TEXT
    assert "guest" not in text and "postgres:postgres@" not in text
    interpolated = set(re.findall(r"\$\{(\w+):\?", text))
    assert interpolated == set(generate()), "make secrets writes exactly what compose needs"
    assert not re.findall(r"\$\{\w+:-", text), "no secret has a fallback value"
    for name in SERVICE_CLASSES:
        environment = SERVICES[name]["environment"]
        for key in ("AMQP_URI", "DATABASE_URL"):
            password = urlparse(environment[key]).password
            assert password.startswith("__") and password.endswith("__"), (name, key)
        assert environment["PMI_ENV"] == "production"
        # every process seals the answers it keeps for keyed commands (pmi_common.kept_answers)
        assert environment["IDEMPOTENCY_ANSWER_KEY"] == "__IDEMPOTENCY_ANSWER_KEY__", name
        user = urlparse(environment["AMQP_URI"]).username
        assert parse_users(environment["BROKER_USERS"])[name] == user, "its own broker user"
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_make_secrets_adds_a_secret_a_newer_release_needs_and_keeps_those_in_use(tmp_path):
    path = tmp_path / ".env"
    write(path)
    older = "".join(
        line + "\n"
        for line in path.read_text().splitlines()
        if not line.startswith("REGISTRY_READER_PASSWORD=")
    )
    path.write_text(older)
    assert add_missing(path) == ["REGISTRY_READER_PASSWORD"]
    assert path.read_text().startswith(older)
    assert add_missing(path) == [] and path.read_text().count("REGISTRY_READER_PASSWORD=") == 1


def test_the_gateway_reads_the_registry_with_its_read_only_role_not_the_owner():
    url = urlparse(SERVICES["gateway"]["environment"]["REGISTRATION_READ_DATABASE_URL"])
    assert url.username == "gateway_registry" and url.password == "__REGISTRY_READER_PASSWORD__"
    assert "roles.sh" in " ".join(SERVICES["postgres"]["volumes"])


def test_the_gateway_reads_agreements_with_its_read_only_role_from_the_agencies_database():
    url = urlparse(SERVICES["gateway"]["environment"]["AGENCIES_READ_DATABASE_URL"])
    assert url.username == "gateway_agencies" and url.path == "/agencies"
    assert url.password == "__AGREEMENTS_READER_PASSWORD__"
    agencies = urlparse(SERVICES["agencies"]["environment"]["DATABASE_URL"])
    assert agencies.username == "agencies" and agencies.path == "/agencies"
    assert "gateway" not in str(SERVICES["agencies"]["environment"]["DATABASE_URL"])


def test_make_secrets_writes_the_env_file_once(tmp_path):
    path = tmp_path / ".env"
    assert write(path)
    first = path.read_text()
    assert not write(path) and path.read_text() == first, "never overwritten"
    values = dict(line.split("=", 1) for line in first.splitlines() if not line.startswith("#"))
    assert set(values) == set(generate())
    assert all(
        len(value) == 64 and not production.password_problem("X", f"amqp://u:{value}@h/", {})
        for value in values.values()
    )
    assert path.stat().st_mode & 0o077 == 0, "readable by its owner only"
    assert envfile.PROCESSES == tuple(SERVICE_CLASSES)


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose is not installed")
def test_docker_compose_config_shows_only_the_gateway_published(tmp_path):
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    write(tmp_path / ".env")
    done = subprocess.run(
        ["docker-compose", "config"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)["services"]
    exposed = {
        name: service["ports"]
        for name, service in config.items()
        if "ports" in service and "monitoring" not in service.get("profiles", [])
    }
    assert exposed == {"gateway": [{"published": 8000, "target": 8000}]}


def test_the_image_holds_every_process_the_runner_starts():
    from pmi_common.runner import SERVICE_CLASSES

    dockerfile = (ROOT / "Dockerfile").read_text()
    packages = {target.split(":")[0].split(".")[0] for target in SERVICE_CLASSES.values()}
    for package in packages:
        assert f"COPY {package} ./{package}" in dockerfile, package


def test_compose_kubernetes_and_the_docs_name_one_rabbitmq_version():
    broker = next(yaml.safe_load_all((ROOT / "infra/k8s/broker.yaml").read_text()))
    image = broker["spec"]["image"]
    version = re.fullmatch(r"rabbitmq:(\d+\.\d+)-management", image).group(1)
    assert SERVICES["rabbitmq"]["image"] == image
    assert f"## One RabbitMQ version: {version}" in (ROOT / "docs/deployment.md").read_text()
    assert f"rabbitmq:{version}-management" in (ROOT / "README.md").read_text()
