"""Startup: the pod is scheduled but its container never starts (or dies at once) for a reason outside the app.

Kubernetes behaviour encoded here:

* The kubelet's image pull reports containerd's error: `Failed to pull image "<img>": ...`, then `ErrImagePull`
  and `ImagePullBackOff`. The error says why: a registry host that does not resolve (`dial tcp: lookup <host>:
  no such host`), a tag or digest that does not exist (`not found`, `manifest unknown`), or credentials missing or
  refused (`authorization failed`, `401`/`403`, `pull access denied`, `FailedToRetrieveImagePullSecret`).
  Docker Hub refuses an anonymous pull of a repository that does not exist exactly as one of a private repository
  (`repository does not exist or may require authorization`): a repository named almost like one the other
  workloads pull, by a pod that presents no pull secret, is misspelt; otherwise credentials are the likelier cause.
* `CreateContainerConfigError`: a referenced ConfigMap, Secret or key does not exist.
* A container that cannot write a mounted volume (wrong owner, read-only) exits with `permission denied` on a
  path under the mount in its log, and crash-loops.
"""

from __future__ import annotations

import difflib
import re

from aoi.diagnosis.analyzers.common import finding, is_current, newest_first, service_object
from aoi.diagnosis.describe import parse_pod
from aoi.diagnosis.findings import Finding
from aoi.diagnosis.messages import image_pull_cause
from aoi.diagnosis.reads import Reads, workload_of

PULL_CAUSES = {"dns": "image_registry_dns_failure", "not_found": "incorrect_image_reference",
               "auth": "missing_image_pull_secret"}
_PULL_STATES = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")
_CRASH_STATES = ("CrashLoopBackOff", "Error", "RunContainerError", "CreateContainerError")


def image_pull(reads: Reads) -> list[Finding]:
    """Pods that cannot pull their image, classified by the pull error containerd returned."""
    findings = []
    services = reads.services()
    failures: dict[str, list] = {}
    for event in newest_first(reads.events()):
        text = event.message
        if event.reason in ("Failed", "ErrImagePull", "FailedToRetrieveImagePullSecret") and (
                "pull" in text.lower() or "image" in text.lower()) and "Error: " not in text[:7]:
            workload = workload_of(event.name, services)
            if workload:
                failures.setdefault(workload, []).append(event)
    stuck = {p.workload: p for p in reads.pods() if p.workload and p.status in _PULL_STATES}
    for workload in list(dict.fromkeys([*stuck, *failures])):
        events = failures.get(workload, [])
        current = [e for e in events if is_current(reads, e)]
        evidence = [(e.line, reads.events_label()) for e in (current or events)[:2]]
        messages = [e.message for e in (current or events)]
        pod = stuck.get(workload)
        if pod is not None:
            details = parse_pod(reads.describe("pods", pod.name) or "")
            source = reads.label("describe_resource", resource_type="pods", name=pod.name)
            extra = [e.message for e in details.events if e.type == "Warning"]
            if details.waiting_message:
                extra.insert(0, details.waiting_message)
            messages = extra + messages
            evidence.insert(0, (f"{pod.name} {pod.status}" + (f": {extra[0]}" if extra else ""), source))
        causes = [image_pull_cause(m) for m in messages]
        if "denied" in causes:
            typo = _misspelt_repository(reads, workload, messages)
            causes = [("not_found" if typo else "auth") if c == "denied" else c for c in causes]
            if typo:
                causes.append("auth")  # a private repository stays possible
        known = [c for c in causes if c in PULL_CAUSES]
        if not known:
            continue
        top = known[0]
        candidates = {PULL_CAUSES[top]: 0.9}
        for other in known[1:]:
            candidates.setdefault(PULL_CAUSES[other], 0.4)
        findings.append(finding("image_pull", service_object(workload), f"pods of {workload} cannot pull their image",
                                evidence, candidates.items(),
                                reads.label("describe_resource", resource_type="pods", name=pod.name) if pod
                                else reads.label("get_app_yaml", service=workload),
                                stale=pod is None and not current))
    return findings


_PULLED = re.compile(r'Failed to pull image "([^"]+)"')


def _repository(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    return image.rsplit(":", 1)[0] if ":" in last else image.split("@", 1)[0]


def _misspelt_repository(reads: Reads, workload: str, messages: list[str]) -> bool:
    """A repository refused as "does not exist or may require authorization" that the pod presents no pull secret
    for, and whose name is a near-miss of a repository the namespace's other Deployments pull: a typo, not a
    private repository."""
    spec = reads.workload(workload)
    if spec is not None and spec.pod_spec.get("imagePullSecrets"):
        return False
    failing = {_repository(m.group(1)) for text in messages for m in _PULLED.finditer(text)}
    running = {_repository(image) for row in reads.table("deployments", wide=True) if row.get("NAME") != workload
               for image in row.get("IMAGES", "").split(",") if image}
    return any(0.85 <= difflib.SequenceMatcher(None, bad, good).ratio() < 1 for bad in failing for good in running)


def container_config(reads: Reads) -> list[Finding]:
    """`CreateContainerConfigError`: the container's env or volume references an object or key that is missing."""
    findings = []
    for pod in reads.pods():
        if pod.workload and pod.status == "CreateContainerConfigError":
            details = parse_pod(reads.describe("pods", pod.name) or "")
            source = reads.label("describe_resource", resource_type="pods", name=pod.name)
            findings.append(finding("container_config", service_object(pod.workload),
                                    f"{pod.name} cannot build its container config",
                                    [(f"{pod.name}: {details.waiting_message or pod.status}", source)],
                                    [("container_config_missing", 0.85)], source))
    return findings


_DENIED = re.compile(r"(?:permission denied|operation not permitted|read-only (?:file system|directory)|EACCES|"
                     r"not writable)", re.I)
"""How programs report a directory they cannot write: libc's strerror texts, and MongoDB's own wording."""
_PATH = re.compile(r"(/[\w./-]+)")


def volume_permission(reads: Reads) -> list[Finding]:
    """Crash-looping containers whose log says a path under one of their mounts cannot be written."""
    findings = []
    for pod in reads.pods():
        if not pod.workload or (pod.status not in _CRASH_STATES and pod.restarts == 0):
            continue
        text = (reads.logs(pod.workload, tail=50) or "") + "\n" + (reads.logs(pod.workload, tail=50, previous=True)
                                                                   or "")
        lines = [ln for ln in text.splitlines() if _DENIED.search(ln)]
        if not lines:
            continue
        details = parse_pod(reads.describe("pods", pod.name) or "")
        mounts = [m for m in details.mounts if not m.startswith("/var/run/secrets")]
        paths = [p for ln in lines for p in _PATH.findall(ln)]
        under_mount = any(p.startswith(m) for p in paths for m in mounts)
        findings.append(finding("volume_permission", service_object(pod.workload),
                                f"{pod.workload} cannot write its volume",
                                [(lines[-1], reads.label("get_logs", target=pod.workload, tail=50)),
                                 *[(f"mount {m}", reads.label("describe_resource", resource_type="pods",
                                                              name=pod.name)) for m in mounts[:1]]],
                                [("volume_mount_permission_denied", 0.9 if under_mount else 0.7)],
                                reads.label("get_app_yaml", service=pod.workload)))
        break
    return findings
