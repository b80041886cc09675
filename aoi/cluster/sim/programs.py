"""What the binaries in the images do: which port they listen on, whom they call, how they start and fail.

A container's behaviour is looked up from its image and command, never from the fault that broke it: a profile
container whose command was changed to `geo` really runs the geo server (and listens on geo's port), an image
tag that does not exist cannot be pulled, a private image needs a pull secret. Faults only change specs and
state; the consequences follow from here.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from typing import Any

from aoi.cluster.sim.apps.model import AppSpec, Call, Component

PRIVATE_REGISTRY = "ghcr.io/aoi-private/"
"""Images under this prefix need an imagePullSecret holding the registry's credentials to pull."""
PRIVATE_REGISTRY_LOGIN = ("aoi-bot", "ghp_aoiSimulatedPullToken0000000000000000")
"""The user and token the private registry accepts; any other login is refused (401)."""


def docker_config(host: str, user: str, password: str) -> str:
    """The `.dockerconfigjson` of a `kubernetes.io/dockerconfigjson` Secret, base64-encoded as a Secret's data is."""
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    config = {"auths": {host: {"username": user, "password": password, "auth": auth}}}
    return base64.b64encode(json.dumps(config, separators=(",", ":")).encode()).decode()


def registry_login(secret: dict[str, Any] | None, host: str) -> tuple[str, str] | None:
    """The (user, password) a pull Secret holds for a registry host, as the kubelet's keyring matches it; None
    when the Secret has no entry for the host (the pull then goes anonymous)."""
    try:
        config = json.loads(base64.b64decode((secret or {}).get("data", {}).get(".dockerconfigjson", "")))
    except (ValueError, TypeError):
        return None
    for server, entry in (config.get("auths") or {}).items():
        if server.removeprefix("https://").split("/", 1)[0] != host or not isinstance(entry, dict):
            continue
        if entry.get("auth"):
            user, _, password = base64.b64decode(entry["auth"]).decode(errors="replace").partition(":")
            return user, password
        return str(entry.get("username", "")), str(entry.get("password", ""))
    return None

UNRESOLVABLE_REGISTRIES = ("registry.invalid/", "docker.example.invalid/")


@dataclass(frozen=True, slots=True)
class Program:
    """A runnable binary: the component whose behaviour it has, and the address overrides baked into it."""

    behaviour: Component
    listen_port: int | None
    address_overrides: tuple[tuple[str, str], ...] = ()
    """Calls whose address is hard-wired in this image build: (target, host:port)."""


@dataclass(frozen=True, slots=True)
class PullResult:
    ok: bool
    reason: str = ""
    message: str = ""


class ImageCatalog:
    """Images that exist in the registries the simulated cluster can reach, and the programs inside them."""

    def __init__(self, app: AppSpec, extra: tuple[Component, ...] = ()) -> None:
        """`extra`: programs of images installed beside the app's (a service mesh's proxy)."""
        self._app = app
        self._binaries: dict[str, dict[str, Component]] = {}
        """Images that hold several servers chosen by `command` (DeathStarBench): repo → binary → component."""
        self._by_image: dict[str, Component] = {}
        """Images whose entrypoint is their one server: full reference → component."""
        for comp in (*app.components, *extra):
            if comp.command and comp.kind not in ("mongodb",):
                self._binaries.setdefault(_repo(comp.image), {})[comp.command[0]] = comp
            else:
                self._by_image.setdefault(comp.image, comp)
        self._tags: dict[str, set[str]] = {}
        for comp in (*app.components, *extra):
            self._tags.setdefault(_repo(comp.image), set()).add(_tag(comp.image))
        self._by_basename = {comp.image.rsplit("/", 1)[-1]: comp.image for comp in app.components}
        self._variants: dict[str, Program] = {}
        if app.name == "hotel-reservation":
            geo = app.component("geo")
            # AIOpsLab's misconfig_app fault: a geo build whose baked-in config points at the wrong MongoDB port.
            self._variants["yinfangchen/geo:app3"] = Program(geo, geo.port, (("mongodb-geo", "mongodb-geo:27777"),))

    def pull(self, image: str, pull_secrets: list[str], get_secret: Any) -> PullResult:
        """Whether a node can pull `image` with the pod's imagePullSecrets (`get_secret(name)`: the Secret object,
        or None when it does not exist)."""
        for host in UNRESOLVABLE_REGISTRIES:
            if image.startswith(host):
                registry = host.rstrip("/")
                return PullResult(False, "ErrImagePull", (
                    f'Failed to pull image "{image}": failed to pull and unpack image "{image}": failed to resolve '
                    f'reference "{image}": failed to do request: Head "https://{registry}/v2/": dial tcp: lookup '
                    f"{registry} on 127.0.0.53:53: no such host"))
        if image.startswith(PRIVATE_REGISTRY):
            public = self._public_twin(image)
            host = PRIVATE_REGISTRY.split("/", 1)[0]
            logins = [login for login in (registry_login(get_secret(s), host) for s in pull_secrets) if login]
            if PRIVATE_REGISTRY_LOGIN not in logins:
                # No credentials for the host: an anonymous token, which a private repository refuses (403); wrong
                # ones: the token endpoint refuses the login itself (401).
                repo = image.split("/", 1)[1].rsplit(":", 1)[0]
                kind, status = ("oauth", "401 Unauthorized") if logins else ("anonymous", "403 Forbidden")
                return PullResult(False, "ErrImagePull", (
                    f'Failed to pull image "{image}": failed to pull and unpack image "{image}": failed to resolve '
                    f'reference "{image}": failed to authorize: failed to fetch {kind} token: unexpected status '
                    f"from GET request to https://{host}/token?scope=repository%3A{repo.replace('/', '%2F')}"
                    f"%3Apull&service={host}: {status}"))
            image = public
        if image in self._variants:
            return PullResult(True)
        repo, tag = _repo(image), _tag(image)
        if repo in self._tags and tag in self._tags[repo]:
            return PullResult(True)
        if repo not in self._tags and _qualified(image).startswith("docker.io/"):
            # Docker Hub does not say whether a repository exists to an anonymous client: it refuses the token.
            return PullResult(False, "ErrImagePull", (
                f'Failed to pull image "{image}": failed to pull and unpack image "{_qualified(image)}": failed to '
                f'resolve reference "{_qualified(image)}": pull access denied, repository does not exist or may '
                "require authorization: server message: insufficient_scope: authorization failed"))
        return PullResult(False, "ErrImagePull", (
            f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack image '
            f'"{_qualified(image)}": failed to resolve reference "{_qualified(image)}": '
            f"{_qualified(image)}: not found"))

    def program(self, image: str, command: list[str] | None, env: dict[str, str],
                args: list[str] | None = None) -> Program | str:
        """The program a container runs, or the runtime's error text when the binary does not exist. An image
        that holds several programs picks one by `command`, else by its entrypoint's first argument."""
        if image.startswith(PRIVATE_REGISTRY):
            image = self._public_twin(image)
        if image in self._variants:
            return self._variants[image]
        binaries = self._binaries.get(_repo(image))
        binary = command[0] if command else args[0] if args else ""
        if binaries is not None:
            comp = binaries.get(binary)
        else:
            comp = self._by_image.get(image) or self._by_image.get(_untagged_match(image, self._by_image))
        if comp is None:
            return (f'failed to create containerd task: failed to create shim task: OCI runtime create failed: '
                    f'runc create failed: unable to start container process: exec: "{binary}": executable file '
                    f"not found in $PATH: unknown")
        port = comp.container_port
        if "PORT" in env and comp.log_style == "boutique":
            try:
                port = int(env["PORT"])
            except ValueError:
                port = None
        return Program(comp, port)

    def _public_twin(self, image: str) -> str:
        """A private-registry copy (`ghcr.io/aoi-private/adservice:v0.10.3`) runs the same program as the public
        image of the same name; an unknown name stays unresolved and fails to pull as "not found"."""
        return self._by_basename.get(image.rsplit("/", 1)[-1], image)


def resolve_address(program: Program, call: Call, env: dict[str, str], namespace: str, default_port: int) -> str:
    """The host:port a program dials for a call: baked-in override, then env var, then the default address."""
    for target, address in program.address_overrides:
        if target == call.target:
            return address
    if call.env and call.env in env:
        return env[call.env]
    return f"{call.target}:{default_port}"


def with_behaviour(program: Program, **changes: Any) -> Program:
    return replace(program, behaviour=replace(program.behaviour, **changes))


def _repo(image: str) -> str:
    return image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image


def _tag(image: str) -> str:
    return image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else "latest"


def _untagged_match(image: str, known: dict[str, Component]) -> str:
    """A known image of the same repository when only the tag differs (another pullable tag of the same image)."""
    repo = _repo(image)
    return next((ref for ref in known if _repo(ref) == repo and "demo:" not in ref), "")


def _qualified(image: str) -> str:
    first = image.split("/", 1)[0]
    if "." in first or ":" in first:
        return image if ":" in image.rsplit("/", 1)[-1] else image + ":latest"
    ref = image if ":" in image.rsplit("/", 1)[-1] else image + ":latest"
    return f"docker.io/{ref}" if "/" in image else f"docker.io/library/{ref}"
