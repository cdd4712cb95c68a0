"""The cluster deployment (infra/k8s) says what the code does: the runner's commands, only the
configuration keys the code reads, a database of its own for each process on a replicated
PostgreSQL, a three-node broker, replicas with probes on the health endpoints and resources, and
every Secret the pods read created by secrets.sh."""

import importlib.util
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from gateway.roles import PUBLIC
from gateway.routes import BY_NAME, PREFIX
from pmi_common.broker_users import parse_users
from pmi_common.config import ENVIRONMENT
from pmi_common.runner import SERVICE_CLASSES
from pmi_common.topology import all_queues
from pmi_tools import probe

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "infra/k8s"
PROBE_MODULE = "pmi_tools.probe"

# Read beneath the code, by libpq under psycopg2: the password of DATABASE_URL's user, which the
# URL leaves out so that it comes from the Secret CloudNativePG sets the role's password from.
READ_BY_LIBPQ = {"PGPASSWORD"}


def manifests(directory: Path) -> list[dict]:
    """Every document of the files a kustomization lists, in order."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    documents = []
    for resource in kustomization["resources"]:
        documents += [d for d in yaml.safe_load_all((directory / resource).read_text()) if d]
    return documents


DOCUMENTS = manifests(K8S)
MONITORING = manifests(K8S / "monitoring")


def of_kind(kind: str, documents=DOCUMENTS) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


DEPLOYMENTS = of_kind("Deployment")
CONFIG_MAPS = of_kind("ConfigMap")
SERVICES = tuple(name for name in SERVICE_CLASSES if name != "gateway")
(DATABASE,) = of_kind("Cluster").values()
(BROKER,) = of_kind("RabbitmqCluster").values()


def container(name: str) -> dict:
    (only,) = DEPLOYMENTS[name]["spec"]["template"]["spec"]["containers"]
    return only


def env(name: str) -> dict[str, dict]:
    return {entry["name"]: entry for entry in container(name).get("env", [])}


def configuration(name: str) -> dict[str, str]:
    """The plain values a process is given: its ConfigMaps' data, then its own env values."""
    values = {}
    for source in container(name).get("envFrom", []):
        values.update(CONFIG_MAPS[source["configMapRef"]["name"]]["data"])
    values.update({key: e["value"] for key, e in env(name).items() if "value" in e})
    return values


def secret_ref(name: str, key: str) -> tuple[str, str]:
    ref = env(name)[key]["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


def port_number(name: str, port) -> int:
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container(name)["ports"] if p["name"] == port]
    return number


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(key) == value for key, value in selector["matchLabels"].items())


def pod_labels(name: str) -> dict:
    return DEPLOYMENTS[name]["spec"]["template"]["metadata"]["labels"]


# the files ------------------------------------------------------------------------------------


def test_every_manifest_parses_and_a_kustomization_lists_it():
    listed = set()
    for kustomization in K8S.rglob("kustomization.yaml"):
        resources = yaml.safe_load(kustomization.read_text())["resources"]
        listed |= {kustomization.parent / resource for resource in resources}
    files = {path for path in K8S.rglob("*.yaml") if path.name != "kustomization.yaml"}
    assert files == listed
    for path in files:
        for document in yaml.safe_load_all(path.read_text()):
            assert {"apiVersion", "kind", "metadata"} <= set(document), path
            assert document["metadata"]["name"], path


def test_each_platform_process_is_one_deployment_started_by_the_runner():
    commands = {name: container(name)["command"] for name in DEPLOYMENTS}
    assert sorted(DEPLOYMENTS) == sorted(SERVICE_CLASSES)
    for name, command in commands.items():
        assert command == ["python", "-m", "pmi_common.runner", name]
    assert len({container(name)["image"] for name in DEPLOYMENTS}) == 1, "one image for all"


@pytest.mark.parametrize("name", sorted(SERVICE_CLASSES))
def test_pods_set_only_configuration_keys_the_code_reads(name):
    sources = container(name).get("envFrom", [])
    assert all(set(source) == {"configMapRef"} for source in sources), (
        "a Secret injected whole would hide its keys: name each with secretKeyRef"
    )
    keys = set(env(name)) | {
        key for source in sources for key in CONFIG_MAPS[source["configMapRef"]["name"]]["data"]
    }
    unknown = keys - set(ENVIRONMENT) - READ_BY_LIBPQ
    assert not unknown, f"{name} sets keys no code reads: {unknown}"


def test_processes_that_digest_niks_share_one_key():
    digesting = {
        name
        for name in SERVICES
        if any(
            "nik_digest(" in path.read_text() for path in (ROOT / "services" / name).glob("*.py")
        )
    }
    assert digesting, "registration at least digests the NIKs it registers"
    for name in digesting:
        assert secret_ref(name, "NIK_DIGEST_KEY") == ("pmi-keys", "nik-digest-key"), name


@pytest.mark.parametrize("name", sorted(SERVICE_CLASSES))
def test_every_process_seals_the_answers_it_keeps_with_the_one_answer_key(name):
    assert secret_ref(name, "IDEMPOTENCY_ANSWER_KEY") == ("pmi-keys", "idempotency-answer-key")


# the database --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SERVICE_CLASSES))
def test_each_process_owns_its_database_on_the_replicated_cluster(name):
    url = urlparse(configuration(name)["DATABASE_URL"])
    assert url.scheme == "postgresql+psycopg2"
    assert url.hostname == f"{DATABASE['metadata']['name']}-rw", "the primary, wherever it is"
    assert url.password is None, "the password comes from a Secret, not from the manifest"
    database, owner = url.path.lstrip("/"), url.username
    roles = {r["name"]: r for r in DATABASE["spec"]["managed"]["roles"]}
    assert roles[owner]["login"] and roles[owner].get("ensure", "present") == "present"
    assert secret_ref(name, "PGPASSWORD") == (roles[owner]["passwordSecret"]["name"], "password")
    declared = {
        (d["spec"]["cluster"]["name"], d["spec"]["name"], d["spec"]["owner"])
        for d in of_kind("Database").values()
    }
    assert (DATABASE["metadata"]["name"], database, owner) in declared


def test_no_two_processes_share_a_database_or_an_owner():
    urls = [urlparse(configuration(name)["DATABASE_URL"]) for name in SERVICE_CLASSES]
    assert len({url.path for url in urls}) == len({url.username for url in urls}) == len(urls)


def test_a_commit_waits_for_a_replica_so_a_database_node_can_fail():
    spec = DATABASE["spec"]
    synchronous = spec["postgresql"]["synchronous"]
    assert spec["instances"] >= 3, "a primary and two replicas: one can fail, writes go on"
    assert 1 <= synchronous["number"] < spec["instances"] - 1, "a replica lost stops no write"
    assert synchronous.get("dataDurability", "required") == "required"


# the broker ----------------------------------------------------------------------------------


def test_the_broker_is_a_three_node_cluster_holding_the_platform_queues_as_quorum_queues():
    assert BROKER["spec"]["replicas"] >= 3 and BROKER["spec"]["replicas"] % 2 == 1
    for queue in all_queues():
        assert queue.arguments["x-queue-type"] == "quorum", queue.name


@pytest.mark.parametrize("name", sorted(SERVICE_CLASSES))
def test_every_process_connects_as_its_own_broker_user(name):
    users = parse_users(configuration(name)["BROKER_USERS"])
    assert secret_ref(name, "AMQP_URI") == (f"pmi-broker-{name}", "amqp-uri")
    assert users[name] == f"pmi-{name}"
    assert set(users) == set(SERVICE_CLASSES)
    admin = BROKER["spec"]["secretBackend"]["externalSecret"]["name"]
    assert all(
        e.get("valueFrom", {}).get("secretKeyRef", {}).get("name") != admin
        for e in env(name).values()
    ), "the administrator's credentials stay out"


def test_the_broker_setup_job_creates_every_processs_user_as_the_administrator():
    (job,) = of_kind("Job").values()
    (main,) = job["spec"]["template"]["spec"]["containers"]
    assert main["command"] == ["python", "-m", "pmi_tools.cli", "broker", "setup"]
    given = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in main["env"]}
    admin = BROKER["spec"]["secretBackend"]["externalSecret"]["name"]
    assert given["AMQP_URI"]["name"] == given["RABBITMQ_MANAGEMENT_URL"]["name"] == admin
    created = created_secrets()
    for name in SERVICE_CLASSES:
        assert given[f"BROKER_PASSWORD_{name.upper()}"] == {
            "name": f"pmi-broker-{name}",
            "key": "password",
        }
        assert {"password", "amqp-uri", "username"} <= created[f"pmi-broker-{name}"]


def test_only_the_gateway_is_reachable_from_outside_the_namespace():
    assert all(
        s["spec"].get("type", "ClusterIP") == "ClusterIP" for s in of_kind("Service").values()
    ), "an Ingress publishes the gateway"
    assert BROKER["spec"]["service"]["type"] == "ClusterIP"
    policies = of_kind("NetworkPolicy")
    broker, database = policies["pmi-broker"]["spec"], policies["pmi-db"]["spec"]
    assert broker["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "pmi-broker"}
    assert database["podSelector"]["matchLabels"] == {
        "cnpg.io/cluster": DATABASE["metadata"]["name"]
    }
    for policy in (broker, database):
        (rule,) = policy["ingress"]
        assert {"podSelector": {}} in rule["from"], "the platform's own pods"
        assert all("ipBlock" not in peer for peer in rule["from"])


# replicas, probes, resources -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SERVICE_CLASSES))
def test_every_process_runs_replicas_with_probes_and_resources(name):
    spec = DEPLOYMENTS[name]["spec"]
    main = container(name)
    assert spec["replicas"] >= 2
    assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(main)
    assert {"cpu", "memory"} <= set(main["resources"]["requests"])
    assert "memory" in main["resources"]["limits"]
    assert selects(spec["selector"], pod_labels(name))


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_is_ready_when_the_probe_says_so_and_alive_while_its_metrics_port_listens(name):
    main = container(name)
    assert main["readinessProbe"]["exec"]["command"] == ["python", "-m", PROBE_MODULE, name]
    assert importlib.util.find_spec(PROBE_MODULE) is not None
    assert probe.build_parser().parse_args([name]).service == name
    metrics_port = int(configuration(name)["METRICS_PORT"])
    assert metrics_port > 0
    for kind in ("startupProbe", "livenessProbe"):
        assert port_number(name, main[kind]["tcpSocket"]["port"]) == metrics_port


def test_the_gateway_probes_its_health_endpoints_on_the_port_it_listens_on():
    main = container("gateway")
    port = int(configuration("gateway")["GATEWAY_ADDRESS"].rsplit(":", 1)[1])
    liveness, readiness = BY_NAME["liveness"], BY_NAME["readiness"]
    assert liveness.roles == readiness.roles == PUBLIC, "kubelet sends no token"
    expected = {"startupProbe": liveness, "livenessProbe": liveness, "readinessProbe": readiness}
    for kind, route in expected.items():
        assert main[kind]["httpGet"]["path"] == PREFIX + route.path, kind
        assert port_number("gateway", main[kind]["httpGet"]["port"]) == port, kind
    assert main["livenessProbe"]["httpGet"]["path"] == "/api/v1/health"
    assert main["readinessProbe"]["httpGet"]["path"] == "/api/v1/health/ready"


def test_the_gateway_service_sends_requests_to_the_gateway_pods_port():
    (service,) = [
        s
        for s in of_kind("Service").values()
        if s["spec"]["selector"] == {"app.kubernetes.io/name": "gateway"}
    ]
    assert selects({"matchLabels": service["spec"]["selector"]}, pod_labels("gateway"))
    port = int(configuration("gateway")["GATEWAY_ADDRESS"].rsplit(":", 1)[1])
    (target,) = [p["targetPort"] for p in service["spec"]["ports"]]
    assert port_number("gateway", target) == port


@pytest.mark.parametrize("name", sorted(SERVICE_CLASSES))
def test_a_node_drain_leaves_a_replica_of_every_process_running(name):
    budgets = [
        b
        for b in of_kind("PodDisruptionBudget").values()
        if selects(b["spec"]["selector"], pod_labels(name))
    ]
    assert len(budgets) == 1
    spec = budgets[0]["spec"]
    allowed = spec.get(
        "maxUnavailable", DEPLOYMENTS[name]["spec"]["replicas"] - spec.get("minAvailable", 0)
    )
    assert 1 <= allowed < DEPLOYMENTS[name]["spec"]["replicas"]


@pytest.mark.parametrize("name", SERVICES)
def test_a_services_metrics_are_scraped_where_it_serves_them(name):
    annotations = DEPLOYMENTS[name]["spec"]["template"]["metadata"]["annotations"]
    metrics_port = int(configuration(name)["METRICS_PORT"])
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == metrics_port
    (monitor,) = [
        m
        for m in of_kind("PodMonitor", MONITORING).values()
        if selects(m["spec"]["selector"], pod_labels(name))
    ]
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert port_number(name, endpoint["port"]) == metrics_port
    assert endpoint["path"] == annotations["prometheus.io/path"] == "/metrics"


# secrets -------------------------------------------------------------------------------------


def created_secrets() -> dict[str, set[str]]:
    """The Secrets secrets.sh creates, and the keys each holds."""
    script = (K8S / "secrets.sh").read_text()
    owners = [
        owner
        for array in ("DB_OWNERS", "BROKER_ONLY")
        for owner in re.search(rf"^{array}=\(([^)]*)\)", script, re.M).group(1).split()
    ]
    commands = re.findall(r"create_secret (\S+) ((?:.*\\\n)*.*)", script)
    secrets = {}
    for name, options in commands:
        keys = set(re.findall(r"--from-literal=([\w.-]+)=", options))
        names = [name.replace('"$owner"', o).replace("$owner", o).strip('"') for o in owners]
        for each in set(names):
            secrets[each] = keys
    return secrets


def referenced_secrets() -> set[tuple[str, str]]:
    refs = {
        (e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for name in DEPLOYMENTS
        for e in env(name).values()
        if "valueFrom" in e
    }
    refs |= {
        (r["passwordSecret"]["name"], key)
        for r in DATABASE["spec"]["managed"]["roles"]
        for key in ("username", "password")
    }
    broker_user = BROKER["spec"]["secretBackend"]["externalSecret"]["name"]
    return refs | {(broker_user, key) for key in ("default_user.conf", "username", "password")}


def test_every_secret_the_platform_reads_is_created_by_secrets_sh():
    created = created_secrets()
    missing = {
        (name, key) for name, key in referenced_secrets() if key not in created.get(name, set())
    }
    assert not missing, f"secrets.sh does not create {missing}"


def test_no_secret_value_is_committed_in_the_manifests():
    assert not of_kind("Secret"), "Secrets are created outside the manifests (secrets.sh)"


# the probe -----------------------------------------------------------------------------------


def test_probe_finds_a_service_ready_only_when_its_database_is_ok():
    healthy = {"service": "registration", "database": "ok", "outbox_backlog": 0}
    broken = {**healthy, "database": "OperationalError: connection refused"}
    assert probe.verdict("registration", healthy) is None
    assert "connection refused" in probe.verdict("registration", broken)


def test_probe_does_not_take_another_services_answer_for_its_own():
    answer = {"service": "documents", "database": "ok", "outbox_backlog": 0}
    assert "registration" in probe.verdict("registration", answer)
    assert probe.verdict("registration", None) is not None


def test_probe_says_in_one_line_why_when_the_broker_is_unreachable():
    config = {"AMQP_URI": "amqp://pmi:s3cret@127.0.0.1:1/", "METRICS_PORT": 9100}
    ready, reason = probe.check("registration", config, timeout=1)
    report = probe.line("registration", ready, reason)
    assert not ready
    assert report.startswith("registration not ready: broker unreachable")
    assert "s3cret" not in report and "\n" not in report


def test_probe_prints_a_multiline_database_error_on_one_line():
    report = probe.line("documents", False, "its database is not ok: no connection\n\tIs it up?")
    assert report == "documents not ready: its database is not ok: no connection Is it up?"


@pytest.mark.parametrize("name", sorted(SERVICE_CLASSES))
def test_every_process_verifies_the_databases_certificate_against_its_ca(name):
    assert "sslmode=verify-full" in configuration(name)["DATABASE_URL"]
    ca_file = Path(configuration(name)["DATABASE_CA_FILE"])
    pod = DEPLOYMENTS[name]["spec"]["template"]["spec"]
    (mount,) = [m for m in container(name)["volumeMounts"] if m["mountPath"] == str(ca_file.parent)]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["secret"]["secretName"] == f"{DATABASE['metadata']['name']}-ca"
    assert {"key": "ca.crt", "path": ca_file.name} in volume["secret"]["items"]
