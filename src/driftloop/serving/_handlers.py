"""Handlers of the simple JSON API and of deployment management: parse, call, render."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from driftloop.errors import DriftloopError, InvalidInputError
from driftloop.serving._http import error_response, json_response, read_body, request_id
from driftloop.serving._models import Deployment, DeploymentRoute
from driftloop.serving._predict import Answer, Predictor, sticky_value
from driftloop.serving._runtime import ServedModel
from driftloop.serving._server_state import ServerState
from driftloop.serving._validation import (
    PredictRequest,
    check_columns,
    parse_json,
    parse_predict_body,
)


def _route_json(route: DeploymentRoute | None) -> dict[str, Any] | None:
    if route is None:
        return None
    return {"model": route.model_name, "version": route.model_version, "ref": route.ref}


def deployment_json(d: Deployment) -> dict[str, Any]:
    return {
        "endpoint": d.endpoint,
        "version": d.version,
        "action": d.action,
        "primary": _route_json(d.primary),
        "canary": _route_json(d.canary),
        "canary_weight": d.canary_weight,
        "shadow": _route_json(d.shadow),
        "sticky_key": d.sticky_key,
        "features": list(d.features),
        "max_batch_size": d.batching.max_batch_size,
        "max_batch_wait_ms": d.batching.max_wait_ms,
        "source_version": d.source_version,
        "changes": d.changes,
        "created_by": d.created_by,
        "created_at": d.created_at.isoformat(),
    }


# predict ---------------------------------------------------------------------------


def _answer_json(answer: Answer, rid: str) -> dict[str, Any]:
    output = answer.output
    body: dict[str, Any] = {
        "request_id": rid,
        "endpoint": answer.state.deployment.endpoint,
        "deployment_version": answer.state.deployment.version,
        "model": {"name": answer.route.model_name, "version": answer.route.model_version},
        "route": answer.route.kind.value,
        "predictions": _plain(output.prediction),
    }
    if output.proba is not None and answer.model.classes is not None:
        body["classes"] = answer.model.classes
        body["probabilities"] = np.ascontiguousarray(output.proba)
    return body


def _plain(values: np.ndarray) -> Any:
    # orjson writes numeric arrays itself; object arrays (labels as text) become lists.
    return values.tolist() if values.dtype == object else np.ascontiguousarray(values)


async def _with_entities(
    state: ServerState, deployment: Deployment, parsed: PredictRequest
) -> PredictRequest:
    """Entity keys replaced by their online features (with the keys kept for the model)."""
    if parsed.entities is None:
        return parsed
    if not deployment.features:
        raise InvalidInputError(
            f"endpoint {deployment.endpoint!r} takes no entity keys: its deployment lists no "
            "features (deploy it with --feature VIEW:FEATURE)"
        )
    entities = parsed.entities
    found = await anyio.to_thread.run_sync(
        state.online_features, list(deployment.features), entities
    )
    keys = {k for row in entities for k in row}
    key_columns = {k: [row.get(k) for row in entities] for k in keys}
    columns = {**key_columns, **found, **parsed.columns}
    return PredictRequest(columns, parsed.num_rows, None, frozenset(keys))


def _builder(parsed: PredictRequest) -> Any:
    def build(model: ServedModel) -> tuple[dict[str, np.ndarray], int]:
        columns = parsed.columns
        signature = model.signature
        if parsed.lookup_keys and signature is not None and signature.inputs:
            # Join keys the model does not take were only there to look features up.
            wanted = set(signature.columns)
            columns = {
                k: v for k, v in columns.items() if k in wanted or k not in parsed.lookup_keys
            }
        return check_columns(signature, columns, parsed.num_rows), parsed.num_rows

    return build


async def predict(request: Request) -> Response:
    state: ServerState = request.app.state.server
    predictor: Predictor = state.predictor
    rid = request_id(request)
    name = request.path_params["name"]
    route = None
    try:
        endpoint = predictor.runtime.endpoint(name)  # the one snapshot this request uses
        body = await read_body(
            request, state.settings.max_body_bytes, state.settings.body_timeout_s
        )
        parsed = await _with_entities(
            state, endpoint.deployment, parse_predict_body(parse_json(body))
        )
        key = sticky_value(
            endpoint.deployment,
            request.headers,
            lambda column: (parsed.columns.get(column) or [None])[0],
        )
        route = predictor.pick(endpoint, key)
        build = _builder(parsed)
        answer = await predictor.answer(endpoint, route, build, rid)
    except DriftloopError as exc:
        if name in predictor.runtime.states:  # unknown names are not worth a label set
            predictor.refused(name, route, exc)
        return error_response(exc, rid)
    response = json_response(_answer_json(answer, rid), 200, rid)
    if endpoint.deployment.shadow is not None:
        response.background = BackgroundTask(predictor.shadow, endpoint, build, rid)
    return response


# management ---------------------------------------------------------------------------


class DeploySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    primary: str
    canary: str | None = None
    canary_weight: float = 0.0
    shadow: str | None = None
    sticky_key: str | None = None
    features: list[str] = []
    max_batch_size: int = 1
    max_batch_wait_ms: float = 2.0


class UpdateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    primary: str | None = None
    canary: str | None = None
    canary_weight: float | None = None
    shadow: str | None = None
    sticky_key: str | None = None
    max_batch_size: int | None = None
    max_batch_wait_ms: float | None = None


class RollbackSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_version: int | None = None


def _spec(model: type[BaseModel], body: bytes, allow_empty: bool = False) -> Any:
    if allow_empty and not body.strip():
        return model()
    payload = parse_json(body)
    if not isinstance(payload, dict):
        raise InvalidInputError("the body must be a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidInputError(f"field '{where}': {first['msg']}") from None


def _acting(request: Request, state: ServerState) -> Any:
    user = request.headers.get("x-driftloop-user")
    return state.workspace.acting_as(user).serving if user else state.workspace.serving


async def _change(request: Request, change: Any) -> Response:
    state: ServerState = request.app.state.server
    rid = request_id(request)
    try:
        body = await read_body(
            request, state.settings.max_body_bytes, state.settings.body_timeout_s
        )
        deployment = await anyio.to_thread.run_sync(change, _acting(request, state), body)
        await anyio.to_thread.run_sync(state.runtime.refresh)
    except DriftloopError as exc:
        return error_response(exc, rid)
    return json_response(deployment_json(deployment), 200, rid)


async def put_deployment(request: Request) -> Response:
    name = request.path_params["name"]

    def change(serving: Any, body: bytes) -> Deployment:
        spec: DeploySpec = _spec(DeploySpec, body)
        return serving.deploy(name, **spec.model_dump())  # type: ignore[no-any-return]

    return await _change(request, change)


async def patch_deployment(request: Request) -> Response:
    name = request.path_params["name"]

    def change(serving: Any, body: bytes) -> Deployment:
        spec: UpdateSpec = _spec(UpdateSpec, body)
        return serving.update(name, **spec.model_dump(exclude_unset=True))  # type: ignore[no-any-return]

    return await _change(request, change)


async def promote(request: Request) -> Response:
    name = request.path_params["name"]
    return await _change(request, lambda serving, body: serving.promote_canary(name))


async def rollback(request: Request) -> Response:
    name = request.path_params["name"]

    def change(serving: Any, body: bytes) -> Deployment:
        spec: RollbackSpec = _spec(RollbackSpec, body, allow_empty=True)
        return serving.rollback(name, spec.to_version)  # type: ignore[no-any-return]

    return await _change(request, change)


async def delete_endpoint(request: Request) -> Response:
    """``DELETE /v1/endpoints/{name}``: soft delete; the answer is the lifecycle event."""
    state: ServerState = request.app.state.server
    rid = request_id(request)
    try:
        serving = _acting(request, state)
        event = await anyio.to_thread.run_sync(serving.delete_endpoint, request.path_params["name"])
        await anyio.to_thread.run_sync(state.runtime.refresh)
    except DriftloopError as exc:
        return error_response(exc, rid)
    body = {
        "kind": event.kind,
        "name": event.name,
        "action": event.action,
        "actor": event.actor,
        "at": event.at.isoformat(),
        "reason": event.reason,
    }
    return json_response(body, 200, rid)


async def list_endpoints(request: Request) -> Response:
    state: ServerState = request.app.state.server
    rid = request_id(request)
    return json_response({"endpoints": state.status()}, 200, rid)


async def get_endpoint(request: Request) -> Response:
    state: ServerState = request.app.state.server
    rid = request_id(request)
    try:
        return json_response(state.endpoint_status(request.path_params["name"]), 200, rid)
    except DriftloopError as exc:
        return error_response(exc, rid)


async def history(request: Request) -> Response:
    state: ServerState = request.app.state.server
    rid = request_id(request)
    try:
        found = await anyio.to_thread.run_sync(
            state.workspace.serving.history, request.path_params["name"]
        )
    except DriftloopError as exc:
        return error_response(exc, rid)
    return json_response({"history": [deployment_json(d) for d in found]}, 200, rid)
