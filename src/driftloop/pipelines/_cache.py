"""The cache key of a step: what it runs (code) on what (input contents) with what (params).

Inputs from upstream steps enter by the content digest of their stored output, so a
step downstream of a step that produced the same bytes is still a hit, and a new
dataset version (another digest) is a miss. Plain values enter by a digest of their
canonical bytes; dataset and model versions by their content digest.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Mapping
from typing import Any

from driftloop.pipelines._models import OutputRef
from driftloop.pipelines._params import _version_kind

CACHE_FORMAT = "1"  # bump when the key's recipe changes, so old entries stop matching


def value_digest(value: Any) -> str:
    """A digest of a plain value: JSON when it is JSON, else its pickle."""
    kind = _version_kind(type(value))
    if kind == "dataset_version":
        return f"dataset:{value.digest}"
    if kind == "model_version":
        return f"model:{value.model_digest}"
    try:
        data = json.dumps(value, sort_keys=True, allow_nan=True).encode()
    except (TypeError, ValueError):
        data = pickle.dumps(value, protocol=4)
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def cache_key(
    function: str, code: str, inputs: Mapping[str, OutputRef], literals: Mapping[str, Any]
) -> str:
    """The key a step's outputs are stored and found under."""
    parts = {
        "format": CACHE_FORMAT,
        "function": function,
        "code": code,
        "inputs": {arg: ref.digest for arg, ref in sorted(inputs.items())},
        "literals": {arg: value_digest(v) for arg, v in sorted(literals.items())},
    }
    text = json.dumps(parts, sort_keys=True).encode()
    return hashlib.blake2b(text, digest_size=32).hexdigest()
