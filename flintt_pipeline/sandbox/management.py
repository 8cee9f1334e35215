"""The management API under /api, authenticated with `Authorization: Bearer <JWT>`: the API key
(single-key variant of the reference and the /api/api-keys collection variant) and outbound
webhooks."""

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flintt_pipeline.sandbox.api import invalid, not_found
from flintt_pipeline.sandbox.auth import ApiKey
from flintt_pipeline.sandbox.listing import JsonResponse
from flintt_pipeline.sandbox.state import SandboxState
from flintt_pipeline.sandbox.validation import ValidationFailedError, parse_body, validate

Handler = Callable[[Request], Awaitable[Response]]


def _key_answer(key: ApiKey, raw_key: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": key.id,
        "key_prefix": key.key_prefix,
        "last_used_at": key.last_used_at,
        "created_at": key.created_at,
    }
    if raw_key is not None:
        answer["raw_key"] = raw_key
    return answer


def management_routes(state: SandboxState) -> list[Route]:
    keys, hooks = state.keys, state.webhooks

    def bearer(handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            if not state.jwt.verify(request.headers.get("authorization")):
                return JsonResponse({"detail": "Invalid or expired token"}, status_code=401)
            try:
                return await handler(request)
            except ValidationFailedError as error:
                return invalid(error)

        return guarded

    async def api_key(request: Request) -> Response:
        if keys.primary is not None:
            return JsonResponse(_key_answer(keys.primary))
        return JsonResponse(_key_answer(*keys.issue()))

    async def regenerate(request: Request) -> Response:
        return JsonResponse(_key_answer(*keys.regenerate()))

    async def api_keys(request: Request) -> Response:
        if request.method == "GET":
            return JsonResponse([key.public() for key in keys.all()])
        body = validate("api_keys", parse_body(await request.body()), partial=False)
        key, raw = keys.issue(name=body["name"], primary=False)
        return JsonResponse({**key.public(), "raw_key": raw}, status_code=201)

    async def revoke_key(request: Request) -> Response:
        if not keys.revoke(request.path_params["id"]):
            return not_found("API key")
        return Response(status_code=204)

    async def webhooks(request: Request) -> Response:
        if request.method == "GET":
            return JsonResponse([hook.public() for hook in hooks.all()])
        hook = hooks.create(validate("webhooks", parse_body(await request.body()), partial=False))
        return JsonResponse({**hook.public(), "auth_token": hook.auth_token}, status_code=201)

    async def webhook(request: Request) -> Response:
        hook_id = request.path_params["id"]
        hook = hooks.get(hook_id)
        if hook is None:
            return not_found("Webhook endpoint")
        if request.method == "DELETE":
            hooks.delete(hook_id)
            return Response(status_code=204)
        if request.method in ("PATCH", "PUT"):
            changes = validate("webhooks", parse_body(await request.body()), partial=True)
            hooks.update(hook_id, changes)
        return JsonResponse(hook.public())

    return [
        Route("/api/api-key", bearer(api_key), methods=["GET"]),
        Route("/api/api-key/regenerate", bearer(regenerate), methods=["POST"]),
        Route("/api/api-keys", bearer(api_keys), methods=["GET", "POST"]),
        Route("/api/api-keys/{id}", bearer(revoke_key), methods=["DELETE"]),
        Route("/api/outbound-webhooks", bearer(webhooks), methods=["GET", "POST"]),
        Route(
            "/api/outbound-webhooks/{id}",
            bearer(webhook),
            methods=["GET", "PATCH", "PUT", "DELETE"],
        ),
    ]
