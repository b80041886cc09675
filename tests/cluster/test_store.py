"""The object store's identities and label selectors."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aoi.cluster.sim.clock import SimClock
from aoi.cluster.sim.store import ObjectStore, parse_label_selector, selector_matches

label_keys = st.sampled_from(["app", "tier", "env", "io.kompose.service"])
label_values = st.sampled_from(["a", "b", "geo", "prod"])
labels = st.dictionaries(label_keys, label_values, max_size=4)


def test_selector_parsing_covers_equality_inequality_and_existence() -> None:
    assert parse_label_selector("app=geo,tier!=db,env,!canary") == {
        "matchLabels": {"app": "geo"},
        "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]},
                             {"key": "env", "operator": "Exists"},
                             {"key": "canary", "operator": "DoesNotExist"}]}


@pytest.mark.parametrize("text", ["", "app=geo,,", "a b=c", "=x"])
def test_malformed_selectors_raise_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_label_selector(text)


@given(labels, labels)
def test_a_plain_selector_matches_exactly_the_label_supersets(selector: dict, pod_labels: dict) -> None:
    expected = bool(selector) and all(pod_labels.get(k) == v for k, v in selector.items())
    assert selector_matches(selector, pod_labels) is expected
    assert selector_matches({"matchLabels": selector}, pod_labels) is expected


@given(labels)
def test_the_string_form_of_a_label_set_selects_it(pod_labels: dict) -> None:
    if not pod_labels:
        return
    text = ",".join(f"{k}={v}" for k, v in pod_labels.items())
    assert selector_matches(parse_label_selector(text), pod_labels)


def test_empty_selectors_match_nothing() -> None:
    assert not selector_matches({}, {"app": "x"})
    assert not selector_matches(None, {"app": "x"})


def test_store_assigns_deterministic_identities_and_bumps_resource_versions() -> None:
    def build() -> ObjectStore:
        store = ObjectStore(SimClock(), random.Random(7))
        store.create({"kind": "Pod", "metadata": {"generateName": "geo-", "namespace": "ns"}})
        return store

    a, b = build(), build()
    assert [p["metadata"] for p in a.list("Pod")] == [p["metadata"] for p in b.list("Pod")]
    pod = a.list("Pod")[0]
    version = int(pod["metadata"]["resourceVersion"])
    a.touch(pod)
    assert int(pod["metadata"]["resourceVersion"]) == version + 1


def test_creating_an_existing_object_is_refused() -> None:
    store = ObjectStore(SimClock(), random.Random(0))
    store.create({"kind": "Service", "metadata": {"name": "geo", "namespace": "ns"}})
    with pytest.raises(KeyError, match="already exists"):
        store.create({"kind": "Service", "metadata": {"name": "geo", "namespace": "ns"}})
