"""The expert's readers of tool output: which warnings are about the present, and which services fail in traces."""

from __future__ import annotations

from aoi.baselines.evidence import failing_in_traces, warning_events

SERVICES = ("frontend", "rate", "geo")
PODS = """NAME                     READY   STATUS             RESTARTS      AGE
frontend-7d9f8b6c5-x2k4q   1/1     Running            0             3d
rate-5c8d7f9b4-m8n2p       0/1     CrashLoopBackOff   4 (20s ago)   2m
geo-6b7c8d9e5-q1w2e        1/1     Running            0             3d
"""


def _events(*rows: tuple[str, str, str]) -> str:
    header = "LAST SEEN   TYPE      REASON         OBJECT                       MESSAGE\n"
    return header + "".join(f"5m          Warning   {reason:<14} {obj:<28} {message}\n"
                            for reason, obj, message in rows)


def test_without_the_pods_table_every_warning_counts() -> None:
    events = _events(("BackOff", "pod/rate-5c8d7f9b4-gone1", "Back-off restarting failed container"))
    assert [(w.component, w.reason) for w in warning_events(events, SERVICES)] == [("rate", "BackOff")]


def test_warnings_about_pods_that_are_gone_or_replicasets_a_rollout_replaced_are_history() -> None:
    events = _events(
        ("BackOff", "pod/rate-5c8d7f9b4-m8n2p", "Back-off restarting failed container"),
        ("BackOff", "pod/rate-5c8d7f9b4-gone1", "Back-off restarting failed container"),
        ("FailedCreate", "replicaset/rate-4a1b2c3d9", 'Error creating: pods "rate-4a1b2c3d9-" is forbidden: '
                                                      "error looking up service account"),
        ("FailedCreate", "replicaset/geo-6b7c8d9e5", "Error creating: exceeded quota"),
    )
    current = [(w.component, w.reason) for w in warning_events(events, SERVICES, PODS)]
    # rate's own pod is current; rate's old ReplicaSet has no pods (another one's are running); geo is healthy.
    assert current == [("rate", "BackOff")]


def test_a_refusal_stays_current_while_its_workload_has_no_pod_at_all() -> None:
    pods = PODS.splitlines()[0] + "\n" + PODS.splitlines()[1] + "\n"  # frontend only
    events = _events(("FailedCreate", "replicaset/rate-5c8d7f9b4", "Error creating: exceeded quota"))
    assert [(w.component, w.reason) for w in warning_events(events, SERVICES, pods)] == [("rate", "FailedCreate")]


def test_failing_services_in_traces_are_listed_callers_first_once_each() -> None:
    traces = ('{"traces": [{"trace_id": "a", "spans": [{"span_id": "1", "service": "frontend", "error": true}, '
              '{"span_id": "2", "service": "rate", "error": true}, {"span_id": "3", "service": "geo", '
              '"error": false}, {"span_id": "4", "service": "frontend", "error": true}, '
              '{"span_id": "5", "service": "unknown-svc", "error": true}]}]}')
    assert failing_in_traces(traces, SERVICES) == ["frontend", "rate"]
    assert failing_in_traces("no traces", SERVICES) == []
