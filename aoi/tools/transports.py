"""Serving an MCP server over stdio (IDEs) or streamable HTTP (behind a bearer token, never without one)."""

from __future__ import annotations

import hmac
from typing import Any

from mcp.server.mcpserver import MCPServer

MIN_TOKEN_LENGTH = 16


class BearerTokenMiddleware:
    """ASGI middleware: every HTTP request must carry `Authorization: Bearer <token>`."""

    def __init__(self, app: Any, token: str) -> None:
        self._app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self._expected):
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"text/plain"), (b"www-authenticate", b"Bearer")]})
                await send({"type": "http.response.body", "body": b"missing or wrong bearer token\n"})
                return
        await self._app(scope, receive, send)


def http_app(server: MCPServer, token: str | None, host: str = "127.0.0.1") -> Any:
    """The streamable-HTTP ASGI app wrapped in bearer-token auth.

    Raises:
        ValueError: no token, or one shorter than 16 characters — the HTTP transport never runs open.
    """
    if not token or len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(f"the HTTP transport needs an auth token of at least {MIN_TOKEN_LENGTH} characters "
                         f"(--token or AOI_MCP_TOKEN); refusing to start an open server")
    return BearerTokenMiddleware(server.streamable_http_app(host=host), token)


def serve(server: MCPServer, transport: str, *, host: str = "127.0.0.1", port: int = 8765,
          token: str | None = None) -> None:
    if transport == "stdio":
        server.run("stdio")
        return
    app = http_app(server, token, host)
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning")
