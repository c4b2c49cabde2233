"""Handlers of the Open Inference Protocol V2 REST API (KServe, Triton, MLServer clients).

The V2 model name is the endpoint; ``versions/{v}`` picks the route serving model
version ``v`` (the primary or the canary), without it the endpoint routes as usual.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from driftloop.errors import DriftloopError, InvalidInputError
from driftloop.serving._http import REQUEST_ID, error_response, json_response, read_body, request_id
from driftloop.serving._oip import (
    HEADER_LENGTH,
    InferRequest,
    datatype_of,
    parse_infer_request,
    tensor_columns,
)
from driftloop.serving._oip_render import render_infer_response
from driftloop.serving._predict import Answer, sticky_value
from driftloop.serving._runtime import ServedModel
from driftloop.serving._server_state import ServerState

OUTPUTS = ("predict", "predict_proba")


def _version(request: Request) -> int | None:
    raw = request.path_params.get("version")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidInputError(f"model version must be a number from 1, got {raw!r}")
    return int(raw)


async def server_metadata(request: Request) -> Response:
    from importlib.metadata import version

    return json_response(
        {"name": "driftloop", "version": version("driftloop"), "extensions": ["binary_tensor_data"]}
    )


async def live(request: Request) -> Response:
    return json_response({"live": True})


async def ready(request: Request) -> Response:
    # Ready when every endpoint this server knows of serves a verified deployment.
    runtime = request.app.state.server.runtime
    is_ready = all(name in runtime.states for name in runtime.problems)
    return json_response({"ready": is_ready}, 200 if is_ready else 503)


def _metadata(name: str, model: ServedModel, versions: list[str]) -> dict[str, Any]:
    signature = model.signature
    inputs = [
        {"name": c.name, "datatype": datatype_of(c.type), "shape": [-1, 1]}
        for c in (signature.inputs if signature else ())
    ]
    outputs: list[dict[str, Any]] = [
        {"name": "predict", "datatype": _prediction_datatype(model), "shape": [-1]}
    ]
    if model.classes is not None:
        outputs.append(
            {"name": "predict_proba", "datatype": "FP64", "shape": [-1, len(model.classes)]}
        )
    return {
        "name": name,
        "versions": versions,
        "platform": f"driftloop_{model.runtime}",
        "inputs": inputs,
        "outputs": outputs,
    }


def _prediction_datatype(model: ServedModel) -> str:
    classes = model.classes
    if classes is None:
        return "FP64"  # a regressor's numbers
    if all(isinstance(c, bool) for c in classes):
        return "BOOL"
    return "INT64" if all(isinstance(c, int) for c in classes) else "BYTES"


async def model_metadata(request: Request) -> Response:
    state: ServerState = request.app.state.server
    name = request.path_params["name"]
    try:
        version = _version(request)
        endpoint = state.predictor.runtime.endpoint(name)
        deployment = endpoint.deployment
        route = deployment.primary
        if version is not None:
            route = state.predictor.pick(endpoint, None, version)
        versions = [str(r.model_version) for r in (deployment.primary, deployment.canary) if r]
        body = _metadata(name, endpoint.model(route), versions)
    except DriftloopError as exc:
        return error_response(exc)
    return json_response(body)


async def model_ready(request: Request) -> Response:
    state: ServerState = request.app.state.server
    name = request.path_params["name"]
    try:
        version = _version(request)
        state.predictor.pick(state.predictor.runtime.endpoint(name), None, version)
    except DriftloopError as exc:
        response = error_response(exc)
        if response.status_code == 503:  # the spec: any 4xx means "not ready"
            return json_response({"name": name, "ready": False, "error": exc.message}, 400)
        return response
    return json_response({"name": name, "ready": True})


def _builder(request: InferRequest) -> Any:
    def build(model: ServedModel) -> tuple[dict[str, np.ndarray], int]:
        return tensor_columns(model.signature, request.inputs)

    return build


def _outputs(request: InferRequest, answer: Answer) -> list[tuple[str, np.ndarray, bool]]:
    available = {"predict": answer.output.prediction}
    if answer.output.proba is not None:
        available["predict_proba"] = answer.output.proba
    wanted = request.outputs or tuple((n, request.binary_output) for n in available)
    chosen = []
    for name, binary in wanted:
        if name not in available:
            raise InvalidInputError(
                f"unknown output '{name}'; this model gives {', '.join(available)}"
            )
        chosen.append((name, available[name], binary or request.binary_output))
    return chosen


def _check_target(parsed: InferRequest, name: str, version: int | None) -> None:
    """The body's ``model_name`` / ``model_version``, when given, must name the path's."""
    if parsed.model_name is not None and parsed.model_name != name:
        raise InvalidInputError(
            f"the body's model_name {parsed.model_name!r} is not the model in the path "
            f"({name!r}); send it to /v2/models/{parsed.model_name}/infer, or drop model_name"
        )
    given = parsed.model_version
    if given is not None and given != "" and given != (str(version) if version else None):
        where = f"/v2/models/{name}/versions/{given}/infer"
        path = f"version {version}" if version is not None else "no version"
        raise InvalidInputError(
            f"the body's model_version {given!r} does not match the path ({path}); send it "
            f"to {where}, or drop model_version"
        )


def _first_value(request: InferRequest, column: str) -> Any:
    for tensor in request.inputs:
        if tensor.name == column and tensor.data.size:
            return tensor.data.reshape(-1)[0]
    return None


async def infer(request: Request) -> Response:
    state: ServerState = request.app.state.server
    predictor = state.predictor
    name = request.path_params["name"]
    rid = request_id(request)
    route = None
    try:
        version = _version(request)
        endpoint = predictor.runtime.endpoint(name)  # the one snapshot this request uses
        body = await read_body(
            request, state.settings.max_body_bytes, state.settings.body_timeout_s
        )
        parsed = parse_infer_request(body, request.headers.get(HEADER_LENGTH))
        _check_target(parsed, name, version)
        rid = parsed.id or rid
        key = sticky_value(endpoint.deployment, request.headers, lambda c: _first_value(parsed, c))
        route = predictor.pick(endpoint, key, version)
        build = _builder(parsed)
        answer = await predictor.answer(endpoint, route, build, rid)
        content, header_length = render_infer_response(
            name,
            str(route.model_version),
            rid,
            _outputs(parsed, answer),
            {"route": route.kind.value},
        )
    except DriftloopError as exc:
        if name in predictor.runtime.states:  # unknown names are not worth a label set
            predictor.refused(name, route, exc)
        return error_response(exc, rid)
    headers = {REQUEST_ID: rid}
    media = "application/json"
    if header_length is not None:
        headers[HEADER_LENGTH] = str(header_length)
        media = "application/octet-stream"
    response = Response(content, 200, headers, media_type=media)
    if endpoint.deployment.shadow is not None and version is None:
        response.background = BackgroundTask(predictor.shadow, endpoint, build, rid)
    return response
