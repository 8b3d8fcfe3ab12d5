"""RFC 3339 dates and date-times: strict recognition, and comparison by instant."""

import re
from datetime import UTC, datetime
from typing import Any

DATE_TIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _valid_date(year: int, month: int, day: int) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return day <= days


def is_rfc3339_date(value: Any) -> bool:
    match = DATE_RE.match(value) if isinstance(value, str) else None
    return bool(match) and _valid_date(*(int(g) for g in match.groups()))  # type: ignore[union-attr]


def is_rfc3339_date_time(value: Any) -> bool:
    match = DATE_TIME_RE.match(value) if isinstance(value, str) else None
    if not match:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    if not _valid_date(year, month, day) or hour > 23 or minute > 59 or second > 60:
        return False
    if match.group(9):
        return int(match.group(10)) <= 23 and int(match.group(11)) <= 59
    return True


def epoch_seconds(value: str) -> float:
    """Seconds since 1970 for an RFC 3339 date-time (leap second folded into :59); ValueError otherwise."""
    match = DATE_TIME_RE.match(value)
    if not match or not is_rfc3339_date_time(value):
        raise ValueError(f"not an RFC 3339 date-time: {value!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    days = _days_from_civil(year, month, day)
    offset = 0
    if match.group(9):
        offset = (int(match.group(10)) * 60 + int(match.group(11))) * 60 * (1 if match.group(9) == "+" else -1)
    fraction = float("0" + match.group(7)) if match.group(7) else 0.0
    return days * 86400 + hour * 3600 + minute * 60 + min(second, 59) + fraction - offset


def _days_from_civil(year: int, month: int, day: int) -> int:
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def format_epoch(seconds: float) -> str:
    """An RFC 3339 UTC timestamp for epoch seconds (second precision)."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
