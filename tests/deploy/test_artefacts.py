"""The deployment artefacts under deploy/, checked offline (this machine has no container engine, no cluster and no
helm): the image build files name only files that exist and that the build context sends, install only pinned
versions, and pass hadolint; the compose file passes the Compose specification's schema; the Kubernetes manifests
and the containers the Helm values would render pass Kubernetes' schemas (strict); HAProxy accepts its
configuration; every environment variable the artefacts set is one the code reads, and is documented in
docs/deploy.md. Runs in the core environment (`make test-deploy`)."""

from __future__ import annotations

import copy
import os
import re
import shlex
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import kubernetes_validate
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILES = sorted((DEPLOY / "docker").glob("*.Dockerfile"))
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
K8S = sorted((DEPLOY / "k8s").glob("*.yaml"))
HELM = DEPLOY / "helm"
HAPROXY = DEPLOY / "haproxy" / "haproxy.cfg"
DOCS = ROOT / "docs" / "deploy.md"
KUBERNETES_VERSION = "1.31.0"  # the oldest Kubernetes release docs/deploy.md supports
BIN = Path(sys.executable).parent
# Files the build context must hold that git does not: made by `make` (docs/deploy.md says to build after it)
BUILD_PRODUCTS = {"models/assistant.tar.gz": "make train"}
ENV_REFERENCE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?:(:?[-?])[^}]*)?\}")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def tool(name: str) -> str:
    """A tool of the core environment (requirements/core.in), or a failure naming the missing package."""
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is missing from {BIN}: `make` installs it (requirements/core.in)")
    return str(path)


# ------------------------------------------------------------------ Dockerfiles


def instructions(dockerfile: Path) -> List[Tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    result, pending = [], ""
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#"):
            continue
        continued = line.rstrip().endswith("\\")
        pending += (line.rstrip()[:-1] if continued else line).strip() + " "
        if not continued:
            if pending.strip():
                keyword, _, rest = pending.strip().partition(" ")
                result.append((keyword.upper(), rest.strip()))
            pending = ""
    return result


def copies(dockerfile: Path) -> Iterator[Tuple[Optional[str], List[str], str]]:
    """(--from stage or None, sources, destination) of every COPY and ADD."""
    for keyword, arguments in instructions(dockerfile):
        if keyword not in ("COPY", "ADD"):
            continue
        words = shlex.split(arguments)
        stage = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
        paths = [w for w in words if not w.startswith("--")]
        yield stage, paths[:-1], paths[-1]


def stages(dockerfile: Path) -> List[Tuple[str, Optional[str]]]:
    """(image, stage name) of every FROM."""
    result = []
    for keyword, arguments in instructions(dockerfile):
        if keyword == "FROM":
            words = arguments.split()
            result.append((words[0], words[2] if len(words) > 2 and words[1].upper() == "AS" else None))
    return result


@lru_cache(maxsize=1)
def tracked() -> Set[str]:
    done = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(done.stdout.splitlines())


def dockerignore_patterns() -> List[Tuple[bool, str]]:
    patterns = []
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            patterns.append((negated, line.lstrip("!").strip("/")))
    return patterns


def pattern_matches(pattern: str, path: str) -> bool:
    """Docker's rule: a pattern matches a path when it matches the path or one of its parent folders."""
    regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
    parts = path.split("/")
    return any(re.fullmatch(regex, "/".join(parts[:i])) for i in range(1, len(parts) + 1))


def sent_to_the_build(path: str) -> bool:
    """Whether .dockerignore lets `path` into the build context (the last matching pattern decides)."""
    included = True
    for negated, pattern in dockerignore_patterns():
        if pattern_matches(pattern, path):
            included = negated
    return included


def context_files(source: str) -> List[str]:
    """The files of the repository a COPY source names (a file, or the files under a folder)."""
    source = source.rstrip("/")
    if source in BUILD_PRODUCTS:
        return [source]
    return sorted(f for f in tracked() if f == source or f.startswith(source + "/"))


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_every_file_an_image_copies_exists_and_is_sent_to_the_build(dockerfile: Path):
    names = {name for _, name in stages(dockerfile) if name}
    for stage, sources, _ in copies(dockerfile):
        if stage is not None:
            assert stage in names, f"{dockerfile.name}: COPY --from={stage}: no such stage"
            continue
        for source in sources:
            files = context_files(source)
            assert files, f"{dockerfile.name}: COPY {source}: not in the repository"
            for file in files:
                if file in BUILD_PRODUCTS and not (ROOT / file).exists():
                    pytest.fail(f"{dockerfile.name}: COPY {file}: missing; `{BUILD_PRODUCTS[file]}` makes it")
                assert (ROOT / file).exists(), f"{dockerfile.name}: COPY {file}: missing"
                if "__pycache__" not in file:
                    assert sent_to_the_build(file), f"{dockerfile.name}: {file} is left out by .dockerignore"


def test_dockerignore_keeps_secrets_and_environments_out():
    for path in (".venv/core/bin/python", "build/core.db", "build/rasa-token", ".git/config", "deploy/.env",
                 "web/node_modules/x.js", "models/other.tar.gz", "tests/core/test_api.py"):
        assert not sent_to_the_build(path), path


def pip_installs(dockerfile: Path) -> Iterator[Tuple[str, str]]:
    """(requirements file, constraints file) of every `pip install -r X -c Y`, as repository paths."""
    destinations = {}
    for _, sources, destination in copies(dockerfile):
        for source in sources:
            if source.startswith("requirements/"):
                target = destination + Path(source).name if destination.endswith("/") else destination
                destinations[target] = source
    for keyword, arguments in instructions(dockerfile):
        if keyword == "RUN" and "pip install" in arguments:
            words = shlex.split(arguments)
            requirement = words[words.index("-r") + 1]
            constraints = words[words.index("-c") + 1]
            yield destinations.get(requirement, requirement), destinations.get(constraints, constraints)


def pins(lock: Path) -> Dict[str, str]:
    result = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            result[canonicalize_name(name.split("[")[0])] = version.strip()
    return result


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_images_install_only_versions_of_the_locks(dockerfile: Path):
    installs = list(pip_installs(dockerfile))
    assert installs, f"{dockerfile.name} installs nothing with pip"
    for requirements, constraints in installs:
        assert (ROOT / requirements).exists() and (ROOT / constraints).exists(), (requirements, constraints)
        assert constraints.endswith(".lock")
        locked = pins(ROOT / constraints)
        for line in (ROOT / requirements).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            requirement = Requirement(line)
            name = canonicalize_name(requirement.name)
            assert name in locked, f"{requirements}: {requirement.name} is not pinned in {constraints}"
            assert requirement.specifier.contains(locked[name]), (
                f"{requirements}: {line} does not admit {constraints}'s {locked[name]}")


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_images_are_multi_stage_pinned_non_root_and_checked(dockerfile: Path):
    bases = stages(dockerfile)
    assert len(bases) >= 2, "multi-stage"
    names = {name for _, name in bases if name}
    for image, _ in bases:
        if image in names:
            continue
        assert "@sha256:" in image or re.search(r":\d+\.\d+\.\d+", image), f"{image}: pin an exact tag or digest"
    final = instructions(dockerfile)
    final = final[max(i for i, (keyword, _) in enumerate(final) if keyword == "FROM"):]
    users = [arguments for keyword, arguments in final if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root"), "the final stage runs as a user, not root"
    assert any(keyword == "HEALTHCHECK" for keyword, _ in final)
    assert any(keyword in ("CMD", "ENTRYPOINT") for keyword, _ in final)


def test_hadolint_accepts_the_dockerfiles():
    done = subprocess.run([tool("hadolint"), *map(str, DOCKERFILES)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


# ------------------------------------------------------------------ compose


def compose() -> Dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def check_compose(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
                          capture_output=True, text=True, timeout=120)


def test_the_compose_file_follows_the_compose_specification(tmp_path: Path):
    done = check_compose(COMPOSE)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "compose.yaml"  # the check bites: a misspelt key fails
    broken.write_text(COMPOSE.read_text(encoding="utf-8").replace("    restart: unless-stopped", "    restat: no", 1))
    assert check_compose(broken).returncode != 0


def test_compose_runs_the_whole_stack_from_these_images():
    services = compose()["services"]
    assert {"rasa", "actions", "core", "migrate", "postgres", "redis", "rabbitmq", "haproxy"} <= set(services)
    for name, service in services.items():
        image = service["image"]
        assert "${" in image or re.search(r":\d+\.\d+(\.\d+)?(-[a-z]+)?$", image), f"{name}: pin {image}"
        build = service.get("build")
        if build:
            assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve().exists()
        for volume in service.get("volumes", []):
            host = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", volume).split(":", 1)[0]  # with its default
            if host.startswith("."):
                assert (COMPOSE.parent / host).exists(), f"{name}: {host} is missing"
    for name in ("rasa", "actions", "core"):
        assert services[name]["deploy"]["replicas"] >= 2, f"{name}: several nodes"


def compose_references() -> Dict[str, Optional[str]]:
    """Variable -> its operator (':-', ':?', None) for every ${...} the compose file reads from deploy/.env."""
    text = "\n".join(line.split(" #", 1)[0] for line in COMPOSE.read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith("#"))
    found: Dict[str, Optional[str]] = {}
    for match in ENV_REFERENCE.finditer(text.replace("$$", "")):
        found.setdefault(match.group(1), match.group(2))
    return found


def env_example() -> Set[str]:
    names = set()
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#?\s*([A-Z][A-Z0-9_]*)=", line)
        if match:
            names.add(match.group(1))
    return names


def test_every_variable_compose_reads_is_in_the_env_example():
    missing = [name for name, operator in compose_references().items()
               if name not in env_example() and operator != ":-"]
    assert missing == []
    assert set(env_example()) <= set(compose_references()), "a variable of .env.example that nothing reads"


# ------------------------------------------------------------------ variables the code reads


def scanned_names(*folders: str, patterns: Tuple[str, ...]) -> Set[str]:
    names = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            for pattern in patterns:
                names.update(re.findall(pattern, source))
    return names


def core_variables() -> Set[str]:
    from bot.core.config import HandoffSettings, PrivacySettings, Settings

    return {field.alias for cls in (Settings, HandoffSettings, PrivacySettings) for field in cls.model_fields.values()
            if field.alias}


def production_file_variables() -> Set[str]:
    names = set()
    for name in ("endpoints.production.yml", "credentials.production.yml"):
        settings = "\n".join(line.split("#", 1)[0] for line in (DEPLOY / name).read_text().splitlines())
        names.update(match.group(1) for match in ENV_REFERENCE.finditer(settings))
    return names


# Read by Rasa, Sanic or the libraries under them, and set by the images
LIBRARY_VARIABLES = {"SANIC_WORKERS", "SANIC_WEBSOCKET_MAX_SIZE", "RASA_TELEMETRY_ENABLED", "TF_CPP_MIN_LOG_LEVEL",
                     "SQLALCHEMY_SILENCE_UBER_WARNING", "MPLCONFIGDIR", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE",
                     "PYTHONUNBUFFERED", "PATH", "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK"}


def rasa_variables() -> Set[str]:
    """What the Rasa server reads: its endpoints and credentials files, and our code inside Rasa."""
    code = scanned_names("bot/rasa_ext", patterns=(r'_VARIABLE(?:, DEFAULT_TIMEOUT)? = "([A-Z][A-Z0-9_]*)"',))
    return production_file_variables() | (code - {"ASSISTANT_BIND_HOST"}) | LIBRARY_VARIABLES


def actions_variables() -> Set[str]:
    code = scanned_names("actions", patterns=(r'environ\.get\("([A-Z][A-Z0-9_]*)"',))
    return code | {"ACTION_SERVER_TOKEN", "ASSISTANT_BIND_HOST"} | LIBRARY_VARIABLES


SERVICE_VARIABLES = {"rasa": rasa_variables, "actions": actions_variables, "core": lambda: core_variables(),
                     "migrate": lambda: {"CORE_DATABASE_URL"}}


@pytest.mark.parametrize("service", sorted(SERVICE_VARIABLES))
def test_compose_sets_only_variables_the_service_reads(service: str):
    environment = compose()["services"][service]["environment"]
    assert sorted(set(environment) - SERVICE_VARIABLES[service]()) == []


def test_compose_gives_rasa_every_variable_of_its_production_files():
    assert sorted(production_file_variables() - set(compose()["services"]["rasa"]["environment"])) == []


def test_compose_gives_each_server_the_secrets_it_needs():
    services = compose()["services"]
    assert {"CUSTOMER_TOKEN_SECRET", "CORE_SERVICE_KEY", "CORE_DATABASE_URL", "RASA_TOKEN", "CHAT_KEY_SECRET",
            "HANDOFF_EVENTS_URL"} <= set(services["core"]["environment"])
    assert {"ACTION_SERVER_TOKEN", "CORE_SERVICE_KEY", "CORE_URL"} <= set(services["actions"]["environment"])
    assert {"RASA_TOKEN", "CHAT_KEY_SECRET", "SOCKETIO_REDIS_URL"} <= set(services["rasa"]["environment"])


# ------------------------------------------------------------------ Kubernetes


def documents(path: Path) -> List[Dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


@pytest.mark.parametrize("manifest", K8S, ids=lambda p: p.name)
def test_manifests_follow_kubernetes_schemas(manifest: Path):
    for doc in documents(manifest):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_schema_check_bites():
    deployment = next(d for d in documents(DEPLOY / "k8s" / "core.yaml") if d["kind"] == "Deployment")
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def by_kind(kind: str) -> List[Dict[str, Any]]:
    return [doc for manifest in K8S for doc in documents(manifest) if doc["kind"] == kind]


def test_the_core_deployment_is_probed_sized_served_and_scaled():
    deployment = next(d for d in by_kind("Deployment") if d["metadata"]["name"] == "core")
    pod = deployment["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    service = next(d for d in by_kind("Service") if d["metadata"]["name"] == "core")
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    autoscaler = next(d for d in by_kind("HorizontalPodAutoscaler") if d["metadata"]["name"] == "core")
    assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "core"}
    assert autoscaler["spec"]["minReplicas"] >= 2
    job = next(d for d in by_kind("Job") if d["metadata"]["name"] == "core-migrate")
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == container["image"]
    assert sorted({e["name"] for e in container["env"]} - core_variables()) == []


# ------------------------------------------------------------------ Helm values for Rasa's charts

# The keys of the charts' values.yaml these files may set (rasa 1.17.3, rasa-action-server 1.0.x), as documented in
# their READMEs' "Values" tables: a misspelt key would be ignored by Helm without a word.
CHART_KEYS = {
    "rasa": {
        "image.repository", "image.tag", "image.pullPolicy", "command", "args", "applicationSettings.port",
        "applicationSettings.initialModel", "applicationSettings.trainInitialModel",
        "applicationSettings.telemetry.enabled", "applicationSettings.credentials.enabled",
        "applicationSettings.endpoints.models.enabled", "applicationSettings.endpoints.trackerStore.enabled",
        "applicationSettings.endpoints.lockStore.enabled", "applicationSettings.endpoints.eventBroker.enabled",
        "postgresql.install", "redis.install", "rabbitmq.install", "rasa-action-server.install", "duckling.install",
        "nginx.enabled", "ingress.enabled", "service.type", "service.port", "replicaCount", "autoscaling.enabled",
        "autoscaling.minReplicas", "autoscaling.maxReplicas", "autoscaling.targetCPUUtilizationPercentage",
        "resources", "podSecurityContext", "securityContext", "readinessProbe", "livenessProbe", "extraEnv",
        "volumes", "volumeMounts",
    },
    "rasa-action-server": {
        "image.repository", "image.tag", "image.pullPolicy", "command", "args", "applicationSettings.port",
        "service.type", "service.port", "replicaCount", "autoscaling.enabled", "autoscaling.minReplicas",
        "autoscaling.maxReplicas", "autoscaling.targetCPUUtilizationPercentage", "resources", "podSecurityContext",
        "securityContext", "readinessProbe", "livenessProbe", "extraEnv", "volumes", "volumeMounts",
    },
}
# Keys whose values are Kubernetes objects or lists, checked by the render below rather than key by key
OPAQUE = {"resources", "podSecurityContext", "securityContext", "readinessProbe", "livenessProbe", "extraEnv",
          "volumes", "volumeMounts", "command", "args"}
# Variables the rasa chart sets itself in the Rasa container (its templates/_containers-env.yaml)
RASA_CHART_ENV = {"RASA_TELEMETRY_ENABLED", "MPLCONFIGDIR", "TF_CPP_MIN_LOG_LEVEL", "RASA_TOKEN", "JWT_SECRET"}


def values(chart: str) -> Dict[str, Any]:
    return yaml.safe_load((HELM / f"{chart}-values.yaml").read_text(encoding="utf-8"))


def keys(tree: Dict[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and path not in OPAQUE:
            yield from keys(value, path + ".")
        else:
            yield path


@pytest.mark.parametrize("chart", sorted(CHART_KEYS))
def test_helm_values_use_only_the_charts_keys(chart: str):
    assert sorted(set(keys(values(chart))) - CHART_KEYS[chart]) == []


def rendered_deployment(chart: str) -> Dict[str, Any]:
    """The Deployment the chart's templates/deployment.yaml makes of these values (its container, pod security,
    volumes), with the chart's own environment first."""
    settings = values(chart)
    env = ([{"name": name, "value": "x"} for name in sorted(RASA_CHART_ENV)] if chart == "rasa" else [])
    env += settings.get("extraEnv", [])
    container = {
        "name": "rasa-oss" if chart == "rasa" else "action-server",
        "image": f"{settings['image']['repository']}:{settings['image']['tag']}",
        "imagePullPolicy": settings["image"]["pullPolicy"],
        "command": settings["command"], "args": settings["args"],
        "ports": [{"name": "http", "containerPort": settings["applicationSettings"]["port"], "protocol": "TCP"}],
        "livenessProbe": settings["livenessProbe"], "readinessProbe": settings["readinessProbe"],
        "resources": settings["resources"], "securityContext": settings["securityContext"], "env": env,
        "volumeMounts": settings.get("volumeMounts", []),
    }
    labels = {"app.kubernetes.io/name": chart}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": chart, "labels": labels},
        "spec": {"replicas": settings["replicaCount"], "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"securityContext": settings["podSecurityContext"], "containers": [container],
                                       "volumes": settings.get("volumes", [])}}},
    }


@pytest.mark.parametrize("chart", sorted(CHART_KEYS))
def test_the_containers_the_charts_would_render_follow_kubernetes_schemas(chart: str):
    deployment = rendered_deployment(chart)
    kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    env = [variable["name"] for variable in deployment["spec"]["template"]["spec"]["containers"][0]["env"]]
    assert len(env) == len(set(env)), "a variable set twice (the chart's own, or extraEnv's)"


def test_rasa_on_kubernetes_gets_every_variable_of_its_production_files():
    env = {variable["name"] for variable in values("rasa")["extraEnv"]}
    assert sorted(production_file_variables() - env) == []
    assert sorted(env - rasa_variables()) == []
    args = values("rasa")["args"]  # the files baked into the image
    baked = {source for _, sources, _ in copies(DEPLOY / "docker" / "rasa.Dockerfile") for source in sources}
    for option in ("--endpoints", "--credentials", "--model"):
        assert args[args.index(option) + 1] in baked


def test_the_action_server_on_kubernetes_gets_what_it_reads():
    env = {variable["name"] for variable in values("rasa-action-server")["extraEnv"]}
    assert {"ACTION_SERVER_TOKEN", "CORE_SERVICE_KEY", "CORE_URL"} <= env <= actions_variables()
    rasa_env = {v["name"]: v.get("value") for v in values("rasa")["extraEnv"]}
    port = values("rasa-action-server")["service"]["port"]
    assert rasa_env["ACTION_SERVER_URL"] == f"http://rasa-action-server:{port}/webhook"


# ------------------------------------------------------------------ HAProxy


def test_haproxy_accepts_its_configuration():
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        message = "haproxy is not installed (`make test-deploy` installs Debian's package when it can)"
        pytest.fail(message) if in_ci() else pytest.skip(message)
    done = subprocess.run([haproxy, "-c", "-f", str(HAPROXY)], capture_output=True, text=True, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # offline, the services' names do not resolve: that warning only (they resolve through Docker's DNS)
    warnings = [line for line in output.splitlines() if "[WARNING]" in line]
    assert all("could not resolve address" in line for line in warnings), warnings


def test_haproxy_routes_the_chat_and_webhooks_to_rasa_and_the_rest_to_the_core():
    config = HAPROXY.read_text(encoding="utf-8")
    assert re.search(r"acl to_rasa path_beg /socket.io/ /webhooks/\n", config)
    assert "server-template rasa 1-4 rasa:5005" in config and "server-template core 1-4 core:8000" in config
    assert "ipv4_address: 172.30.0.10" in COMPOSE.read_text(encoding="utf-8")
    assert compose()["services"]["core"]["environment"]["CORE_TRUSTED_PROXIES"] == "172.30.0.10"


# ------------------------------------------------------------------ the documented list of variables


def documented() -> Dict[str, str]:
    """Variable -> its row of docs/deploy.md's table of environment variables."""
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", line)
        if match:
            rows[match.group(1)] = line
    return rows


def artefact_variables() -> Set[str]:
    names = set(production_file_variables()) | env_example()
    for service in compose()["services"].values():
        names |= set(service.get("environment", {}))
    for manifest in K8S:
        for doc in documents(manifest):
            for container in doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
                names |= {variable["name"] for variable in container.get("env", [])}
    for chart in CHART_KEYS:
        names |= {variable["name"] for variable in values(chart).get("extraEnv", [])}
    for dockerfile in DOCKERFILES:
        for keyword, arguments in instructions(dockerfile):
            if keyword == "ENV":
                names |= set(re.findall(r"([A-Z][A-Z0-9_]*)=", arguments))
    return names - {"PATH", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR",
                    "PIP_DISABLE_PIP_VERSION_CHECK", "POSTGRES_DB", "RABBITMQ_DEFAULT_USER", "RABBITMQ_DEFAULT_PASS"}


def test_every_variable_of_the_artefacts_is_documented():
    assert sorted(artefact_variables() - set(documented())) == []


def test_the_documented_variables_are_read_by_something():
    model_server = set(ENV_REFERENCE.findall((DEPLOY / "endpoints.production.yml").read_text()))  # its comments
    known = artefact_variables() | core_variables() | rasa_variables() | actions_variables() | {
        name for name, _ in model_server}
    assert sorted(set(documented()) - known) == []


def test_each_documented_variable_says_service_default_and_secret():
    for name, row in documented().items():
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        assert len(cells) == 5, f"{name}: | name | service | default | secret | meaning |"
        assert cells[3] in ("yes", "no"), f"{name}: secret is yes or no, not {cells[3]!r}"


def test_every_secret_is_kept_in_a_secret_on_kubernetes():
    secrets = {name for name, row in documented().items()
               if [c.strip() for c in row.strip().strip("|").split("|")][3] == "yes"}
    plain = set()
    for manifest in K8S:
        for doc in documents(manifest):
            for container in doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
                plain |= {v["name"] for v in container.get("env", []) if "value" in v}
    for chart in CHART_KEYS:
        plain |= {v["name"] for v in values(chart).get("extraEnv", []) if "value" in v}
    assert sorted(secrets & plain) == []

