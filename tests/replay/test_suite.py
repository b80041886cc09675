"""The cloud-opsbench suite: hand-built submissions scored exactly, whole runs over synthetic splits with a
scripted Observer (counts, means, per category, resume, no answer in any prompt), and one run over the real dev
split when it is present."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from replay_snapshots import SENTINELS

from aoi.evals.opsbench import dev_split_dir
from aoi.evals.opsbench_suite import case_truth, evaluate, load_choices, score
from aoi.graph.models.scripted import ScriptedModel

TRUTH = {"fault_taxonomy": "Runtime_Fault", "fault_object": "service/cartservice", "root_cause": "oom_killed"}


def test_the_full_a1_also_needs_the_taxonomy_of_the_named_cause_to_match() -> None:
    right = {"root_causes": ["oom_killed"], "fault_objects": ["service/cartservice"]}
    assert score(right, TRUTH)["full_a1"] == 1.0
    assert score(right, {**TRUTH, "fault_taxonomy": "Startup_Fault"})["full_a1"] == 0.0
    assert score({"root_causes": ["not_a_row"], "fault_objects": ["service/cartservice"]},
                 {**TRUTH, "root_cause": "not_a_row"})["full_a1"] == 0.0


@pytest.mark.parametrize(("submission", "expected"), [
    ({"root_causes": ["oom_killed"], "fault_objects": ["service/cartservice"]}, (1, 1, 1, 1, 1)),
    ({"root_causes": ["OOM_Killed ", "x"], "fault_objects": ["Service/CartService"]}, (1, 1, 1, 1, 1)),
    ({"root_causes": ["x", "y", "oom_killed"], "fault_objects": ["service/frontend", "service/cartservice"]},
     (0, 1, 0, 1, 0)),
    ({"root_causes": ["x", "y", "z", "oom_killed"], "fault_objects": ["service/cartservice"]}, (0, 0, 1, 1, 0)),
    ({"root_causes": ["oom_killed"], "fault_objects": ["node/worker-01"]}, (1, 1, 0, 0, 0)),
    ({"root_causes": "oom_killed", "fault_objects": "service/cartservice"}, (0, 0, 0, 0, 0)),
    ({"root_causes": [None, 3], "fault_objects": []}, (0, 0, 0, 0, 0)),
    (None, (0, 0, 0, 0, 0)),
    ("oom_killed service/cartservice", (0, 0, 0, 0, 0)),
])
def test_scores_are_exact_top1_and_top3_hits(submission: Any, expected: tuple[int, ...]) -> None:
    got = score(submission, TRUTH)
    assert tuple(got[k] for k in ("root_cause_a1", "root_cause_a3", "object_a1", "object_a3", "both_a1")) == expected


def test_the_labels_become_closed_lists_and_a_hint_on_object_kinds(split: Path) -> None:
    choices = load_choices(split)
    assert choices.root_causes == ("oom_killed", "liveness_probe_incorrect_port", "kubelet_unavailable",
                                   "namespace_pod_quota_exceeded")
    assert choices.fault_objects == ("service/cartservice", "service/frontend", "service/redis-cart", "node/master",
                                     "node/worker-01", "namespace/shop")
    assert choices.hint == ("Root causes whose fault object is on a namespace: namespace_pod_quota_exceeded; on a "
                            "node: kubelet_unavailable. Every other root cause's fault object is a service.")
    (split / "labels.json").unlink()
    with pytest.raises(ValueError, match=r"labels\.json is missing or malformed"):
        load_choices(split)


def _policy(calls: list[list[dict[str, str]]]) -> Any:
    """Probe once (alerts, pods, logs), then answer oom_killed on cartservice, second guess kubelet on worker-01."""
    def policy(messages: list[dict[str, str]]) -> dict[str, Any]:
        calls.append(messages)
        if "Previous step" not in messages[-1]["content"]:
            return {"summary": "start", "phase": "triage", "hypothesis": "unknown", "confidence": 10,
                    "action": "probe", "tool_calls": [{"tool": "get_alerts", "args": {}},
                                                      {"tool": "get_resources", "args": {"resource_type": "pods"}},
                                                      {"tool": "get_logs", "args": {"target": "cartservice"}}]}
        return {"summary": "cartservice restarts", "phase": "conclude", "hypothesis": "oom", "confidence": 60,
                "action": "submit", "tool_calls": [],
                "submission": {"root_causes": ["oom_killed", "kubelet_unavailable"],
                               "fault_objects": ["service/cartservice", "node/worker-01"]}}
    return policy


def test_a_run_over_a_split_scores_every_case_and_category(split: Path, aoi_home: Path) -> None:
    calls: list[list[dict[str, str]]] = []
    seen: list[str] = []
    result = evaluate(split, agent="aoi", model="scripted", runs=2, workers=1, seed=3, db=aoi_home / "aoi.db",
                      model_factory=lambda seed: ScriptedModel(_policy(calls)),
                      progress=lambda r: seen.append(r["case"]))
    assert (result["cases"], result["episodes"], len(result["results"]), len(seen)) == (3, 6, 6, 6)
    # runtime/1: both right at rank 1; runtime/9: object only; infrastructure/30: both right at rank 2.
    assert result["root_cause_a1"] == pytest.approx(1 / 3, abs=1e-4)
    assert result["root_cause_a3"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["object_a1"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["object_a3"] == 1.0
    assert result["both_a1"] == pytest.approx(1 / 3, abs=1e-4)
    assert result["steps_mean"] == 1.0 and result["outcomes"] == {"submitted": 6}
    assert result["by_category"]["infrastructure"] == {"root_cause_a1": 0.0, "root_cause_a3": 1.0, "object_a1": 0.0,
                                                       "object_a3": 1.0, "both_a1": 0.0, "full_a1": 0.0,
                                                       "episodes": 2, "cases": 1, "steps_mean": 1.0}
    assert result["by_category"]["runtime"]["episodes"] == 4
    assert len({r["thread_id"] for r in result["results"]}) == 6
    json.dumps(result)  # the CLI prints it
    # The task: the symptom, the labels and the hint; the truth of each case only as a candidate among the labels.
    first_user = calls[0][-1]["content"]
    assert "Problem: Service abnormal restart." in first_user
    assert "Root-cause labels: runtime: oom_killed, liveness_probe_incorrect_port; infrastructure:" in first_user
    # infrastructure/30 has no logs.json: both of its runs were told so.
    assert sum("logs not captured in this snapshot" in c[-1]["content"] for c in calls) == 2


def test_a_second_run_with_the_same_database_reuses_finished_episodes(split: Path, aoi_home: Path) -> None:
    calls: list[list[dict[str, str]]] = []
    first = evaluate(split, model="scripted", db=aoi_home / "aoi.db",
                     model_factory=lambda seed: ScriptedModel(_policy(calls)))
    asked = len(calls)
    again = evaluate(split, model="scripted", db=aoi_home / "aoi.db",
                     model_factory=lambda seed: ScriptedModel(_policy(calls)))
    assert len(calls) == asked == 6
    assert [r["thread_id"] for r in again["results"]] == [r["thread_id"] for r in first["results"]]
    assert again["root_cause_a1"] == first["root_cause_a1"]


def test_no_prompt_shows_the_answer_or_the_case_path(tmp_path: Path, leaky_case: Path, split: Path,
                                                      aoi_home: Path) -> None:
    shutil.copy(split / "labels.json", leaky_case.parent.parent / "labels.json")
    calls: list[list[dict[str, str]]] = []
    result = evaluate(leaky_case.parent.parent, model="scripted", db=aoi_home / "aoi.db",
                      model_factory=lambda seed: ScriptedModel(_policy(calls)))
    assert result["cases"] == 1 and result["root_cause_a1"] == 0.0
    shown = json.dumps(calls)
    assert calls and not [s for s in SENTINELS if s in shown]
    assert str(tmp_path) not in shown
    assert case_truth(leaky_case)["root_cause"] == "zqxcause"  # the scorer does read it


def test_bad_arguments_are_refused(tmp_path: Path, split: Path) -> None:
    with pytest.raises(ValueError, match="no Cloud-OpsBench cases"):
        evaluate(tmp_path / "nothing", model="scripted")
    with pytest.raises(ValueError, match="runs and workers"):
        evaluate(split, model="scripted", runs=0)


DEV = dev_split_dir()


@pytest.mark.skipif(DEV is None, reason="Cloud-OpsBench dev split (shared/data/cloud-opsbench-dev) not present")
def test_the_dev_split_runs_every_case_with_a_scripted_observer(aoi_home: Path) -> None:
    assert DEV is not None
    calls: list[list[dict[str, str]]] = []
    result = evaluate(DEV, model="scripted", db=aoi_home / "aoi.db",
                      model_factory=lambda seed: ScriptedModel(_policy(calls)))
    assert (result["cases"], result["episodes"], result["outcomes"]) == (30, 30, {"submitted": 30})
    assert {c: v["cases"] for c, v in result["by_category"].items()} == {
        "admission": 5, "infrastructure": 4, "performance": 1, "runtime": 5, "scheduling": 9, "service": 3,
        "startup": 3}
    assert result["root_cause_a1"] == pytest.approx(1 / 30, abs=1e-4)  # oom_killed occurs once in dev
    assert len(calls) == 60
    logs_missing = sum("logs not captured in this snapshot" in c[-1]["content"] for c in calls)
    assert logs_missing == 3  # infrastructure/41, infrastructure/45, performance/12
