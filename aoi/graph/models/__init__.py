"""Model backends behind one `Model` protocol, chosen by a spec string (`load_model`).

Backends import their heavy dependencies when a model is loaded, never at import.
"""

from __future__ import annotations

from pathlib import Path

from aoi.graph.models.base import Completion, ContextTooLong, Message, Model, ModelError

__all__ = ["SPEC_FORMS", "Completion", "ContextTooLong", "Message", "Model", "ModelError", "load_model"]

SPEC_FORMS = (
    "embedded  (the bundled Gemma 3 270M, Q4_K_M, run by llama.cpp, with AOI's trained adapter when shipped)",
    "embedded-base  (the bundled model without the adapter)",
    "PATH.gguf  (any local GGUF model)",
    "PATH.gguf+lora:ADAPTER.gguf  (a GGUF model with a llama.cpp LoRA adapter)",
    "openai:MODEL_NAME  (an OpenAI-compatible server; AOI_OPENAI_BASE_URL, AOI_OPENAI_API_KEY)",
    "scripted:FILE.jsonl  (replay prepared completions, one JSON value per line)",
)
"""The valid `load_model` specs, as shown to users when a spec is wrong."""

_LORA = "+lora:"


def load_model(spec: str, *, seed: int = 0) -> Model:
    """The model a spec names; cheap: local models load on their first call.

    Raises:
        ValueError: the spec has none of the forms in `SPEC_FORMS` (the message lists them).
        ModelError: a named file is missing or is not a GGUF / JSONL script.
    """
    spec = spec.strip()
    if spec in ("embedded", "embedded-base"):
        from aoi.graph.models.llamacpp import LlamaCppModel
        from aoi.models import AdapterError, shipped_adapter

        try:
            adapter = shipped_adapter() if spec == "embedded" else None
        except AdapterError as exc:
            raise ModelError(str(exc)) from exc
        return LlamaCppModel(lora_path=adapter, seed=seed)
    if spec.startswith("scripted:") and spec.removeprefix("scripted:"):
        from aoi.graph.models.scripted import ScriptedModel

        return ScriptedModel.from_file(Path(spec.removeprefix("scripted:")).expanduser())
    if spec.startswith("openai:") and spec.removeprefix("openai:"):
        from aoi.graph.models.openai_compat import OpenAICompatModel

        return OpenAICompatModel(spec.removeprefix("openai:"), seed=seed)
    model_part, _, lora_part = spec.partition(_LORA)
    if model_part.lower().endswith(".gguf") and (_LORA not in spec or lora_part.lower().endswith(".gguf")):
        from aoi.graph.models.llamacpp import LlamaCppModel

        return LlamaCppModel(Path(model_part).expanduser(), lora_path=Path(lora_part).expanduser() if lora_part
                             else None, seed=seed)
    forms = "\n  ".join(SPEC_FORMS)
    raise ValueError(f"unknown model spec {spec!r}; use one of:\n  {forms}")
