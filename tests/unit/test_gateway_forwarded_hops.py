"""``FORWARDED_HOPS``: the proxies in front of the gateway, refused at start unless a whole
number of 0 or more, and set in the Kubernetes manifests for the ingress. No I/O."""

from pathlib import Path

import pytest
import yaml
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.ratelimits import RateLimits, forwarded_hops
from gateway.service import GatewayService

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "value, hops", [(None, 0), ("", 0), ("0", 0), ("1", 1), (" 2 ", 2), (1, 1)]
)
def test_a_whole_number_of_proxies_is_taken(value, hops):
    assert forwarded_hops(value) == hops


@pytest.mark.parametrize("value", ["-1", "1.5", "one", "1e3", "²", "0x1", -1, 2.0, True])
def test_anything_else_is_refused_naming_the_setting(value):
    with pytest.raises(ValueError, match="FORWARDED_HOPS must be a whole number"):
        forwarded_hops(value)
    with pytest.raises(ValueError, match="FORWARDED_HOPS"):
        RateLimits({"FORWARDED_HOPS": value})


def test_the_gateway_will_not_start_with_a_negative_number_of_hops():
    with pytest.raises(SystemExit) as refused:
        GatewayService.check_config({"FORWARDED_HOPS": "-1", "JWT_SECRET": "x" * 40})
    assert str(refused.value).startswith("the gateway will not start: FORWARDED_HOPS must be")
    GatewayService.check_config({"FORWARDED_HOPS": "1", "JWT_SECRET": "x" * 40})


def test_behind_the_ingress_each_client_is_counted_by_its_own_address():
    limits = RateLimits({"FORWARDED_HOPS": "1"})
    request = Request(
        EnvironBuilder(
            headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7"},
            environ_base={"REMOTE_ADDR": "10.0.0.5"},
        ).get_environ()
    )
    assert limits.client_address(request) == "198.51.100.7"


def test_the_kubernetes_gateway_counts_the_ingress_controller_as_one_hop():
    documents = yaml.safe_load_all((ROOT / "infra/k8s/gateway.yaml").read_text())
    deployment = next(d for d in documents if d and d.get("kind") == "Deployment")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert forwarded_hops(env["FORWARDED_HOPS"]) == 1
