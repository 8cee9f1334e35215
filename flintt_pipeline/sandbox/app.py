"""Assembles one sandbox: its state, its three route groups and the fault gateway in front."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from flintt_pipeline.sandbox.api import v1_routes
from flintt_pipeline.sandbox.config import SandboxConfig
from flintt_pipeline.sandbox.control import control_routes
from flintt_pipeline.sandbox.faults import FaultGateway
from flintt_pipeline.sandbox.listing import JsonResponse
from flintt_pipeline.sandbox.management import management_routes
from flintt_pipeline.sandbox.state import SandboxState


class Sandbox:
    """A built sandbox: `app` to serve, plus the credentials it was born with."""

    def __init__(self, *, config: SandboxConfig) -> None:
        self.state = SandboxState(config=config)
        self.api_key = self.state.api_key
        self.management_token = self.state.management_token

        @asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            await self.state.deliverer.start()
            try:
                yield
            finally:
                await self.state.deliverer.aclose()

        async def json_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, HTTPException)
            return JsonResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )

        starlette = Starlette(
            routes=[
                *v1_routes(self.state),
                *management_routes(self.state),
                *control_routes(self.state),
            ],
            lifespan=lifespan,
            exception_handlers={404: json_error, 405: json_error},
        )
        self.app = FaultGateway(starlette, state=self.state)
