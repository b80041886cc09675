"""The `aoi` command's contract with outside scripts: `aoi sim faults --json` and `aoi sim show`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from aoi.cli import main

REGISTRY = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "aiopslab_registry.csv"


@pytest.fixture(scope="module")
def faults() -> list[dict]:
    result = CliRunner().invoke(main, ["sim", "faults", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_fault_list_items_carry_family_app_level_and_type(faults: list[dict]) -> None:
    assert faults
    for item in faults:
        assert {"family", "app", "system_level", "fault_type"} <= set(item)
        assert item["app"] in {"hotel-reservation", "social-network", "astronomy-shop", "online-boutique"}


def test_every_aiopslab_family_except_flower_is_in_the_library(faults: list[dict]) -> None:
    if not REGISTRY.exists():
        pytest.skip(f"AIOpsLab registry not found at {REGISTRY}")
    app_names = {"HotelReservation": "hotel-reservation", "SocialNetwork": "social-network",
                 "AstronomyShop (OpenTelemetry demo)": "astronomy-shop"}
    with REGISTRY.open() as fh:
        wanted = {(row["family"], app_names[row["app"]]) for row in csv.DictReader(fh)
                  if not row["app"].startswith("Flower")}
    have = {(f["family"], f["app"]) for f in faults}
    assert wanted - have == set()


def test_analysis_families_report_the_registry_labels(faults: list[dict]) -> None:
    if not REGISTRY.exists():
        pytest.skip(f"AIOpsLab registry not found at {REGISTRY}")
    with REGISTRY.open() as fh:
        expected = {row["family"]: (row["expected_system_level"], row["expected_fault_type"])
                    for row in csv.DictReader(fh) if row["task"] == "analysis"}
    by_family = {f["family"]: (f["system_level"], f["fault_type"]) for f in faults}
    assert {fam: by_family[fam] for fam in expected} == expected


def test_at_least_thirty_kubernetes_root_causes_are_modelled(faults: list[dict]) -> None:
    levels = {"Admission_Fault", "Scheduling_Fault", "Startup_Fault", "Runtime_Fault", "Service_Routing_Fault",
              "Performance_Fault", "Infrastructure_Fault"}
    root_causes = {f["family"] for f in faults if f["system_level"] in levels}
    assert len(root_causes) >= 30


def test_every_fault_lists_its_variants_the_default_first(faults: list[dict]) -> None:
    for item in faults:
        assert item["variants"] and all(v["name"] and v["description"] for v in item["variants"])
    by_family = {f["family"]: [v["name"] for v in f["variants"]] for f in faults}
    assert by_family["oom_killed"] == ["start", "runtime"]
    assert by_family["service_env_var_address_mismatch"] == ["namespace", "port", "host"]
    assert by_family["pod_cpu_overload"] == ["default"]


def _show(*args: str) -> str:
    result = CliRunner().invoke(main, ["sim", "show", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_show_json_is_byte_identical_for_the_same_seed_and_differs_across_seeds() -> None:
    args = ["--app", "online-boutique", "--fault", "oom_killed", "--ticks", "12", "--json"]
    first, second = _show(*args, "--seed", "3"), _show(*args, "--seed", "3")
    assert first == second
    assert _show(*args, "--seed", "4") != first
    report = json.loads(first)
    assert report["ground_truth"]["faulty_components"] == ["adservice"]
    assert set(report["evidence"]) >= {"pods", "events", "error_logs", "metrics", "alerts"}


def test_show_renders_the_incident_for_a_human() -> None:
    text = _show("--app", "hotel-reservation", "--fault", "revoke_auth_mongodb", "--target", "mongodb-geo")
    assert "CrashLoopBackOff" in text
    assert "not authorized on geo-db" in text
    assert "## Firing alerts" in text


def test_show_injects_the_variant_asked_for() -> None:
    report = json.loads(_show("--app", "online-boutique", "--fault", "oom_killed", "--variant", "runtime", "--clean",
                              "--json"))
    assert report["variant"] == "runtime"
    assert "CrashLoopBackOff" in report["evidence"]["pods"]
    assert "variant runtime" in _show("--app", "online-boutique", "--fault", "oom_killed", "--variant", "runtime")


def test_an_unknown_variant_is_a_usage_error_that_names_the_valid_ones() -> None:
    result = CliRunner().invoke(main, ["sim", "show", "--app", "online-boutique", "--fault", "oom_killed",
                                       "--variant", "boot"])
    assert result.exit_code == 2
    assert "has no variant 'boot'; variants: start, runtime" in result.output


def test_unknown_fault_is_a_usage_error_that_names_valid_choices() -> None:
    result = CliRunner().invoke(main, ["sim", "show", "--app", "online-boutique", "--fault", "gremlins"])
    assert result.exit_code == 2
    assert "unknown fault 'gremlins'" in result.output
    assert "aoi sim faults" in result.output


def test_a_fault_for_another_app_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["sim", "show", "--app", "online-boutique", "--fault", "revoke_auth_mongodb"])
    assert result.exit_code == 2
    assert "does not apply to app 'online-boutique'" in result.output


def test_unknown_app_is_rejected_with_the_list_of_apps() -> None:
    result = CliRunner().invoke(main, ["sim", "show", "--app", "nope", "--fault", "noop"])
    assert result.exit_code == 2
    assert "hotel-reservation" in result.output
