"""RFC 3339 recognition at every boundary, and instants checked against Python's own calendar."""

from datetime import UTC, date, datetime, timedelta

import pytest

from conformance.checks.kit.rfc3339 import epoch_seconds, format_epoch, is_rfc3339_date, is_rfc3339_date_time

LAST_DAYS = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


@pytest.mark.parametrize("month", range(1, 13))
def test_each_months_last_day_and_no_later(month: int) -> None:
    last = LAST_DAYS[month]
    assert is_rfc3339_date(f"2025-{month:02d}-{last:02d}")
    assert not is_rfc3339_date(f"2025-{month:02d}-{last + 1:02d}")
    assert is_rfc3339_date_time(f"2025-{month:02d}-{last:02d}T00:00:00Z")
    assert not is_rfc3339_date_time(f"2025-{month:02d}-{last + 1:02d}T00:00:00Z")


def test_leap_years_by_the_gregorian_rules() -> None:
    assert is_rfc3339_date("2024-02-29") and is_rfc3339_date("2000-02-29")
    assert not is_rfc3339_date("2023-02-29") and not is_rfc3339_date("1900-02-29")
    assert not is_rfc3339_date("2025-00-10") and not is_rfc3339_date("2025-13-10")
    assert not is_rfc3339_date("2025-01-00") and not is_rfc3339_date(20250101)
    assert not is_rfc3339_date("2025-01-01x") and not is_rfc3339_date("x2025-01-01")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2025-06-01T23:59:60Z", True),
        ("2025-06-01T23:59:61Z", False),
        ("2025-06-01T23:60:00Z", False),
        ("2025-06-01T24:00:00Z", False),
        ("2025-06-01T00:00:00+23:59", True),
        ("2025-06-01T00:00:00-24:00", False),
        ("2025-06-01T00:00:00+00:60", False),
        ("2025-06-01T00:00:00.5-00:00", True),
        ("2025-06-01T00:00:00+0100", False),
        ("2025-06-01T00:00:00Zx", False),
        ("2025-06-01T00:00:00", False),
        (None, False),
    ],
)
def test_date_time_bounds(value: object, valid: bool) -> None:
    assert is_rfc3339_date_time(value) is valid


@pytest.mark.parametrize(
    "value",
    [
        "1970-01-01T00:00:00Z",
        "1969-12-31T23:59:59.25Z",
        "2000-02-28T12:00:00+05:30",
        "2000-02-29T12:00:00-08:00",
        "2000-03-01T00:00:00Z",
        "1900-03-01T00:00:00Z",
        "2026-11-25T14:30:00.5+01:00",
        "2100-12-31T23:59:59-00:30",
        "0001-01-01T00:00:00Z",
        "1600-02-29T00:00:00Z",
    ],
)
def test_instants_match_pythons_calendar(value: str) -> None:
    expected = datetime.fromisoformat(value.replace("Z", "+00:00")) - datetime(1970, 1, 1, tzinfo=UTC)
    assert epoch_seconds(value) == expected / timedelta(seconds=1)


def test_instants_before_year_one() -> None:
    """Year 0 is a leap year in the proleptic Gregorian calendar RFC 3339 uses."""
    epoch_ordinal = date(1970, 1, 1).toordinal()
    assert epoch_seconds("0000-01-01T00:00:00Z") == (-365 - epoch_ordinal) * 86400
    assert epoch_seconds("0000-03-01T00:00:00Z") == (-365 + 31 + 29 - epoch_ordinal) * 86400


def test_a_leap_second_folds_into_the_minutes_last_second_and_bad_values_are_refused() -> None:
    assert epoch_seconds("1998-12-31T23:59:60Z") == epoch_seconds("1998-12-31T23:59:59Z")
    for bad in ("2025-06-01", "2025-02-30T00:00:00Z", "2025-06-01T00:00:00"):
        with pytest.raises(ValueError, match="not an RFC 3339 date-time"):
            epoch_seconds(bad)


def test_format_epoch_is_utc_to_the_second() -> None:
    assert format_epoch(0) == "1970-01-01T00:00:00Z"
    assert format_epoch(1764081000.9) == "2025-11-25T14:30:00Z"


def test_february_the_thirtieth_never_exists() -> None:
    assert not is_rfc3339_date("2024-02-30") and not is_rfc3339_date_time("2024-02-30T00:00:00Z")


def test_format_epoch_is_utc_whatever_the_machines_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert format_epoch(0) == "1970-01-01T00:00:00Z"
    finally:
        monkeypatch.undo()
        time.tzset()
