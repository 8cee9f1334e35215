"""Serving the MCP server over the SDK's streamable HTTP transport, behind a bearer token.

The token is compared in constant time, and nothing about it (or the request) is echoed back.
"""

import hmac
import sys

import uvicorn
from mcp.server.mcpserver import MCPServer
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

TOKEN_ENV = "FLINTT_MCP_TOKEN"
MCP_PATH = "/mcp"


class BearerTokenGate:
    """ASGI middleware: an HTTP request without `Authorization: Bearer <token>` gets 401."""

    def __init__(self, app: ASGIApp, *, token: str) -> None:
        self._app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._allowed(scope):
            response = JSONResponse(
                {"error": f"unauthorized: send Authorization: Bearer <{TOKEN_ENV}>"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        await self._app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        supplied = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                supplied = value
                break
        return hmac.compare_digest(supplied, self._expected)


def serve_http(server: MCPServer, *, host: str, port: int, token: str) -> None:
    """Serve until interrupted; the address goes to stderr."""
    app = BearerTokenGate(server.streamable_http_app(host=host), token=token)
    print(f"serving MCP at http://{host}:{port}{MCP_PATH} (bearer token required)", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning")
