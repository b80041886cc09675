"""ScriptedModel: replays, policies, JSONL scripts, token counts and the exhausted-script error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aoi.graph.models import Completion, Model, ModelError
from aoi.graph.models.scripted import ScriptedModel, ScriptExhausted

USER = [{"role": "system", "content": "You are an SRE agent."}, {"role": "user", "content": "Is the cart healthy?"}]


def test_replays_prepared_completions_in_order_and_dumps_dicts_as_json() -> None:
    model = ScriptedModel(["first answer", {"action": "submit", "confidence": 90}])

    texts = [model.complete(USER).text, model.complete(USER).text]

    assert texts == ["first answer", '{"action": "submit", "confidence": 90}']
    assert model.remaining == 0


def test_counts_tokens_as_whitespace_words_and_records_the_model_name() -> None:
    model = ScriptedModel(["two words"], name="policy:v1")

    completion = model.complete(USER)

    assert (completion.prompt_tokens, completion.completion_tokens) == (5 + 4, 2)
    assert completion.model == "policy:v1"
    assert 0 <= completion.latency_s < 1


def test_running_out_of_script_raises_script_exhausted_which_is_a_model_error() -> None:
    model = ScriptedModel(["only one"])
    model.complete(USER)

    with pytest.raises(ScriptExhausted, match="used all 1 prepared completions and was asked for number 2"):
        model.complete(USER)
    assert issubclass(ScriptExhausted, ModelError)


def test_a_policy_computes_each_completion_from_the_messages_and_never_runs_out() -> None:
    def policy(messages: list[dict[str, str]]) -> dict:
        return {"turns": len(messages), "last": messages[-1]["content"]}

    model = ScriptedModel(policy)

    completions = [model.complete(USER[:n]) for n in (1, 2, 2)]

    assert [json.loads(c.text)["turns"] for c in completions] == [1, 2, 2]
    assert json.loads(completions[-1].text)["last"] == "Is the cart healthy?"
    assert model.remaining is None


def test_every_conversation_is_kept_as_a_copy_for_assertions() -> None:
    model = ScriptedModel(["a", "b"])
    messages = [dict(m) for m in USER]

    model.complete(messages, json_schema={"type": "object"}, temperature=0.7, seed=3)
    messages[1]["content"] = "changed afterwards"

    assert model.calls == [USER]


def test_from_file_reads_jsonl_strings_and_objects_and_skips_blank_lines(tmp_path: Path) -> None:
    script = tmp_path / "diagnose.jsonl"
    script.write_text('"plain text"\n\n{"action": "probe", "targets": ["cart"]}\n', encoding="utf-8")

    model = ScriptedModel.from_file(script)

    assert model.name == "scripted:diagnose.jsonl"
    assert [model.complete(USER).text for _ in range(2)] == ["plain text", '{"action": "probe", "targets": ["cart"]}']


def test_from_file_names_the_line_that_is_not_json(tmp_path: Path) -> None:
    script = tmp_path / "bad.jsonl"
    script.write_text('"fine"\nnot json at all\n', encoding="utf-8")

    with pytest.raises(ModelError, match=r"bad\.jsonl:2: not JSON"):
        ScriptedModel.from_file(script)


def test_from_file_rejects_values_that_are_neither_strings_nor_objects(tmp_path: Path) -> None:
    script = tmp_path / "numbers.jsonl"
    script.write_text("42\n", encoding="utf-8")

    with pytest.raises(ModelError, match=r"numbers\.jsonl:1: expected a JSON string or object, got int"):
        ScriptedModel.from_file(script)


def test_from_file_reports_a_missing_script(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"cannot read the script .*missing\.jsonl"):
        ScriptedModel.from_file(tmp_path / "missing.jsonl")


def test_scripted_model_satisfies_the_model_protocol() -> None:
    model = ScriptedModel(["x"])

    assert isinstance(model, Model)
    assert isinstance(model.complete(USER), Completion)
