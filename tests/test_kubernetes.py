"""The Kubernetes manifests (deploy/kubernetes/), read with PyYAML: each
workload starts its containers through infx-exec copied by an init
container, with Kubernetes auth and a projected service-account token; no
Secret holds an Infisical credential.
"""
import copy
import re
from pathlib import Path

import pytest
import yaml

from container_files import CREDENTIAL_VARS, K8S, as_list, load

# --------------------------------------------------------------------------
# Kubernetes

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}
CREDENTIAL_KEY = re.compile(r"infisical|client.?(id|secret)|token|jwt", re.I)


def k8s_documents():
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        with open(path) as f:
            docs += [(path.name, d) for d in yaml.safe_load_all(f) if d]
    return docs


def pod_spec(doc):
    if doc["kind"] == "Pod":
        return doc["spec"]
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return doc["spec"]["template"]["spec"]


def k8s_env(container):
    return {e["name"]: e for e in container.get("env") or []}


def k8s_problems(doc, docs):
    """Why a workload does not start its containers through infx-exec with
    Kubernetes Auth and no stored credential."""
    problems = []
    spec = pod_spec(doc)
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    # 1. an init container copies the binary into an emptyDir
    shim_dirs = {}
    for c in spec.get("initContainers") or []:
        cmd = as_list(c.get("command")) + as_list(c.get("args"))
        if not cmd or Path(cmd[0]).name != "cp" or not any(
                Path(w).name == "infx-exec" for w in cmd[1:-1]):
            continue
        for m in c.get("volumeMounts") or []:
            if cmd[-1].startswith(m["mountPath"].rstrip("/") + "/") and \
                    "emptyDir" in volumes.get(m["name"], {}):
                shim_dirs[m["name"]] = cmd[-1]
    if not shim_dirs:
        problems.append("no init container copies infx-exec into an emptyDir")
    # 2. a projected service-account token with an audience
    tokens = {}
    for name, v in volumes.items():
        for src in (v.get("projected") or {}).get("sources") or []:
            sat = src.get("serviceAccountToken")
            if sat and sat.get("audience"):
                tokens[name] = sat["path"]
    if not tokens:
        problems.append("no projected serviceAccountToken with an audience")
    account = spec.get("serviceAccountName")
    if not account or not any(d["kind"] == "ServiceAccount" and
                              d["metadata"]["name"] == account for _, d in docs):
        problems.append("no ServiceAccount of its own")
    # 3. each app container: command through the copy, token, identity id
    for c in spec.get("containers") or []:
        mounts = {m["name"]: m for m in c.get("volumeMounts") or []}
        cmd = as_list(c.get("command"))
        shim = [n for n, path in shim_dirs.items()
                if n in mounts and cmd[:2] == [
                    mounts[n]["mountPath"].rstrip("/") + "/" +
                    Path(path).name, "--"]]
        if not shim:
            problems.append(f"{c['name']}: command does not start with the copied infx-exec and --")
        elif not mounts[shim[0]].get("readOnly"):
            problems.append(f"{c['name']}: the infx-exec volume is not read-only")
        if len(cmd) < 3:
            problems.append(f"{c['name']}: nothing to run after infx-exec --")
        env = k8s_env(c)
        token_paths = {mounts[n]["mountPath"].rstrip("/") + "/" + p
                       for n, p in tokens.items() if n in mounts}
        path = (env.get("INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH") or {}).get("value")
        if path not in token_paths:
            problems.append(f"{c['name']}: the token path is not the projected token")
        if not (env.get("INFISICAL_MACHINE_IDENTITY_ID") or {}).get("value"):
            problems.append(f"{c['name']}: no INFISICAL_MACHINE_IDENTITY_ID")
        method = (env.get("INFISICAL_AUTH_METHOD") or {}).get("value", "kubernetes")
        if method != "kubernetes":
            problems.append(f"{c['name']}: INFISICAL_AUTH_METHOD is {method}")
        for name, e in env.items():
            if name.startswith("INFISICAL_") and "secretKeyRef" in (e.get("valueFrom") or {}):
                problems.append(f"{c['name']}: {name} from a Secret")
            base = name[:-5] if name.endswith("_FILE") else name
            if base in CREDENTIAL_VARS and base != "INFISICAL_MACHINE_IDENTITY_ID":
                problems.append(f"{c['name']}: {name} is set")
        if any("secretRef" in e for e in c.get("envFrom") or []):
            problems.append(f"{c['name']}: envFrom a Secret")
    return problems


def secret_problems(docs):
    problems = []
    for name, d in docs:
        if d.get("kind") != "Secret":
            continue
        keys = list((d.get("data") or {})) + list((d.get("stringData") or {}))
        if d.get("type") == "kubernetes.io/service-account-token" or \
                any(CREDENTIAL_KEY.search(k) for k in keys):
            problems.append(f"{name}: Secret {d['metadata']['name']} holds a credential")
    return problems


def test_k8s_manifests_parse():
    docs = k8s_documents()
    kinds = {d["kind"] for _, d in docs}
    assert "Deployment" in kinds and "ServiceAccount" in kinds
    for name, d in docs:
        assert d.get("apiVersion") and d.get("kind"), name


def test_k8s_workloads_start_through_the_shim_with_kubernetes_auth():
    docs = k8s_documents()
    workloads = [(n, d) for n, d in docs if d["kind"] in WORKLOADS | {"Pod", "CronJob"}]
    assert workloads
    for name, d in workloads:
        problems = k8s_problems(d, docs)
        assert not problems, f"{name}: {d['metadata']['name']}: {problems}"
        spec = pod_spec(d)
        assert spec.get("automountServiceAccountToken") is False


def test_k8s_no_secret_holds_infisical_credentials():
    assert not secret_problems(k8s_documents())


def test_k8s_kustomization_lists_every_manifest():
    kust = load(K8S / "kustomization.yaml")
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kust["resources"]) == files



def _k8s_case(mutate):
    docs = copy.deepcopy(k8s_documents())
    deployment = next(d for _, d in docs if d["kind"] == "Deployment")
    mutate(pod_spec(deployment), docs)
    return k8s_problems(deployment, docs) + secret_problems(docs)


def _app(spec):
    return spec["containers"][0]


def _volume(spec, kind):
    return next(v for v in spec["volumes"] if kind in v)


K8S_BREAKAGES = {
    "no init container": lambda s, d: s.pop("initContainers"),
    "init container does not copy": lambda s, d: s["initContainers"][0].update(command=["true"]),
    "hostPath instead of emptyDir": lambda s, d: _volume(s, "emptyDir").update(
        hostPath={"path": "/opt"}) or _volume(s, "hostPath").pop("emptyDir"),
    "command without the shim": lambda s, d: _app(s).update(command=["tini", "--", "/docker-entrypoint.sh"]),
    "shim volume writable": lambda s, d: next(
        m for m in _app(s)["volumeMounts"] if m["mountPath"] == "/opt/infx-exec").pop("readOnly"),
    "token without audience": lambda s, d: _volume(s, "projected")["projected"]["sources"][0][
        "serviceAccountToken"].pop("audience"),
    "token path elsewhere": lambda s, d: next(
        e for e in _app(s)["env"] if e["name"] == "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH"
    ).update(value="/var/run/secrets/kubernetes.io/serviceaccount/token"),
    "no identity id": lambda s, d: _app(s).update(env=[
        e for e in _app(s)["env"] if e["name"] != "INFISICAL_MACHINE_IDENTITY_ID"]),
    "client secret from a Secret": lambda s, d: _app(s)["env"].append(
        {"name": "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET",
         "valueFrom": {"secretKeyRef": {"name": "infisical", "key": "secret"}}}),
    "envFrom a Secret": lambda s, d: _app(s).update(envFrom=[{"secretRef": {"name": "infisical"}}]),
    "a Secret with the credentials": lambda s, d: d.append(("x.yaml", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "infisical"},
        "stringData": {"INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET": "x"}})),
    "universal auth instead": lambda s, d: next(
        e for e in _app(s)["env"] if e["name"] == "INFISICAL_AUTH_METHOD").update(value="universal-auth"),
}


@pytest.mark.parametrize("breakage", sorted(K8S_BREAKAGES))
def test_k8s_check_catches(breakage):
    assert _k8s_case(lambda s, d: None) == []
    assert _k8s_case(K8S_BREAKAGES[breakage]), breakage


