"""``kubectl get -o yaml`` output: key order, indentation, quoting, folding, list wrapper."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from aoi.cluster.render import render_yaml


def test_an_object_is_dumped_with_sorted_keys_indentless_lists_and_kubectl_quoting() -> None:
    pod = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": "web-1",
            "namespace": "boutique",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "resourceVersion": "42",
            "managedFields": [{"manager": "kubectl"}],
        },
        "spec": {
            "containers": [
                {
                    "name": "server",
                    "image": "registry.example/web:v1",
                    "env": [{"name": "PORT", "value": "8080"}, {"name": "DEBUG", "value": "true"}],
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "resources": {},
                    "args": [],
                }
            ],
            "enableServiceLinks": True,
        },
    }
    assert render_yaml(pod) == (
        "apiVersion: v1\n"
        "kind: Pod\n"
        "metadata:\n"
        '  creationTimestamp: "2026-01-01T00:00:00Z"\n'
        "  name: web-1\n"
        "  namespace: boutique\n"
        '  resourceVersion: "42"\n'
        "spec:\n"
        "  containers:\n"
        "  - args: []\n"
        "    env:\n"
        "    - name: PORT\n"
        '      value: "8080"\n'
        "    - name: DEBUG\n"
        '      value: "true"\n'
        "    image: registry.example/web:v1\n"
        "    name: server\n"
        "    ports:\n"
        "    - containerPort: 8080\n"
        "      protocol: TCP\n"
        "    resources: {}\n"
        "  enableServiceLinks: true\n"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain text", "v: plain text\n"),
        ("", 'v: ""\n'),
        ("null", 'v: "null"\n'),
        ("y", 'v: "y"\n'),
        ("0755", 'v: "0755"\n'),
        ("1e3", 'v: "1e3"\n'),
        ("12:30", 'v: "12:30"\n'),
        ("a: b", "v: 'a: b'\n"),
        ("*", "v: '*'\n"),
        ("- item", "v: '- item'\n"),
        ("x #y", "v: 'x #y'\n"),
        ("it's", "v: it's\n"),
        ("'quoted'", "v: '''quoted'''\n"),
        ("-x", "v: -x\n"),
        ("tab\there", 'v: "tab\\there"\n'),
        ("line1\nline2", "v: |-\n  line1\n  line2\n"),
        ("line1\n", "v: |\n  line1\n"),
    ],
)
def test_strings_are_quoted_only_when_go_yaml_would_quote_them(value: str, expected: str) -> None:
    assert render_yaml({"v": value}) == expected


def test_long_messages_fold_at_a_space_past_column_eighty() -> None:
    message = "0/4 nodes are available: 1 node(s) were unschedulable, 3 Insufficient cpu. preemption: 0/4 nodes"
    out = render_yaml({"status": {"message": message}})
    assert out == (
        "status:\n"
        "  message: '0/4 nodes are available: 1 node(s) were unschedulable, 3 Insufficient\n"
        "    cpu. preemption: 0/4 nodes'\n"
    )
    assert yaml.safe_load(out)["status"]["message"] == message


def test_a_list_is_wrapped_like_kubectl_and_multi_document_output_uses_separators() -> None:
    items = [{"kind": "Service", "metadata": {"name": "a"}}, {"kind": "Service", "metadata": {"name": "b"}}]
    assert render_yaml(items) == (
        "apiVersion: v1\n"
        "items:\n"
        "- kind: Service\n"
        "  metadata:\n"
        "    name: a\n"
        "- kind: Service\n"
        "  metadata:\n"
        "    name: b\n"
        "kind: List\n"
        "metadata:\n"
        '  resourceVersion: ""\n'
    )
    assert render_yaml(items, multi_document=True) == (
        "kind: Service\nmetadata:\n  name: a\n---\nkind: Service\nmetadata:\n  name: b\n"
    )


def test_keys_sort_with_numbers_compared_by_value() -> None:
    assert render_yaml({"item10": 1, "item9": 2, "Zeta": 3, "alpha": 4}) == "Zeta: 3\nalpha: 4\nitem9: 2\nitem10: 1\n"


# A lone "=" is excluded: go-yaml (and so kubectl, and we) print it plain, but PyYAML reads it as YAML 1.1's
# "value" tag and cannot load it back.
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=120),
    st.text(alphabet=" abc:#-'\"\n", max_size=40),
).filter(lambda value: value != "=")
_DOCS = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.text(alphabet="abcdefghijklmnopqrstuvwxyz.-/", min_size=1, max_size=20), children, max_size=4
        ),
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10), _DOCS, max_size=5))
def test_whatever_is_dumped_reads_back_as_the_same_data(doc: dict) -> None:
    assert yaml.safe_load(render_yaml(doc)) == doc
