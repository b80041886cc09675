"""Patch semantics: RFC 7386 merge patch, RFC 6902 JSON patch, strategic merge by key."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aoi.cluster.interface import InvalidArgumentError
from aoi.cluster.patching import json_patch, merge_patch, strategic_merge_patch

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)
json_objects = st.dictionaries(st.text(max_size=3), json_values, max_size=4)


def test_merge_patch_null_deletes_and_objects_merge_recursively() -> None:
    target = {"spec": {"replicas": 1, "selector": {"app": "a"}}, "keep": True}
    assert merge_patch(target, {"spec": {"replicas": 3, "selector": None}}) == {"spec": {"replicas": 3}, "keep": True}


def test_merge_patch_replaces_lists_whole() -> None:
    assert merge_patch({"ports": [1, 2]}, {"ports": [3]}) == {"ports": [3]}


@given(json_objects, json_objects)
def test_merge_patch_never_mutates_its_inputs(target: dict, patch: dict) -> None:
    before_t, before_p = copy.deepcopy(target), copy.deepcopy(patch)
    merge_patch(target, patch)
    assert (target, patch) == (before_t, before_p)


@given(json_objects)
def test_merge_patch_with_a_document_without_nulls_is_idempotent(target: dict) -> None:
    patch = {k: v for k, v in target.items() if v is not None}
    once = merge_patch(target, patch)
    assert merge_patch(once, patch) == once


def test_strategic_merge_updates_the_named_container_and_keeps_the_others() -> None:
    target = {"containers": [{"name": "a", "image": "x:1", "env": [{"name": "K", "value": "1"}]}, {"name": "b"}]}
    patched = strategic_merge_patch(target, {"containers": [{"name": "a", "env": [{"name": "K", "value": "2"},
                                                                                   {"name": "N", "value": "3"}]}]})
    assert patched == {"containers": [{"name": "a", "image": "x:1", "env": [{"name": "K", "value": "2"},
                                                                            {"name": "N", "value": "3"}]},
                                      {"name": "b"}]}


def test_strategic_merge_delete_directive_removes_the_item() -> None:
    target = {"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
    assert strategic_merge_patch(target, {"env": [{"name": "A", "$patch": "delete"}]}) == {
        "env": [{"name": "B", "value": "2"}]}


def test_strategic_merge_rejects_list_items_without_their_merge_key() -> None:
    with pytest.raises(InvalidArgumentError, match="merge key 'name'"):
        strategic_merge_patch({"containers": [{"name": "a"}]}, {"containers": [{"image": "x"}]})


def test_json_patch_applies_operations_in_order() -> None:
    doc = {"spec": {"ports": [{"port": 80, "targetPort": 9999}]}}
    ops = [{"op": "test", "path": "/spec/ports/0/targetPort", "value": 9999},
           {"op": "replace", "path": "/spec/ports/0/targetPort", "value": 9090},
           {"op": "add", "path": "/spec/ports/-", "value": {"port": 81}},
           {"op": "copy", "from": "/spec/ports/0/port", "path": "/spec/firstPort"},
           {"op": "remove", "path": "/spec/ports/1"}]
    assert json_patch(doc, ops) == {"spec": {"ports": [{"port": 80, "targetPort": 9090}], "firstPort": 80}}
    assert doc["spec"]["ports"][0]["targetPort"] == 9999


@pytest.mark.parametrize(("ops", "message"), [
    ({"op": "add"}, "list of operations"),
    ([{"op": "replace", "path": "/missing", "value": 1}], "does not exist"),
    ([{"op": "frobnicate", "path": "/a"}], "unknown JSON patch op"),
    ([{"op": "test", "path": "/a", "value": 2}], "test failed"),
    ([{"op": "add", "path": "a", "value": 1}], "must start with '/'"),
    ([{"op": "remove", "path": "/list/7"}], "out of range"),
    ([{"op": "add", "path": "/a"}], "needs 'value'"),
])
def test_malformed_json_patches_are_refused_with_a_reason(ops: object, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        json_patch({"a": 1, "list": [1]}, ops)


@given(json_objects, st.text(min_size=1, max_size=4).filter(lambda s: "/" not in s and "~" not in s), json_values)
def test_json_patch_add_then_remove_restores_the_document(doc: dict, key: str, value: object) -> None:
    if key in doc:
        return
    added = json_patch(doc, [{"op": "add", "path": f"/{key}", "value": value}])
    assert added[key] == value
    assert json_patch(added, [{"op": "remove", "path": f"/{key}"}]) == doc
