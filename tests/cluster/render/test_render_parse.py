"""Parsing kubectl tables back into cells."""

from __future__ import annotations

import pytest
from render_factories import NOW, make_event, make_pod

from aoi.cluster.render import DictSource, parse_kubectl_table, render_table


def test_a_rendered_table_parses_back_into_its_headers_and_cells() -> None:
    pod = make_pod("web-1", age=30)
    event = make_event(pod, "Unhealthy", "Readiness probe failed:  HTTP probe failed with statuscode: 503",
                       type_="Warning", first_ago=30)  # fmt: skip
    text = render_table("events", [event], now=NOW, source=DictSource([]))
    assert parse_kubectl_table(text) == (
        ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
        [
            [
                "30s",
                "Warning",
                "Unhealthy",
                "pod/web-1",
                "Readiness probe failed:  HTTP probe failed with statuscode: 503",
            ]
        ],
    )


def test_multi_word_headers_and_empty_cells_keep_their_columns() -> None:
    text = (
        "NAME   READY   STATUS    RESTARTS   AGE   IP       NODE     NOMINATED NODE   READINESS GATES\n"
        "a-1    0/1     Pending   0          5s    <none>   <none>   <none>           <none>\n"
    )
    headers, rows = parse_kubectl_table(text)
    assert headers[-2:] == ["NOMINATED NODE", "READINESS GATES"]
    assert rows == [["a-1", "0/1", "Pending", "0", "5s", "<none>", "<none>", "<none>", "<none>"]]
    quota = "NAME        AGE    REQUEST              LIMIT\ncpu-quota   112s   requests.cpu: 10/1   \n"
    assert parse_kubectl_table(quota)[1] == [["cpu-quota", "112s", "requests.cpu: 10/1", ""]]


def test_no_resources_parses_as_an_empty_table_and_a_headerless_tail_is_rejected() -> None:
    assert parse_kubectl_table("No resources found in boutique namespace.\n") == ([], [])
    assert parse_kubectl_table("") == ([], [])
    with pytest.raises(ValueError, match="not a kubectl table header"):
        parse_kubectl_table("2m17s       Normal    Started   pod/web-1   Started container server\n")
