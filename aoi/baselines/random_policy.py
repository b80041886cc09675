"""The `random` baseline: a decision drawn uniformly from the closed JSON schema the graph hands every model.

It is the floor of the comparison — valid actions with no judgement. The schema is the one grammar-constrained
decoding uses (`aoi.graph.decision.decision_schema`), so every draw validates against it. Draws are seeded by the
policy's seed, the call's seed and the prompt itself: the same thread resumed makes the same decisions.
"""

from __future__ import annotations

import hashlib
import json
import random
import string
import time
from collections.abc import Mapping
from typing import Any

from aoi.graph.models.base import Completion, Message, ModelError

MAX_DEPTH = 16
_ALPHABET = string.ascii_lowercase + string.digits + "-"
_FREE_ITEMS = 3
"""Most items drawn for an array without maxItems."""
_UNIQUE_TRIES = 4


class RandomPolicy:
    """Answers with a random instance of the `json_schema` it is given."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.name = f"random:{seed}"

    def complete(self, messages: list[Message], *, json_schema: dict | None = None, max_tokens: int = 512,
                 temperature: float = 0.0, seed: int | None = None) -> Completion:
        """A random decision that validates against `json_schema`.

        Raises:
            ModelError: no schema was given (the random policy has nothing to draw from).
        """
        if json_schema is None:
            raise ModelError("the random policy needs the decision schema (json_schema=...) to draw from")
        started = time.perf_counter()
        digest = hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()
        rng = random.Random(f"{self.seed}:{seed}:{digest}")
        text = json.dumps(sample(json_schema, rng), sort_keys=True)
        return Completion(text=text, prompt_tokens=sum(len(m.get("content", "").split()) for m in messages),
                          completion_tokens=len(text.split()), latency_s=time.perf_counter() - started,
                          model=self.name)


def sample(schema: Mapping[str, Any], rng: random.Random) -> Any:
    """A random instance of `schema` (the subset of JSON Schema our decision schemas use).

    Raises:
        ValueError: the schema uses a construct the sampler does not know, or nests deeper than `MAX_DEPTH`.
    """
    return _draw(schema, schema.get("$defs", {}), rng, 0)


def _draw(schema: Mapping[str, Any], defs: Mapping[str, Any], rng: random.Random, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError(f"schema nests deeper than {MAX_DEPTH} levels")
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name not in defs:
            raise ValueError(f"unresolvable $ref {ref!r}")
        return _draw(defs[name], defs, rng, depth + 1)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(list(schema["enum"]))
    if "anyOf" in schema:
        return _draw(rng.choice(list(schema["anyOf"])), defs, rng, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = rng.choice(kind)
    if kind == "object" or (kind is None and "properties" in schema):
        return _object(schema, defs, rng, depth)
    if kind == "array":
        low = int(schema.get("minItems", 0))
        high = int(schema.get("maxItems", low + _FREE_ITEMS))
        items = schema.get("items", {})
        drawn: list[Any] = []
        for _ in range(_UNIQUE_TRIES * high):  # distinct items: a list naming one service twice is not a valid answer
            if len(drawn) >= rng.randint(low, high) and len(drawn) >= low:
                break
            item = _draw(items, defs, rng, depth + 1)
            if item not in drawn:
                drawn.append(item)
        return drawn
    if kind == "string":
        low = int(schema.get("minLength", 0))
        high = min(int(schema.get("maxLength", low + 12)), low + 12)
        return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(max(low, 1) if high else 0, high)))
    if kind == "integer":
        return rng.randint(int(schema.get("minimum", 0)), int(schema.get("maximum", 100)))
    if kind == "number":
        return rng.uniform(float(schema.get("minimum", 0.0)), float(schema.get("maximum", 100.0)))
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind is None and not schema:
        return {}  # an unconstrained value: the smallest free-form one
    raise ValueError(f"cannot sample schema {dict(schema)!r}")


def _object(schema: Mapping[str, Any], defs: Mapping[str, Any], rng: random.Random, depth: int) -> dict[str, Any]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    return {key: _draw(sub, defs, rng, depth + 1) for key, sub in properties.items()
            if key in required or rng.random() < 0.5}
