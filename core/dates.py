"""Calendar months, the unit every summary and chart is kept in."""

from datetime import date, timedelta


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_end(month: date) -> date:
    return next_month(month) - timedelta(days=1)


def months_between(first: date, last: date) -> list[date]:
    """The first day of every month from ``first``'s to ``last``'s, both included."""
    months, current = [], month_start(first)
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months


def months_ago(month: date, n: int) -> date:
    for _ in range(n):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


# The earliest and latest dates the app accepts anywhere (forms, CSV files) unless a field sets a
# narrower range: NHS digital systems, their contracts and their use all fall well inside it, and
# it keeps dates clear of the calendar's ends, where date arithmetic overflows.
EARLIEST_DATE = date(1990, 1, 1)
LATEST_DATE = date(2099, 12, 31)


def long_date(day: date) -> str:
    """``1 January 1990``: the NHS style for a date in a sentence."""
    return f"{day.day} {day:%B %Y}"
