"""The public /v1 API, authenticated with X-API-Key."""

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flintt_pipeline.sandbox.listing import JsonResponse, list_response
from flintt_pipeline.sandbox.state import SandboxState
from flintt_pipeline.sandbox.validation import ValidationFailedError, parse_body, validate
from flintt_pipeline.sandbox.workspace import UnknownRecordError

Handler = Callable[[Request], Awaitable[Response]]


def not_found(what: str) -> JsonResponse:
    return JsonResponse({"detail": f"{what} not found"}, status_code=404)


def invalid(error: ValidationFailedError) -> JsonResponse:
    return JsonResponse(error.body(), status_code=422)


def v1_routes(state: SandboxState) -> list[Route]:
    workspace = state.workspace

    def keyed(handler: Handler) -> Handler:
        """401 unless X-API-Key is a live key; 422 for invalid input; 404 for unknown ids."""

        async def guarded(request: Request) -> Response:
            if not state.keys.authenticate(request.headers.get("x-api-key")):
                return JsonResponse({"detail": "Invalid or missing API key"}, status_code=401)
            try:
                return await handler(request)
            except ValidationFailedError as error:
                return invalid(error)
            except UnknownRecordError:
                return not_found(request.url.path.split("/")[2].rstrip("s").capitalize())

        return guarded

    def list_stream(stream: str) -> Handler:
        async def handler(request: Request) -> Response:
            settings = state.settings
            return list_response(
                workspace.stores[stream].snapshot(),
                params=request.query_params,
                settings=settings,
                paged=settings.page_all_lists,
            )

        return handler

    def create_in(stream: str) -> Handler:
        async def handler(request: Request) -> Response:
            fields = validate(stream, parse_body(await request.body()), partial=False)
            if stream == "prospects":
                check_company(fields["company_id"])
            return JsonResponse(workspace.create(stream, fields), status_code=201)

        return handler

    def check_company(company_id: str | None) -> None:
        if company_id is not None and company_id not in workspace.stores["companies"]:
            raise ValidationFailedError(
                location="body", field="company_id", message="no company with this id"
            )

    async def signal(request: Request) -> Response:
        signal_id = request.path_params["id"]
        if request.method == "GET":
            return JsonResponse(workspace.get("signals", signal_id))
        if request.method == "DELETE":
            workspace.delete("signals", signal_id)
            return Response(status_code=204)
        workspace.get("signals", signal_id)
        changes = validate("signals", parse_body(await request.body()), partial=True)
        return JsonResponse(workspace.update("signals", signal_id, changes))

    async def runs(request: Request) -> Response:
        settings = state.settings
        signal_id = request.query_params.get("signal_id")
        offset = request.query_params.get("offset", "0")
        # Drift: runs appear at the top while a client pages, as on a busy workspace.
        if settings.drift_runs and offset.isdigit() and int(offset) > 0:
            signals = workspace.stores["signals"]
            pool = [signal_id] if signal_id and signal_id in signals else signals.ids()
            for index in range(settings.drift_runs if pool else 0):
                workspace.trigger(pool[(len(workspace.stores["runs"]) + index) % len(pool)])
        items = (
            workspace.runs_of(signal_id)
            if signal_id is not None
            else workspace.stores["runs"].snapshot()
        )
        return list_response(items, params=request.query_params, settings=settings, paged=True)

    async def run(request: Request) -> Response:
        return JsonResponse(workspace.run_detail(request.path_params["id"]))

    return [
        Route("/v1/companies", keyed(list_stream("companies")), methods=["GET"]),
        Route("/v1/companies", keyed(create_in("companies")), methods=["POST"]),
        Route("/v1/prospects", keyed(list_stream("prospects")), methods=["GET"]),
        Route("/v1/prospects", keyed(create_in("prospects")), methods=["POST"]),
        Route("/v1/signals", keyed(list_stream("signals")), methods=["GET"]),
        Route("/v1/signals", keyed(create_in("signals")), methods=["POST"]),
        Route("/v1/signals/{id}", keyed(signal), methods=["GET", "PATCH", "PUT", "DELETE"]),
        Route("/v1/runs", keyed(runs), methods=["GET"]),
        Route("/v1/runs/{id}", keyed(run), methods=["GET"]),
    ]
