"""The server's OpenAPI 3.1 document (served at /openapi.json, browsable at /docs).

Written out rather than generated: the handlers read raw bodies (the binary tensor
extension, bounded reads), so no framework sees their shapes. A schemathesis fuzz of
this document against a live server is part of the test suite.
"""

from __future__ import annotations

from typing import Any

from driftloop.registry import ColumnSpec, ModelSignature

_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
_VERSION = {"name": "version", "in": "path", "required": True, "schema": {"type": "string"}}
_JSON_OK = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}

# Every status a route answers besides 200, as ``_errors.STATUS_BY_ERROR`` gives them; each
# operation lists the ones it can meet (tests/serving/test_openapi.py exercises them all).
# A method a path does not take is a 405 with ``Allow``; a 500 is a bug, never documented.
_REFUSALS = {
    400: "Bad input: the message names the field, row and value, and what is allowed",
    404: "No endpoint (or model version) of that name is served here",
    408: "The request body did not arrive within the server's body timeout",
    409: "The endpoint's state forbids the change (no canary to promote, a version not "
    "ready, a monitor or loop policy using the endpoint, deleted already)",
    413: "The request body is over the server's size limit",
    422: "The model raised on input that passed its signature check",
    503: "Not ready (no verified model loaded), or the metadata store cannot be reached",
}
_READ_BODY = (408, 413)  # any route that reads a body can meet these
_PREDICT = (400, 404, *_READ_BODY, 422, 503)
_CHANGE = (400, 404, *_READ_BODY, 409, 503)


def _refusal(code: int) -> dict[str, Any]:
    return {
        "description": _REFUSALS[code],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _body(ref: str, required: bool = True) -> dict[str, Any]:
    return {
        "required": required,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _op(
    summary: str, params: list[Any], body: str | None = None, codes: tuple[int, ...] = ()
) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": _JSON_OK}
    responses.update({str(code): _refusal(code) for code in sorted(codes)})
    op: dict[str, Any] = {"summary": summary, "parameters": params, "responses": responses}
    if body is not None:
        op["requestBody"] = _body(body, required=body != "Rollback")
    return op


_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "code": {"type": "string"}},
    },
    "PredictRequest": {
        "type": "object",
        "description": "One of records, columns, dataframe_records, dataframe_split; "
        "or entities (join keys) whose features come from the online store.",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "records": {"type": "array", "items": {"type": "object"}},
            "columns": {"type": "object", "additionalProperties": {"type": "array"}},
            "dataframe_records": {"type": "array", "items": {"type": "object"}},
            "dataframe_split": {
                "type": "object",
                "properties": {
                    "columns": {"type": "array", "items": {"type": "string"}},
                    "data": {"type": "array", "items": {"type": "array"}},
                },
            },
            "entities": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Deploy": {
        "type": "object",
        "required": ["primary"],
        "additionalProperties": False,
        "properties": {
            "primary": {"type": "string", "examples": ["churn@champion"]},
            "canary": {"type": ["string", "null"]},
            "canary_weight": {"type": "number", "minimum": 0, "maximum": 1},
            "shadow": {"type": ["string", "null"]},
            "sticky_key": {"type": ["string", "null"]},
            "features": {"type": "array", "items": {"type": "string"}},
            "max_batch_size": {"type": "integer"},
            "max_batch_wait_ms": {"type": "number"},
        },
    },
    "Update": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "primary": {"type": ["string", "null"]},
            "canary": {"type": ["string", "null"]},
            "canary_weight": {"type": ["number", "null"]},
            "shadow": {"type": ["string", "null"]},
            "sticky_key": {"type": ["string", "null"]},
            "max_batch_size": {"type": ["integer", "null"]},
            "max_batch_wait_ms": {"type": ["number", "null"]},
        },
    },
    "Rollback": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"to_version": {"type": ["integer", "null"]}},
    },
    "Feedback": {
        "type": "object",
        "description": "One label (request_id, label, row_index for a row of a batch) "
        "or labels, a list of such objects.",
        "additionalProperties": False,
        "properties": {
            "request_id": {"type": "string"},
            "label": {},
            "row_index": {"type": "integer", "minimum": 0},
            "labels": {"type": "array", "items": {"type": "object"}},
        },
    },
    "InferRequest": {
        "type": "object",
        "description": "Fields beyond these are ignored, as the specification allows; "
        "model_name and model_version, when given, must name the path's.",
        "required": ["inputs"],
        "properties": {
            "id": {"type": "string"},
            "model_name": {"type": "string"},
            "model_version": {"type": "string"},
            "parameters": {"type": "object"},
            "inputs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "shape", "datatype"],
                    "properties": {
                        "name": {"type": "string"},
                        "shape": {"type": "array", "items": {"type": "integer"}},
                        "datatype": {
                            "type": "string",
                            "enum": ["BOOL", "INT32", "INT64", "FP32", "FP64", "BYTES"],
                        },
                        "parameters": {"type": "object"},
                        "data": {},
                    },
                },
            },
            "outputs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "parameters": {"type": "object"}},
                },
            },
        },
    },
}


_JSON_TYPES = {"bool": "boolean", "string": "string", "category": "string"}


def _column_schema(spec: ColumnSpec) -> dict[str, Any]:
    kind = spec.type
    if kind.startswith("float"):
        schema: dict[str, Any] = {"type": "number"}
    elif kind.startswith(("int", "uint")):
        schema = {"type": "integer"}
    elif kind in _JSON_TYPES:
        schema = {"type": _JSON_TYPES[kind]}
        if spec.categories and kind != "bool":
            schema["examples"] = list(spec.categories[:5])
    else:
        return {}
    if spec.nullable:
        schema["type"] = [schema["type"], "null"]
    return schema


def _endpoint_paths(name: str, signature: ModelSignature | None) -> dict[str, Any]:
    """A served endpoint's own predict path, its body described by the model signature."""
    if signature is None or not signature.inputs:
        return {}
    record = {
        "type": "object",
        "additionalProperties": False,
        "required": signature.columns,
        "properties": {c.name: _column_schema(c) for c in signature.inputs},
    }
    body = {
        "type": "object",
        "additionalProperties": False,
        "required": ["records"],
        "properties": {"records": {"type": "array", "minItems": 1, "items": record}},
    }
    op = _op(f"Predict with endpoint {name}", [], codes=_PREDICT)
    op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return {f"/v1/endpoints/{name}/predict": {"post": op}}


def openapi_schema(signatures: dict[str, ModelSignature | None] | None = None) -> dict[str, Any]:
    """The document; ``signatures`` (endpoint -> its primary's signature) adds their paths."""
    endpoint = [_NAME]
    versioned = [_NAME, _VERSION]
    ready = (400, 404)  # the specification's "not ready" is a 4xx: 400 here
    paths: dict[str, Any] = {
        "/v1/endpoints": {"get": _op("List endpoints and their readiness", [])},
        "/v1/endpoints/{name}": {
            "get": _op("An endpoint's status", endpoint, codes=(404,)),
            "delete": _op(
                "Delete the endpoint (restorable until `driftloop gc`)",
                endpoint,
                codes=(400, 404, 409, 503),
            ),
        },
        "/v1/endpoints/{name}/predict": {
            "post": _op("Predict (simple JSON API)", endpoint, "PredictRequest", _PREDICT)
        },
        "/v1/endpoints/{name}/feedback": {
            "post": _op(
                "Ground-truth labels of earlier predictions",
                endpoint,
                "Feedback",
                (400, 404, *_READ_BODY, 503),
            )
        },
        "/v1/endpoints/{name}/deployment": {
            "put": _op("Create or replace the deployment", endpoint, "Deploy", _CHANGE),
            "patch": _op("Change part of the deployment", endpoint, "Update", _CHANGE),
        },
        "/v1/endpoints/{name}/promote": {
            "post": _op("Make the canary the primary", endpoint, codes=_CHANGE)
        },
        "/v1/endpoints/{name}/rollback": {
            "post": _op("Return to the previous deployment", endpoint, "Rollback", _CHANGE)
        },
        "/v1/endpoints/{name}/history": {
            "get": _op("Deployment history", endpoint, codes=(400, 404, 503))
        },
        "/v2": {"get": _op("Server metadata (Open Inference Protocol)", [])},
        "/v2/health/live": {"get": _op("Server live", [])},
        "/v2/health/ready": {"get": _op("Server ready", [], codes=(503,))},
        "/v2/models/{name}": {"get": _op("Model metadata", endpoint, codes=(404, 503))},
        "/v2/models/{name}/ready": {"get": _op("Model ready", endpoint, codes=ready)},
        "/v2/models/{name}/infer": {"post": _op("Inference", endpoint, "InferRequest", _PREDICT)},
        "/v2/models/{name}/versions/{version}": {
            "get": _op("Model version metadata", versioned, codes=(400, 404, 503))
        },
        "/v2/models/{name}/versions/{version}/ready": {
            "get": _op("Model version ready", versioned, codes=ready)
        },
        "/v2/models/{name}/versions/{version}/infer": {
            "post": _op("Inference on one model version", versioned, "InferRequest", _PREDICT)
        },
        "/health": {"get": _op("Health of the server and its endpoints", [])},
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "responses": {"200": {"description": "OK", "content": {"text/plain": {}}}},
            }
        },
    }
    for name, signature in sorted((signatures or {}).items()):
        paths.update(_endpoint_paths(name, signature))
    return {
        "openapi": "3.1.0",
        "info": {"title": "driftloop serving", "version": "1"},
        "paths": paths,
        "components": {"schemas": _SCHEMAS},
    }


DOCS_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>driftloop serving API</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}code{background:#eee}</style>
</head><body><h1>driftloop serving API</h1>
<p>The OpenAPI document is at <a href="/openapi.json"><code>/openapi.json</code></a>
(load it into any OpenAPI viewer or client generator).</p>
<ul id="paths"></ul>
<script>
fetch('/openapi.json').then(r => r.json()).then(doc => {
  const list = document.getElementById('paths');
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const item = document.createElement('li');
      item.innerHTML = '<code>' + method.toUpperCase() + ' ' + path + '</code> ' + op.summary;
      list.appendChild(item);
    }
  }
});
</script></body></html>
"""
