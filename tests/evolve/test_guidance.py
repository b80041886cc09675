"""The guidance memory: FTS retrieval by symptoms, de-duplication, the answer filter, and the provider the agent
asks before every decision — which never shows a held-out problem its own answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from evolve_trajectories import probe, run_episode, submit

from aoi.cluster.sim.faults import GroundTruth
from aoi.evolve.guidance import answer_filter, guidance_provider
from aoi.evolve.lessons import Lesson
from aoi.evolve.memory import AnswerFilter, GuidanceMemory
from aoi.evolve.symptoms import abstract_names, signature, symptom_tokens
from aoi.graph.compression import CompressedObservation
from aoi.graph.prompts import IterationRecord, Memory, TaskSpec


def _lesson(sig: str, text: str, *, task: str = "localization", family: str = "container_kill",
            thread: str = "t1") -> Lesson:
    return Lesson(task, f"task{task} {sig}", text, "premature_submission",
                  {"thread_id": thread, "family": family, "app": "hotel-reservation"})


def _memory(*texts: str) -> Memory:
    return Memory(tuple(IterationRecord(i + 1, "s", observations=(CompressedObservation("get_logs", {}, t),))
                        for i, t in enumerate(texts)))


def _task(kind: str = "localization") -> TaskSpec:
    return TaskSpec(kind, "fault somewhere", "ns", ("geo", "frontend"))


def test_symptoms_become_name_free_tokens() -> None:
    text = ("geo-x1  0/1  CrashLoopBackOff\nFailed to connect: server returned error on SASL authentication step: "
            "Authentication failed.\nWarning FailedScheduling 0/3 nodes are available")
    assert symptom_tokens([text]) == ["crashloopbackoff", "failedscheduling", "authfailed"]
    assert signature("analysis", [text]).split()[0] == "taskanalysis"
    assert abstract_names("mongodb-geo-7f9 calls geo and geo-db", ["geo", "mongodb-geo"]) == \
        "<service> calls <service> and <service>"


def test_fts_ranks_the_lesson_with_the_matching_symptoms_first(conn: Any) -> None:
    memory = GuidanceMemory(conn)
    crash = memory.add(_lesson("crashloopbackoff backoff authfailed", "read the previous logs of the crashing pod"))
    memory.add(_lesson("failedscheduling podpending", "describe the pending pod and read its scheduling events"))
    memory.add(_lesson("imagepullbackoff", "check the image reference and its pull secret"))
    memory.add(_lesson("errorspike latency", "follow the slow calls in the traces"))
    found = memory.search("localization", ["crashloopbackoff", "authfailed"])
    assert found[0].id == crash
    pending = memory.search("localization", symptom_tokens(["0/3 nodes available: FailedScheduling"]))
    assert pending[0].lesson.startswith("describe the pending pod")


def test_the_same_lesson_twice_is_stored_once_with_its_support_and_sources(conn: Any) -> None:
    memory = GuidanceMemory(conn)
    first = memory.add(_lesson("crashloopbackoff", "look at logs", thread="a"))
    again = memory.add(_lesson("crashloopbackoff", "look at logs", thread="b"))
    memory.add(_lesson("crashloopbackoff", "look at logs", thread="b"))
    item = memory.get(first)
    assert again == first and item is not None
    assert item.support == 2 and [s["thread_id"] for s in item.sources] == ["a", "b"]
    assert memory.remove(first) and memory.get(first) is None and not memory.remove(first)
    assert memory.search("localization", ["crashloopbackoff"]) == []  # the FTS index forgot it too


def test_a_lesson_for_the_same_task_comes_before_one_for_another_task(conn: Any) -> None:
    memory = GuidanceMemory(conn)
    memory.add(_lesson("crashloopbackoff authfailed", "mitigation lesson", task="mitigation"))
    same = memory.add(_lesson("crashloopbackoff", "localization lesson"))
    assert memory.search("localization", ["crashloopbackoff", "authfailed"])[0].id == same


def test_the_answer_filter_drops_answers_and_lessons_from_the_excluded_family(conn: Any) -> None:
    memory = GuidanceMemory(conn)
    memory.add(_lesson("crashloopbackoff", "restart mongodb-geo", family="container_kill"))
    memory.add(_lesson("crashloopbackoff", "a case of OOM_Killed pods", family="container_kill"))
    memory.add(_lesson("crashloopbackoff", "learned on the very family", family="revoke_auth_mongodb"))
    kept = memory.add(_lesson("crashloopbackoff", "read the previous logs", family="container_kill"))
    truth = GroundTruth(("mongodb-geo",), "Application", "OOMKilled")
    filt = answer_filter([truth, {"family": "revoke_auth_mongodb"}])
    assert filt.terms >= {"mongodb-geo", "OOMKilled"} and "revoke_auth_mongodb" in filt.families
    found = memory.search("localization", ["crashloopbackoff"], limit=10, answer_filter=filt)
    assert [i.id for i in found] == [kept]
    assert len(memory.search("localization", ["crashloopbackoff"], limit=10)) == 4


def test_exclude_answers_of_rejects_what_carries_no_answer() -> None:
    with pytest.raises(TypeError, match="carries no answer"):
        answer_filter(object())
    assert answer_filter(None) == AnswerFilter()


def test_the_provider_returns_matching_lessons_with_provenance(aoi_home: Path, conn: Any) -> None:
    GuidanceMemory(conn).add(_lesson("crashloopbackoff", "read the previous logs of the crashing pod"))
    provider = guidance_provider(aoi_home / "aoi.db")
    shown = list(provider(_task(), _memory("geo-x1 0/1 CrashLoopBackOff")))
    assert len(shown) == 1 and shown[0].startswith("read the previous logs")
    assert "[evolver lesson #1, from 1 verified repair of a premature submission failure]" in shown[0]
    assert list(provider(_task("mitigation"), _memory("nothing here"))) == []


def _heldout_problems() -> list[Any]:
    problems = pytest.importorskip("aoi.evals.problems")
    return [p for suite in problems.SUITES for p in problems.select(suite, "heldout")]


def test_guidance_for_a_held_out_problem_never_contains_its_answer(aoi_home: Path, conn: Any) -> None:
    """Lessons from train families, some worded carelessly (a service name, a fault type, a family name): for every
    held-out problem, whatever symptoms it shows, nothing retrieved names its faulty service or fault type."""
    from aoi.evolve.symptoms import SYMPTOMS

    problems = _heldout_problems()
    memory = GuidanceMemory(conn)
    tokens = " ".join(t for t, _ in SYMPTOMS)
    careless = [*sorted({p.target for p in problems if p.target})[:40], "Misconfiguration", "Authentication Issue",
                "oom_killed", "Network/Storage Issue"]
    for task in ("detection", "localization", "analysis", "mitigation"):
        memory.add(_lesson(tokens, "follow the symptoms to the failing component", task=task))
        for word in careless:
            memory.add(_lesson(tokens, f"it was {word} last time", task=task))
    everything = _memory("CrashLoopBackOff OOMKilled FailedScheduling ERROR_SPIKE connection refused "
                         "no such host Authentication failed ImagePullBackOff")
    checked = 0
    for problem in problems:
        truth = answer_filter(problem)
        forbidden = {t.lower() for t in truth.terms if t != problem.family} | {problem.target.lower()} - {""}
        shown = guidance_provider(aoi_home / "aoi.db", exclude_answers_of=problem, limit=50)(
            TaskSpec(problem.task, "fault", "ns", ()), everything)
        assert shown, problem.id  # the careful lesson is still there
        for text in shown:
            assert not any(word in text.lower() for word in forbidden), (problem.id, text)
        checked += 1
    assert checked >= 50


def test_an_episode_with_guidance_shows_it_to_the_observer_inside_the_guidance_element(aoi_home: Path,
                                                                                        conn: Any) -> None:
    GuidanceMemory(conn).add(_lesson("crashloopbackoff", "read the previous logs of the crashing pod"))
    plan = [probe(("get_resources", {"resource_type": "pods"})), submit(["geo"])]
    _, model = run_episode(aoi_home, plan, guidance=guidance_provider(aoi_home / "aoi.db",
                                                                      exclude_answers_of={"family": "x"}))
    assert len(model.calls) == 2
    for messages in model.calls:  # before any symptom the task's lessons show; after, the symptoms' ones
        prompt = messages[-1]["content"]
        assert "<guidance source='evolver'>\n- read the previous logs of the crashing pod [evolver lesson #1" in prompt
