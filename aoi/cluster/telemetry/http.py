"""One GET-only JSON request helper shared by the telemetry clients: a timeout on every call, errors that name the
service, the URL and what to configure. There is deliberately no POST: these clients only ever read."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from aoi.cluster.interface import ClusterError, InvalidArgumentError


def get_json(service: str, base_url: str, path: str, params: dict[str, Any] | None = None, *,
             timeout_s: float = 10.0) -> Any:
    """GET `base_url + path?params` and decode the JSON answer.

    Raises:
        InvalidArgumentError: the server answered 400 (a bad query; its message is included).
        ClusterError: the server is unreachable, timed out, or answered an error or something other than JSON.
    """
    query = urllib.parse.urlencode([(k, v) for k, v in (params or {}).items() if v is not None], doseq=True)
    url = base_url.rstrip("/") + path + (f"?{query}" if query else "")
    request = urllib.request.Request(url, headers={"Accept": "application/json"}, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:500]
        with contextlib.suppress(ValueError, AttributeError):
            detail = str(json.loads(detail).get("error") or detail)
        error = InvalidArgumentError if exc.code in (400, 422) else ClusterError
        raise error(f"{service} at {base_url} answered HTTP {exc.code} for {path}: {detail}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ClusterError(f"cannot reach {service} at {base_url} ({reason}); check its url in the AOI config "
                           f"file (`aoi doctor` shows what was found)") from exc
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ClusterError(f"{service} at {base_url} answered {path} with something other than JSON") from exc
