"""kubectl's human durations (``HumanDuration``) and timestamp helpers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aoi.cluster.render import human_duration, rfc1123z, since


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0s"),
        (45, "45s"),
        (119, "119s"),
        (120, "2m"),
        (560, "9m20s"),
        (599, "9m59s"),
        (600, "10m"),
        (37 * 60 + 59, "37m"),
        (3 * 3600 - 1, "179m"),
        (3 * 3600, "3h"),
        (5 * 3600 + 10 * 60 + 59, "5h10m"),
        (8 * 3600, "8h"),
        (47 * 3600 + 3599, "47h"),
        (48 * 3600, "2d"),
        (3 * 86400 + 4 * 3600, "3d4h"),
        (8 * 86400, "8d"),
        (45 * 86400, "45d"),
        (730 * 86400, "2y"),
        (760 * 86400, "2y30d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_human_duration_keeps_two_or_three_significant_figures_like_kubectl(seconds: int, expected: str) -> None:
    assert human_duration(seconds) == expected
    assert human_duration(timedelta(seconds=seconds)) == expected


def test_up_to_two_seconds_in_the_future_reads_as_zero_and_beyond_that_as_invalid() -> None:
    assert human_duration(-0.4) == "0s"
    assert human_duration(-1.9) == "0s"
    assert human_duration(-2) == "<invalid>"
    assert human_duration(timedelta(days=-3)) == "<invalid>"


def test_an_unset_timestamp_has_an_unknown_age() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert since(None, now) == "<unknown>"
    assert since("", now) == "<unknown>"
    assert since("2025-12-31T23:59:15Z", now) == "45s"


def test_describe_timestamps_use_rfc1123z_in_the_zone_of_now() -> None:
    utc_now = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    shanghai_now = utc_now.astimezone(timezone(timedelta(hours=8)))
    assert rfc1123z("2026-01-10T09:10:15Z", utc_now) == "Sat, 10 Jan 2026 09:10:15 +0000"
    assert rfc1123z("2026-01-10T09:10:15Z", shanghai_now) == "Sat, 10 Jan 2026 17:10:15 +0800"
    assert rfc1123z(None, utc_now) == "Mon, 01 Jan 0001 00:00:00 +0000"


_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "y": 365 * 86400}


def _lower_bound_seconds(text: str) -> int:
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in re.findall(r"(\d+)([smhdy])", text))


@given(st.floats(min_value=-1.99, max_value=20 * 365 * 86400, allow_nan=False))
def test_a_duration_is_never_rendered_empty_and_never_exceeds_the_real_duration(seconds: float) -> None:
    text = human_duration(seconds)
    assert re.fullmatch(r"(\d+[smhdy])+", text)
    assert _lower_bound_seconds(text) <= max(seconds, 0)


@given(
    st.integers(min_value=0, max_value=20 * 365 * 86400),
    st.integers(min_value=0, max_value=20 * 365 * 86400),
)
def test_longer_durations_never_render_as_shorter_ones(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert _lower_bound_seconds(human_duration(low)) <= _lower_bound_seconds(human_duration(high))
