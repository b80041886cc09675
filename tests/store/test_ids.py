"""Ids that reach the filesystem: one check, and files named by a digest so no id shapes a path."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aoi.store.ids import MAX_ID_LENGTH, check_id, state_file


@pytest.mark.parametrize("value", ["ep-1a2b3c", "opsbench-0123abcd", "eval-k8s-sim-all:r0", "t1", "a.b@c_d"])
def test_ordinary_ids_pass_unchanged(value: str) -> None:
    assert check_id(value) == value


@pytest.mark.parametrize("value", ["../../../x/evil", "/etc/passwd", "a/b", ".hidden", "", "x" * (MAX_ID_LENGTH + 1),
                                   "a\x00b", "a b", "naïve", None, 7, "-leading-dash"])
def test_path_like_or_odd_ids_are_refused_with_a_bounded_message(value: object) -> None:
    with pytest.raises(ValueError, match="invalid thread id") as info:
        check_id(value)
    assert len(str(info.value)) < 300


@given(st.text(max_size=300))
def test_a_state_file_is_always_directly_inside_its_folder(name: str) -> None:
    folder = Path("/var/aoi/sim")
    path = state_file(folder, name)
    assert path.parent == folder and path.name.endswith(".state") and len(path.name) == 38
