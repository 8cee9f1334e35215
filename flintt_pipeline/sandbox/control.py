"""The control API under /_sandbox (no auth): tests and demos read the truth, change the
workspace, drive runs, and adjust faults. It is never under /v1, so faults never touch it."""

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flintt_pipeline.sandbox.api import invalid, not_found
from flintt_pipeline.sandbox.config import Settings, SettingsError
from flintt_pipeline.sandbox.listing import JsonResponse, list_response
from flintt_pipeline.sandbox.state import SandboxState
from flintt_pipeline.sandbox.validation import ValidationFailedError, parse_body, validate
from flintt_pipeline.sandbox.workspace import (
    EDITABLE_STREAMS,
    STREAMS,
    RunStateError,
    UnknownRecordError,
)

Handler = Callable[[Request], Awaitable[Response]]
DEFAULT_RESULTS = 3


def control_routes(state: SandboxState) -> list[Route]:
    workspace = state.workspace

    def answers(handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            stream = request.path_params.get("stream")
            if stream is not None and stream not in STREAMS:
                return not_found(f"Stream {stream}")
            try:
                return await handler(request)
            except ValidationFailedError as error:
                return invalid(error)
            except SettingsError as error:
                return invalid(
                    ValidationFailedError(location="body", field=error.field, message=error.message)
                )
            except UnknownRecordError as error:
                return not_found(f"Record {error}")
            except RunStateError as error:
                return JsonResponse({"detail": str(error)}, status_code=409)

        return wrapped

    async def truth(request: Request) -> Response:
        stream = request.path_params["what"]
        if stream == "run_results":
            return JsonResponse(workspace.all_run_results())
        if stream not in STREAMS:
            return not_found(f"Stream {stream}")
        return list_response(
            workspace.stores[stream].snapshot(), params={}, settings=Settings(), paged=False
        )

    async def create(request: Request) -> Response:
        stream = request.path_params["stream"]
        if stream not in EDITABLE_STREAMS:
            return not_found(f"Stream {stream}")
        fields = validate(stream, parse_body(await request.body()), partial=False)
        return JsonResponse(workspace.create(stream, fields), status_code=201)

    async def record(request: Request) -> Response:
        stream, record_id = request.path_params["stream"], request.path_params["id"]
        if request.method == "DELETE":
            workspace.delete(stream, record_id)
            return Response(status_code=204)
        if stream not in EDITABLE_STREAMS:
            return not_found(f"Stream {stream}")
        workspace.get(stream, record_id)
        changes = validate(stream, parse_body(await request.body()), partial=True)
        return JsonResponse(workspace.update(stream, record_id, changes))

    async def restore(request: Request) -> Response:
        stream = request.path_params["stream"]
        if stream not in EDITABLE_STREAMS:
            return not_found(f"Stream {stream}")
        return JsonResponse(workspace.restore(stream, request.path_params["id"]))

    async def trigger(request: Request) -> Response:
        return JsonResponse(workspace.trigger(request.path_params["id"]), status_code=201)

    async def move_run(request: Request) -> Response:
        run_id, action = request.path_params["id"], request.path_params["action"]
        if action == "start":
            return JsonResponse(workspace.start(run_id))
        if action == "fail":
            return JsonResponse(workspace.fail(run_id))
        if action != "complete":
            return not_found(f"Action {action}")
        count = parse_body(await request.body()).get("results", DEFAULT_RESULTS)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationFailedError(
                location="body", field="results", message="must be a non-negative integer"
            )
        return JsonResponse(workspace.complete(run_id, results=count))

    async def settings(request: Request) -> Response:
        if request.method == "PATCH":
            state.settings = state.settings.updated(parse_body(await request.body()))
        return JsonResponse(state.settings.as_dict())

    async def requests(request: Request) -> Response:
        if request.method == "POST":
            state.requests.reset()
        fired = {"write_faults_fired": state.write_faults_fired}
        return JsonResponse(state.requests.as_dict() | fired)

    async def deliveries(request: Request) -> Response:
        return JsonResponse(state.deliverer.entries())

    async def token(request: Request) -> Response:
        expires_in = parse_body(await request.body()).get("expires_in", 3600)
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            raise ValidationFailedError(
                location="body", field="expires_in", message="must be a number of seconds"
            )
        return JsonResponse({"token": state.jwt.issue(expires_in=expires_in)})

    return [
        Route("/_sandbox/state/{what}", answers(truth), methods=["GET"]),
        Route("/_sandbox/settings", answers(settings), methods=["GET", "PATCH"]),
        Route("/_sandbox/requests", answers(requests), methods=["GET"]),
        Route("/_sandbox/requests/reset", answers(requests), methods=["POST"]),
        Route("/_sandbox/deliveries", answers(deliveries), methods=["GET"]),
        Route("/_sandbox/tokens", answers(token), methods=["POST"]),
        Route("/_sandbox/signals/{id}/trigger", answers(trigger), methods=["POST"]),
        Route("/_sandbox/runs/{id}/{action}", answers(move_run), methods=["POST"]),
        Route("/_sandbox/{stream}/{id}/restore", answers(restore), methods=["POST"]),
        Route("/_sandbox/{stream}", answers(create), methods=["POST"]),
        Route("/_sandbox/{stream}/{id}", answers(record), methods=["PATCH", "PUT", "DELETE"]),
    ]
