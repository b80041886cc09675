"""`aoi export`: step samples and trajectories from the episode store, filters, de-duplication, quarantine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aoi.store.db import connect
from aoi.store.episodes import EpisodeStore, StepRecord
from aoi.training.export import STEP_COLUMNS, ExportError, append_samples, export_episodes

HOTEL_FAULT = "sim:hotel-reservation/misconfig_app_hotel_res?target=geo"  # a training family
HELDOUT = "sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo"
TRUTH = {"faulty_components": ["geo"], "system_level": "Application", "fault_type": "Misconfiguration",
         "fault_object": "service/geo"}
SERVICES_LINE = "Services: frontend, search, geo, profile, rate, mongodb-geo"


def _decision(action: str, submission: Any = None, calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"summary": "looked", "phase": "investigate", "hypothesis": "geo", "confidence": 60, "action": action,
            "tool_calls": calls or [], "submission": submission}


def _prompt(step: int, extra: str = "") -> list[dict[str, str]]:
    return [{"role": "system", "content": "You are the Observer."},
            {"role": "user", "content": f"Task: localization\n{SERVICES_LINE}\nThis is step {step + 1}.{extra}"}]


def _episode(store: EpisodeStore, thread: str, *, cluster: str = HOTEL_FAULT, task: str = "localization",
             model: str = "scripted", flags: list[str] | None = None, outcome: str = "submitted",
             completion_extra: str = "", finish: bool = True, extra_prompt: str = "") -> None:
    store.start(thread, task_type=task, task_text="find it", cluster=cluster, model=model, approve_mode="auto",
                ground_truth=TRUTH)
    probe = _decision("probe", calls=[{"tool": "get_logs", "args": {"service": "geo"}}])
    store.record_step(StepRecord(thread, 0, "reason", prompt=_prompt(0, extra_prompt),
                                 completion=json.dumps(probe) + completion_extra, decision=probe))
    store.record_step(StepRecord(thread, 0, "observe", tool_calls=[{"tool": "get_logs", "args": {"service": "geo"}}],
                                 results=[{"tool": "get_logs", "text": "geo: bad config", "error": False}]))
    bad = "{not json"
    retry = [{"role": "assistant", "content": bad}, {"role": "user", "content": "That decision was invalid: x"}]
    store.record_step(StepRecord(thread, 1, "reason", prompt=_prompt(1) + retry, completion=bad,
                                 error="invalid JSON"))
    answer = _decision("submit", submission=["geo"])
    store.record_step(StepRecord(thread, 2, "reason", prompt=_prompt(2), completion=json.dumps(answer),
                                 decision=answer))
    if finish:
        store.finish(thread, status="done", outcome=outcome, submission=["geo"], success=1.0, flags=flags or [],
                     wall_s=1.0)


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def store(tmp_path: Path) -> EpisodeStore:
    return EpisodeStore(connect(tmp_path / "aoi.db"))


def test_step_samples_keep_the_exact_prompt_and_the_labels(store: EpisodeStore, tmp_path: Path) -> None:
    _episode(store, "ep-a")
    report = export_episodes(store._conn, tmp_path / "out")
    assert (report.episodes, report.steps, report.quarantined) == (1, 3, [])
    rows = _rows(tmp_path / "out" / "steps.jsonl")
    assert [r["step"] for r in rows] == [0, 1, 2] and all(list(r) == sorted(STEP_COLUMNS) for r in rows)
    first, failed, final = rows
    assert first["messages"] == _prompt(0) and first["action"] == "probe" and first["split"] == "train"
    assert failed["messages"] == _prompt(1), "the retry turns after a failed completion are not its prompt"
    assert failed["decision"] == "" and failed["error"] == "invalid JSON"
    assert json.loads(final["labels"])["faulty_components"] == ["geo"]
    assert final["services"] == ["frontend", "search", "geo", "profile", "rate", "mongodb-geo"]
    assert final["family"] == "misconfig_app_hotel_res" and final["app"] == "hotel-reservation"
    assert "get_logs" in json.loads(final["tools"])["read"] and json.loads(final["tools"])["write"] == {}
    assert final["reward"] > 0.9 > failed["reward"] == 0.0
    trajectory = _rows(tmp_path / "out" / "trajectories.jsonl")[0]
    assert trajectory["reward"] == 1.0 and trajectory["episode_score"] == 1.0
    assert [e["node"] for e in json.loads(trajectory["events"])] == ["reason", "observe", "reason", "reason"]


def test_the_datasets_on_disk_hold_the_jsonl_rows(store: EpisodeStore, tmp_path: Path) -> None:
    from datasets import load_from_disk

    _episode(store, "ep-a")
    export_episodes(store._conn, tmp_path / "out")
    dataset = load_from_disk(str(tmp_path / "out" / "steps"))
    assert dataset.num_rows == 3 and dataset[2]["messages"] == _prompt(2)
    assert load_from_disk(str(tmp_path / "out" / "trajectories")).num_rows == 1


def test_identical_steps_are_exported_once(store: EpisodeStore, tmp_path: Path) -> None:
    _episode(store, "ep-a")
    _episode(store, "ep-b")
    report = export_episodes(store._conn, tmp_path / "out")
    assert (report.episodes, report.steps, report.duplicates) == (2, 3, 3)


@pytest.mark.parametrize(("flags", "reason"), [
    (["injection:imperative-to-agent"], "prompt-injection"),
    (["write_in_diagnosis"], "diagnosis-only"),
    (["injection_target"], "injected telemetry"),
    (["uncorroborated_target"], "had not shown"),
])
def test_flagged_episodes_are_quarantined_not_exported(store: EpisodeStore, tmp_path: Path, flags: list[str],
                                                       reason: str) -> None:
    _episode(store, "ep-bad", flags=flags)
    _episode(store, "ep-good", extra_prompt=" (other)")
    report = export_episodes(store._conn, tmp_path / "out")
    assert report.episodes == 1 and {r["thread_id"] for r in _rows(tmp_path / "out" / "steps.jsonl")} == {"ep-good"}
    quarantined = _rows(tmp_path / "out" / "quarantine.jsonl")
    assert [q["thread_id"] for q in quarantined] == ["ep-bad"] and reason in quarantined[0]["reason"]


def test_rejected_and_unrecorded_writes_are_quarantined(store: EpisodeStore, tmp_path: Path) -> None:
    _episode(store, "ep-rejected", task="mitigation")
    store.record_approval("ep-rejected", 1, "restart_workload", {"name": "geo"}, "", "1", "reject", "op", "no")
    _episode(store, "ep-unapproved", task="mitigation", extra_prompt=" (2)")
    store.record_step(StepRecord("ep-unapproved", 3, "act", tool_calls=[{"tool": "restart_workload", "args": {}}],
                                 results=[{"text": "status: applied", "verdict": "applied"}]))
    export_episodes(store._conn, tmp_path / "out")
    reasons = {q["thread_id"]: q["reason"] for q in _rows(tmp_path / "out" / "quarantine.jsonl")}
    assert "rejected" in reasons["ep-rejected"] and "no recorded approval" in reasons["ep-unapproved"]


def test_a_secret_the_agent_missed_quarantines_the_episode_and_is_not_written(store: EpisodeStore,
                                                                             tmp_path: Path) -> None:
    _episode(store, "ep-leak", completion_extra="\nMONGO_PASSWORD=hunter2-very-secret")
    export_episodes(store._conn, tmp_path / "out")
    quarantined = _rows(tmp_path / "out" / "quarantine.jsonl")
    assert quarantined[0]["thread_id"] == "ep-leak" and "redaction re-check" in quarantined[0]["reason"]
    assert "hunter2" not in "".join(p.read_text() for p in (tmp_path / "out").glob("*.jsonl"))


def test_filters_select_split_agent_and_outcome(store: EpisodeStore, tmp_path: Path) -> None:
    _episode(store, "ep-train", model="expert")
    _episode(store, "ep-heldout", cluster=HELDOUT, model="embedded:gemma3", extra_prompt=" (h)")
    _episode(store, "ep-budget", outcome="budget_exhausted", extra_prompt=" (b)")
    _episode(store, "ep-running", finish=False, extra_prompt=" (r)")

    def threads(**filters: Any) -> set[str]:
        export_episodes(store._conn, tmp_path / "out", datasets=False, **filters)
        return {r["thread_id"] for r in _rows(tmp_path / "out" / "trajectories.jsonl")}

    assert threads() == {"ep-train", "ep-heldout", "ep-budget"}
    assert threads(split="heldout") == {"ep-heldout"}
    assert threads(split="train", agents=["expert"]) == {"ep-train"}
    assert threads(agents=["embedded"]) == {"ep-heldout"}
    assert threads(outcomes=["budget_exhausted"]) == {"ep-budget"}
    with pytest.raises(ExportError, match="valid: train"):
        export_episodes(store._conn, tmp_path / "out", split="dev")


def test_append_samples_adds_corrective_rows_once(store: EpisodeStore, tmp_path: Path) -> None:
    _episode(store, "ep-a")
    export_episodes(store._conn, tmp_path / "out")
    sample = {"messages": _prompt(5), "completion": json.dumps(_decision("submit", submission=["geo"])),
              "task_type": "localization", "services": ["geo", "frontend"],
              "tools": {"read": {}, "write": {}}, "labels": TRUTH}
    assert append_samples(tmp_path / "out", [sample, sample], provenance="evolver:repair:ep-a:1") == 1
    assert append_samples(tmp_path / "out", [sample], provenance="evolver:repair:ep-a:1") == 0
    rows = _rows(tmp_path / "out" / "steps.jsonl")
    assert len(rows) == 4 and rows[-1]["provenance"] == "evolver:repair:ep-a:1" and rows[-1]["reward"] > 0.9
    from datasets import load_from_disk

    assert load_from_disk(str(tmp_path / "out" / "steps")).num_rows == 4
    with pytest.raises(ExportError, match="lacks labels"):
        append_samples(tmp_path / "out", [{k: v for k, v in sample.items() if k != "labels"}], provenance="x")
    with pytest.raises(ExportError, match="aoi export"):
        append_samples(tmp_path / "nowhere", [sample], provenance="x")


def _mitigation(home: Path, cluster: str, writes: list[dict[str, Any]], thread: str,
                answer: dict[str, Any] | None = None) -> Any:
    """A scripted mitigation episode: read the deployments, make `writes`, submit; approved automatically or by a
    person (`answer`)."""
    from aoi.graph.models.scripted import ScriptedModel
    from aoi.graph.runner import EpisodeConfig, EpisodeRunner

    plan = [_decision("probe", calls=[{"tool": "get_resources", "args": {"resource_type": "deployments"}}]),
            *[_decision("act", calls=[w]) for w in writes], _decision("submit", submission={})]
    for decision in plan[1:-1]:
        decision["phase"] = "mitigate"

    def policy(messages: list[dict[str, str]]) -> dict[str, Any]:
        import re

        step = int(re.search(r"This is step (\d+)", messages[-1]["content"]).group(1)) - 1
        return plan[min(step, len(plan) - 1)]

    return EpisodeRunner(EpisodeConfig(cluster, "mitigation", model="scripted", approve="ask" if answer else "auto",
                                       thread_id=thread, db=home / "aoi.db"), model=ScriptedModel(policy),
                         ask_approval=(lambda _p: answer) if answer else None).run()


def test_a_real_approved_mitigation_episode_exports_with_its_fix_label(aoi_home: Path) -> None:
    account = {"tool": "apply_manifest", "args": {"manifest": {
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "adservice", "namespace": "boutique"}}}}
    result = _mitigation(aoi_home, "sim:online-boutique/missing_service_account", [account], "m1")
    assert result.success
    report = export_episodes(connect(aoi_home / "aoi.db"), aoi_home / "out", datasets=False)
    assert report.quarantined == [] and report.steps == 3
    rows = _rows(aoi_home / "out" / "steps.jsonl")
    assert [r["action"] for r in rows] == ["probe", "act", "submit"]
    assert [json.loads(r["labels"])["mitigated_before_step"] for r in rows] == [False, False, True]
    assert "adservice" in rows[0]["services"]
    assert "apply_manifest" in json.loads(rows[0]["tools"])["write"]
    # a correct submission (0.30) whose scripted summary names nothing the output showed (0.5 × 0.15) at
    # confidence 40 (0.6 × 0.05), every other applicable reward full
    assert rows[-1]["reward"] == pytest.approx(0.905)


def test_an_episode_whose_approved_write_no_diagnosis_backs_is_quarantined(aoi_home: Path) -> None:
    """A person may approve a write that rests on log lines alone (here the fix of an application-level fault);
    the episode still must not become training data: the same route would export an obeyed injection."""
    ns = "test-hotel-reservation"
    grant = {"tool": "datastore_admin", "args": {"service": "mongodb-geo", "namespace": ns,
             "operation": "grant_roles", "args": {"user": "admin", "roles": [{"role": "readWrite", "db": "geo-db"}]}}}
    restart = {"tool": "restart_workload", "args": {"kind": "deployment", "name": "geo", "namespace": ns}}
    result = _mitigation(aoi_home, HELDOUT, [grant, restart], "m2", answer={"action": "approve", "approver": "al"})
    assert result.success
    report = export_episodes(connect(aoi_home / "aoi.db"), aoi_home / "out", datasets=False)
    assert report.steps == 0 and [q["thread_id"] for q in report.quarantined] == ["m2"]
    assert "no diagnosis backs" in report.quarantined[0]["reason"]
