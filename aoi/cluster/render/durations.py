"""kubectl's human readable durations and timestamp helpers.

``human_duration`` is a port of ``k8s.io/apimachinery/pkg/util/duration.HumanDuration``: it keeps two or three
significant figures (``45s``, ``9m20s``, ``37m``, ``5h10m``, ``3d4h``, ``45d``, ``2y30d``), shows ``0s`` for
up to two seconds in the future (clock skew) and ``<invalid>`` beyond that.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

UNKNOWN = "<unknown>"
INVALID = "<invalid>"

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NS_PER_SECOND = 1_000_000_000
_NS_PER_MINUTE = 60 * _NS_PER_SECOND
_NS_PER_HOUR = 60 * _NS_PER_MINUTE


def _trunc_div(a: int, b: int) -> int:
    """Integer division rounding toward zero, like Go's ``/`` on integers."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _to_nanoseconds(d: timedelta | float | int) -> int:
    if isinstance(d, timedelta):
        return (d.days * 86_400 + d.seconds) * _NS_PER_SECOND + d.microseconds * 1000
    return round(d * _NS_PER_SECOND)


def human_duration(d: timedelta | float | int) -> str:
    """Render a duration (a ``timedelta`` or a number of seconds) the way kubectl's AGE columns do."""
    ns = _to_nanoseconds(d)
    seconds = _trunc_div(ns, _NS_PER_SECOND)
    if seconds < -1:
        return INVALID
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = ns // _NS_PER_MINUTE
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = ns // _NS_PER_HOUR
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def parse_timestamp(value: object) -> datetime | None:
    """Parse an RFC3339 timestamp (``2026-01-01T00:05:00Z``, fractions and offsets allowed) to an aware datetime.

    Returns ``None`` for missing or empty values (Go's zero time), which callers render as ``<unknown>``.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def aware(now: datetime) -> datetime:
    """Treat a naive ``now`` as UTC."""
    return now if now.tzinfo else now.replace(tzinfo=UTC)


def since(timestamp: object, now: datetime) -> str:
    """``translateTimestampSince``: the age of ``timestamp`` at ``now``, or ``<unknown>`` when it is unset."""
    ts = parse_timestamp(timestamp)
    if ts is None:
        return UNKNOWN
    return human_duration(aware(now) - ts)


def rfc1123z(timestamp: object, now: datetime) -> str:
    """Format like Go's ``time.RFC1123Z`` (``Mon, 02 Jan 2006 15:04:05 -0700``) in ``now``'s time zone.

    kubectl prints describe timestamps in the local zone of the machine running it; we use the zone of the
    ``now`` the caller passes (UTC when it is naive). An unset timestamp prints as Go's zero time.
    """
    ts = parse_timestamp(timestamp)
    if ts is None:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    local = ts.astimezone(aware(now).tzinfo or UTC)
    offset = local.utcoffset() or timedelta(0)
    total_minutes = int(offset.total_seconds()) // 60
    sign = "-" if total_minutes < 0 else "+"
    hh, mm = divmod(abs(total_minutes), 60)
    return (
        f"{_DAYS[local.weekday()]}, {local.day:02d} {_MONTHS[local.month - 1]} {local.year:04d} "
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d} {sign}{hh:02d}{mm:02d}"
    )


__all__ = ["INVALID", "UNKNOWN", "aware", "human_duration", "parse_timestamp", "rfc1123z", "since"]
