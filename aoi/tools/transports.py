"""Serving an MCP server over stdio (IDEs) or streamable HTTP (behind a bearer token, never without one)."""

from __future__ import annotations

import hmac
import secrets
import string
from typing import Any

from mcp.server.mcpserver import MCPServer

MIN_TOKEN_LENGTH = 32
"""`secrets.token_urlsafe(32)` (what `generate_token` returns) is 43 characters; 32 is the floor."""
_MIN_DISTINCT = 10
"""A token of few distinct characters (`aaaa…`, 32 spaces, `abab…`) is guessable whatever its length."""
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "-._~+/=")
"""RFC 6750's b64token alphabet: what can travel in an `Authorization` header unchanged."""


def generate_token() -> str:
    """A fresh bearer token with 32 bytes (256 bits) of entropy."""
    return secrets.token_urlsafe(32)


def check_token(token: str | None) -> str:
    """The token, if it is fit to guard an HTTP server.

    Raises:
        ValueError: no token, shorter than `MIN_TOKEN_LENGTH`, characters outside RFC 6750's token alphabet
            (spaces included), or too few distinct characters to hold 32 bytes of entropy.
    """
    hint = (f"the HTTP transport needs an auth token of at least {MIN_TOKEN_LENGTH} random characters (--token or "
            f"AOI_MCP_TOKEN; e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'); refusing to start "
            f"an open server")
    if not token or len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(hint)
    if not set(token) <= _TOKEN_CHARS:
        raise ValueError(f"the auth token may hold only letters, digits and -._~+/= ; {hint}")
    if len(set(token)) < _MIN_DISTINCT:
        raise ValueError(f"the auth token is too repetitive to be secret; {hint}")
    return token


class BearerTokenMiddleware:
    """ASGI middleware: every HTTP or WebSocket connection must carry `Authorization: Bearer <token>`.

    The scheme is matched case-insensitively (RFC 7235) and the token in constant time over its full length. Any
    other scope type except `lifespan` (the server's own start and stop, which carries no request) is refused.
    """

    def __init__(self, app: Any, token: str) -> None:
        self._app = app
        self._expected = check_token(token).encode()

    def _authorized(self, scope: dict[str, Any]) -> bool:
        values = [v for k, v in scope.get("headers") or [] if k.lower() == b"authorization"]
        if len(values) != 1:
            return False
        scheme, _, given = values[0].strip().partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self._expected)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope.get("type")
        if kind == "lifespan":
            await self._app(scope, receive, send)
            return
        if kind in ("http", "websocket") and self._authorized(scope):
            await self._app(scope, receive, send)
            return
        if kind == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if kind == "http":
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"text/plain"), (b"www-authenticate", b"Bearer")]})
            await send({"type": "http.response.body", "body": b"missing or wrong bearer token\n"})
        # any other scope type is dropped unanswered: nothing reaches the app unchecked


def http_app(server: MCPServer, token: str | None, host: str = "127.0.0.1") -> Any:
    """The streamable-HTTP ASGI app wrapped in bearer-token auth.

    Raises:
        ValueError: no token, or one unfit to guard a server (see `check_token`) — HTTP never runs open.
    """
    check_token(token)
    return BearerTokenMiddleware(server.streamable_http_app(host=host), token)  # type: ignore[arg-type]


def serve(server: MCPServer, transport: str, *, host: str = "127.0.0.1", port: int = 8765,
          token: str | None = None) -> None:
    if transport == "stdio":
        server.run("stdio")
        return
    app = http_app(server, token, host)
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning")
