"""The servers over real transports: the README's IDE config starts a working stdio probe; HTTP never runs open."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner
from mcp import Client, StdioServerParameters

from aoi.cli import main
from aoi.tools.transports import BearerTokenMiddleware, check_token, generate_token, http_app

TOKEN = "Zq9-kR2vX8mP4tL7wN1yB6cH3jF5gD0sA_eU"
README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_mcp_json() -> dict[str, Any]:
    match = re.search(r"<!-- mcp-json -->\s*```json\n(.*?)```", README.read_text(), re.S)
    assert match, "README has no marked .mcp.json snippet"
    return json.loads(match.group(1))


def _aoi_executable() -> str:
    found = shutil.which("aoi") or str(Path(sys.executable).parent / "aoi")
    assert Path(found).exists()
    return found


def test_the_readme_ide_config_starts_a_probe_that_lists_and_answers(tmp_path: Path) -> None:
    config = _readme_mcp_json()["mcpServers"]["aoi-probe"]
    assert config["command"] == "aoi"
    params = StdioServerParameters(command=_aoi_executable(), args=config["args"],
                                   env={**os.environ, "AOI_HOME": str(tmp_path)})

    async def go() -> tuple[set[str], str]:
        async with Client(params) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            result = await client.call_tool("get_resources", {"resource_type": "pods"})
            return tools, result.content[0].text

    tools, pods = anyio.run(go)
    assert "get_resources" in tools and "scale_workload" not in tools
    assert pods.startswith("NAME ") and "Running" in pods


def test_the_readme_config_names_both_servers_with_the_same_cluster() -> None:
    servers = _readme_mcp_json()["mcpServers"]
    probe, executor = servers["aoi-probe"]["args"], servers["aoi-executor"]["args"]
    assert probe[:2] == ["mcp", "probe"] and executor[:2] == ["mcp", "executor"]
    assert probe[probe.index("--cluster") + 1] == executor[executor.index("--cluster") + 1]


@pytest.mark.parametrize("token", [None, "", "short", "t" * 24, " " * 40, "ab" * 20, "x" * 31 + "y",
                                   "Zq9" + "abcdefghijklmnopqrstuvwxyz" + " spaced",
                                   "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o\n5"])
def test_the_http_transport_refuses_to_start_without_a_real_token(token: str | None) -> None:
    from aoi.tools.probe import ProbeServer

    with pytest.raises(ValueError, match="refusing to start an open server"):
        http_app(ProbeServer("x"), token)


def test_aoi_mcp_http_without_a_token_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AOI_MCP_TOKEN", raising=False)
    result = CliRunner().invoke(main, ["mcp", "probe", "--cluster", "sim:online-boutique", "--transport", "http"])
    assert result.exit_code == 2
    assert "refusing to start an open server" in result.output


def test_requests_without_the_bearer_token_get_401_and_never_reach_the_app() -> None:
    reached: list[dict] = []

    async def app(scope: dict, receive: Any, send: Any) -> None:
        reached.append(scope)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guarded = BearerTokenMiddleware(app, TOKEN)

    async def request(headers: list[tuple[bytes, bytes]]) -> int:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        await guarded({"type": "http", "headers": headers}, None, send)
        return sent[0]["status"]

    assert anyio.run(request, []) == 401
    assert anyio.run(request, [(b"authorization", b"Bearer wrong")]) == 401
    assert anyio.run(request, [(b"authorization", b"Bearer " + TOKEN.encode()[:-1])]) == 401
    assert anyio.run(request, [(b"authorization", b"Bearer " + TOKEN.encode() + b"x")]) == 401
    assert anyio.run(request, [(b"authorization", b"Basic " + TOKEN.encode())]) == 401
    assert anyio.run(request, [(b"authorization", b"Bearer " + b" " * 16)]) == 401
    assert reached == []
    assert anyio.run(request, [(b"authorization", b"Bearer " + TOKEN.encode())]) == 200
    assert anyio.run(request, [(b"authorization", b"bearer " + TOKEN.encode())]) == 200  # RFC 7235: any case
    assert anyio.run(request, [(b"Authorization", b"BEARER " + TOKEN.encode())]) == 200
    assert len(reached) == 3


def test_a_websocket_or_unknown_scope_is_checked_too_and_lifespan_passes() -> None:
    reached: list[str] = []

    async def app(scope: dict, receive: Any, send: Any) -> None:
        reached.append(scope["type"])

    guarded = BearerTokenMiddleware(app, TOKEN)

    async def connect(scope: dict) -> list[dict]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        await guarded(scope, None, send)
        return sent

    assert anyio.run(connect, {"type": "websocket", "headers": []}) == [{"type": "websocket.close", "code": 1008}]
    assert anyio.run(connect, {"type": "gizmo", "headers": [(b"authorization", b"Bearer " + TOKEN.encode())]}) == []
    assert reached == []
    anyio.run(connect, {"type": "websocket", "headers": [(b"authorization", b"Bearer " + TOKEN.encode())]})
    anyio.run(connect, {"type": "lifespan"})
    assert reached == ["websocket", "lifespan"]


def test_a_generated_token_is_accepted_and_holds_32_bytes() -> None:
    token = generate_token()
    assert check_token(token) == token and len(token) >= 43


def test_an_unsupported_cluster_spec_is_one_error_line_naming_the_forms() -> None:
    """A bad spec is exit 1 with one `Error:` line, as in `aoi triage` and `aoi eval` (issue 20)."""
    result = CliRunner().invoke(main, ["mcp", "probe", "--cluster", "gke:prod"])
    assert result.exit_code == 1 and "sim:online-boutique" in result.output and "Usage:" not in result.output
    result = CliRunner().invoke(main, ["mcp", "probe", "--cluster", "sim:online-boutique/gremlins"])
    assert result.exit_code == 1 and "unknown fault 'gremlins'" in result.output
