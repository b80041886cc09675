"""`aoi sim record`: a simulated incident written in the Cloud-OpsBench case layout replays through `replay:` and
triages exactly as the live simulation does, for every root cause of the library.

Every fixture is recorded by the simulator into tmp_path at test time. The dev split of the real benchmark is only
read (at run time, skipped when absent) to check that the keys and files have the same shape.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aoi.cli import main
from aoi.cluster.replay import ReplayReader
from aoi.cluster.sim import record
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.faults.k8s import K8S_FAULTS
from aoi.diagnosis import TriageReport, triage
from aoi.evals import synthetic
from aoi.evals.opsbench import case_dirs, dev_split_dir
from aoi.evals.opsbench_suite import case_query, case_truth, load_choices

ONLINE_BOUTIQUE = "online-boutique"
HOTEL = "hotel-reservation"
AIOPSLAB_ON_HOTEL = ("redeploy_without_PV", "revoke_auth_mongodb", "network_delay_hotel_res")
_KEY = re.compile(r"^(\w+):(\{.*\})$", re.S)
ARGUMENT_ORDER = {
    "GetResources": ("resource_type", "name", "namespace"), "DescribeResource": ("resource_type", "name", "namespace"),
    "GetAppYAML": ("app_name",), "GetServiceDependencies": ("service_name",),
    "CheckServiceConnectivity": ("namespace", "service_name", "port"),
    "CheckNodeServiceStatus": ("node_name", "service_name"), "GetErrorLogs": ("namespace", "service_name"),
    "GetClusterConfiguration": (), "GetAlerts": (),
}
"""The benchmark's argument order per tool (GetResources may add one of output_wide/show_labels/label_selector)."""


@pytest.fixture(scope="module")
def incidents(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[SimCluster, Path]]:
    """(app, fault) → the live simulation and its recording, made once for the module."""
    root = tmp_path_factory.mktemp("recorded")
    made: dict[tuple[str, str], tuple[SimCluster, Path]] = {}
    pairs = [(ONLINE_BOUTIQUE, f) for f in sorted(K8S_FAULTS)] + [(HOTEL, f) for f in AIOPSLAB_ON_HOTEL]
    for app, family in pairs:
        cluster, fault = synthetic.simulate(app, family, seed=0)
        folder = record.write_snapshot(cluster, root / app / family,
                                       synthetic.case_metadata(cluster, fault, seed=0, ticks=synthetic.DEFAULT_TICKS))
        made[app, family] = cluster, folder
    return made


def _scored(report: TriageReport) -> list[tuple[str, str, float]]:
    return [(h.cause, h.object, h.score) for h in report.hypotheses]


@pytest.mark.parametrize(("app", "family"), [(ONLINE_BOUTIQUE, f) for f in sorted(K8S_FAULTS)]
                         + [(HOTEL, f) for f in AIOPSLAB_ON_HOTEL])
def test_the_replayed_recording_ranks_the_same_hypotheses_as_the_live_simulation(
        incidents: dict[tuple[str, str], tuple[SimCluster, Path]], app: str, family: str) -> None:
    cluster, folder = incidents[app, family]
    live = triage(cluster, cluster.namespace)
    replayed = triage(ReplayReader(folder), cluster.namespace)

    assert _scored(replayed) == _scored(live)
    if app == ONLINE_BOUTIQUE and live.hypotheses:
        assert (replayed.hypotheses[0].cause, replayed.hypotheses[0].object) == \
            (live.hypotheses[0].cause, live.hypotheses[0].object)


def test_recording_the_same_incident_twice_gives_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    def files(seed: int, name: str) -> dict[str, bytes]:
        folder = synthetic.record_incident(ONLINE_BOUTIQUE, "liveness_probe_incorrect_port", tmp_path / name,
                                           seed=seed)
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    first, again, other = files(3, "a"), files(3, "b"), files(4, "c")

    assert first == again
    assert set(first) == {"tool_cache.json", "metadata.json", "raw_data/alert.json", "raw_data/logs.json",
                          "raw_data/metrics.csv"}
    assert first["tool_cache.json"] != other["tool_cache.json"]


def test_every_key_is_a_benchmark_tool_with_compact_json_arguments_in_the_benchmark_order(
        incidents: dict[tuple[str, str], tuple[SimCluster, Path]]) -> None:
    _, folder = incidents[ONLINE_BOUTIQUE, "oom_killed"]
    cache = json.loads((folder / "tool_cache.json").read_text(encoding="utf-8"))

    assert next(iter(cache)) == "collection_timestamp"
    for key in list(cache)[1:]:
        match = _KEY.match(key)
        assert match, key
        tool, raw = match.groups()
        args = json.loads(raw)
        assert json.dumps(args, separators=(",", ":")) == raw
        assert tuple(args)[:len(ARGUMENT_ORDER[tool])] == ARGUMENT_ORDER[tool]
        extra = tuple(args)[len(ARGUMENT_ORDER[tool]):]
        assert extra in ((), ("output_wide",), ("show_labels",), ("label_selector",)) if tool == "GetResources" \
            else extra == ()
    assert isinstance(cache["CheckServiceConnectivity:" + json.dumps(
        {"namespace": "boutique", "service_name": "adservice", "port": 9555}, separators=(",", ":"))], str)


def _signatures(cache: dict[str, Any]) -> set[tuple[str, tuple[str, ...], str]]:
    """(tool, argument names, resource type) of every call in a cache, the app's namespace only."""
    out = set()
    for key in cache:
        tool, _, raw = key.partition(":")
        if tool != "collection_timestamp":
            args = json.loads(raw)
            if args.get("namespace", "boutique") == "boutique":
                out.add((tool, tuple(args), str(args.get("resource_type", ""))))
    return out


def test_the_recording_makes_the_calls_every_real_case_holds_and_none_they_never_hold(
        incidents: dict[tuple[str, str], tuple[SimCluster, Path]]) -> None:
    root = dev_split_dir()
    if root is None:
        pytest.skip("Cloud-OpsBench dev split (shared/data) not present")
    real = [_signatures(json.loads((case / "tool_cache.json").read_text(encoding="utf-8")))
            for case in case_dirs(root)]
    _, folder = incidents[ONLINE_BOUTIQUE, "oom_killed"]
    ours = _signatures(json.loads((folder / "tool_cache.json").read_text(encoding="utf-8")))
    real_files = {p.name for case in case_dirs(root) for p in (case / "raw_data").iterdir()}

    assert set.intersection(*real) <= ours
    assert ours <= set.union(*real)
    assert {p.name for p in (folder / "raw_data").iterdir()} <= real_files


@pytest.mark.parametrize("family", ["oom_killed", "kubelet_unavailable", "namespace_pod_quota_exceeded"])
def test_the_metadata_holds_the_ground_truth_and_a_symptom_that_does_not_name_it(
        incidents: dict[tuple[str, str], tuple[SimCluster, Path]], family: str) -> None:
    _, folder = incidents[ONLINE_BOUTIQUE, family]
    truth = K8S_FAULTS[family](ONLINE_BOUTIQUE).ground_truth()

    assert case_truth(folder) == {"fault_taxonomy": truth.system_level, "fault_object": truth.fault_object,
                                  "root_cause": family}
    query = case_query(folder)
    assert query in synthetic.QUERIES.values()
    assert not set(family.split("_")) & set(query.lower().strip(".").split())


def test_an_aiopslab_fault_is_named_by_the_taxonomy_row_it_is_an_instance_of(
        incidents: dict[tuple[str, str], tuple[SimCluster, Path]]) -> None:
    _, folder = incidents[HOTEL, "revoke_auth_mongodb"]

    assert case_truth(folder) == {"fault_taxonomy": "Runtime_Fault", "fault_object": "service/mongodb-geo",
                                  "root_cause": "datastore_user_role_revoked"}


def test_a_set_is_laid_out_as_the_cloud_opsbench_suite_reads_it(tmp_path: Path) -> None:
    families = ["oom_killed", "node_cordoned", "kubelet_unavailable"]
    cases = synthetic.record_set(tmp_path / "set", families=families, seeds=2)

    assert case_dirs(tmp_path / "set") == sorted(cases)
    assert sorted(str(c.relative_to(tmp_path / "set")) for c in cases) == [
        "infrastructure/1", "infrastructure/2", "runtime/1", "runtime/2", "scheduling/1", "scheduling/2"]
    choices = load_choices(tmp_path / "set")
    assert set(choices.root_causes) == set(families)
    assert {"node/worker-01", "service/adservice", "namespace/boutique"} <= set(choices.fault_objects)
    assert {case_truth(c)["root_cause"] for c in cases} == set(families)


def test_an_existing_folder_is_kept_unless_forced_and_then_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "case"
    out.mkdir()
    (out / "notes.txt").write_text("mine")

    with pytest.raises(FileExistsError, match="--force"):
        synthetic.record_incident(ONLINE_BOUTIQUE, "oom_killed", out)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    synthetic.record_incident(ONLINE_BOUTIQUE, "oom_killed", out, force=True)
    assert not (out / "notes.txt").exists() and (out / "tool_cache.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["case"]


def test_an_interrupted_recording_leaves_no_folder_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail_midway(folder: Path, files: dict[str, str]) -> None:
        (folder / "tool_cache.json").write_text("{}")
        raise OSError("disk full")

    monkeypatch.setattr(record, "write_files", fail_midway)

    with pytest.raises(OSError, match="disk full"):
        synthetic.record_incident(ONLINE_BOUTIQUE, "oom_killed", tmp_path / "case")
    assert list(tmp_path.iterdir()) == []


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, ["sim", "record", *args])


def test_the_cli_records_an_incident_that_replay_and_triage_read(tmp_path: Path) -> None:
    out = tmp_path / "oom"
    result = _cli("--app", ONLINE_BOUTIQUE, "--fault", "oom_killed", "--seed", "1", "--out", str(out))

    assert result.exit_code == 0, result.output
    assert f"replay:{out}" in result.output
    triaged = CliRunner().invoke(main, ["triage", "--cluster", f"replay:{out}", "--json"])
    assert triaged.exit_code == 0, triaged.output
    assert json.loads(triaged.output)["hypotheses"][0]["cause"] == "oom_killed"


def test_the_cli_records_the_variant_asked_for_and_its_metadata_says_which(tmp_path: Path) -> None:
    out = tmp_path / "oom"
    result = _cli("--app", ONLINE_BOUTIQUE, "--fault", "oom_killed", "--variant", "runtime", "--out", str(out))

    assert result.exit_code == 0, result.output
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["simulation"]["variant"] == "runtime"
    assert metadata["result"]["root_cause"] == "oom_killed"
    triaged = CliRunner().invoke(main, ["triage", "--cluster", f"replay:{out}", "--json"])
    assert json.loads(triaged.output)["hypotheses"][0]["cause"] == "oom_killed"


def test_the_cli_records_a_set(tmp_path: Path) -> None:
    result = _cli("--many", "--apps", HOTEL, "--faults", "revoke_auth_mongodb,redeploy_without_PV", "--out",
                  str(tmp_path / "set"))

    assert result.exit_code == 0, result.output
    assert "recorded 2 cases" in result.output
    assert len(case_dirs(tmp_path / "set")) == 2 and (tmp_path / "set" / "labels.json").is_file()


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--app", ONLINE_BOUTIQUE, "--fault", "gremlins"], 2, "unknown fault 'gremlins'"),
    (["--app", ONLINE_BOUTIQUE, "--fault", "revoke_auth_mongodb"], 2, "does not apply to online-boutique"),
    (["--app", HOTEL, "--fault", "noop"], 2, "healthy control"),
    (["--app", "nope", "--fault", "oom_killed"], 2, "'nope' is not one of"),
    (["--app", ONLINE_BOUTIQUE, "--fault", "oom_killed", "--target", "../etc"], 2, "not a Kubernetes object name"),
    (["--app", ONLINE_BOUTIQUE, "--fault", "oom_killed", "--target", "nosuch"], 2, "no deployment 'nosuch'"),
    (["--fault", "oom_killed"], 2, "give --app and --fault"),
    (["--many", "--fault", "oom_killed"], 2, "leave out --app, --fault, --target and --variant"),
    (["--many", "--variant", "runtime"], 2, "leave out --app, --fault, --target and --variant"),
    (["--app", ONLINE_BOUTIQUE, "--fault", "oom_killed", "--variant", "boot"], 2,
     "fault 'oom_killed' has no variant 'boot'; variants: start, runtime"),
    (["--many", "--apps", "nope"], 2, "unknown app(s) 'nope'"),
    (["--many", "--faults", "oom_killed,gremlins"], 2, "unknown fault family 'gremlins'"),
    (["--many", "--faults", "revoke_auth_mongodb"], 2, "no fault of the library applies"),
])
def test_bad_input_is_one_error_line_and_no_folder(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    result = _cli(*args, "--out", str(tmp_path / "out"))

    assert result.exit_code == code, result.output
    assert message in result.output and "Error:" in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_existing_non_empty_out_is_an_error_until_forced(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep").write_text("x")
    args = ["--app", ONLINE_BOUTIQUE, "--fault", "oom_killed", "--out", str(tmp_path / "out")]

    refused = _cli(*args)
    assert refused.exit_code == 1
    assert "Error:" in refused.output and "--force" in refused.output and "Traceback" not in refused.output
    assert _cli(*args, "--force").exit_code == 0
