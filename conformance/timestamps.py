"""UTC timestamps as every output writes them: RFC 3339 with a Z for machines, and a locale-free form for people."""

from datetime import UTC, datetime

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def utc_now() -> str:
    return format_time(datetime.now(UTC))


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def human_date(text: str) -> str:
    """'2026-11-25T21:50:34Z' -> '25 November 2026', whatever the locale."""
    moment = parse_time(text)
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def human_time(text: str) -> str:
    """'2026-11-25T21:50:34Z' -> '25 November 2026, 21:50 UTC', whatever the locale."""
    return f"{human_date(text)}, {parse_time(text):%H:%M} UTC"
