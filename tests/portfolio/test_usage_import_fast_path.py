"""The import's fast path accepts exactly the rows the full check accepts, with the same values,
and leaves every problem to the full check: files of hostile rows are parsed both ways and must
give the same rows, the same messages and the same counts."""

import csv
import io
import random
from datetime import date, timedelta

import pytest

from portfolio import usage_import

TODAY = date(2026, 3, 31)
PRODUCTS = {"meridian epr": 1, "medchart epma": 2}

CELLS = {
    "date": [
        "2025-03-01",
        " 2025-03-01 ",
        "01/03/2025",
        "2025-3-1",
        "",
        "  ",
        "2025-02-30",
        "1989-12-31",
        "1990-01-01",
        (TODAY + timedelta(days=1)).isoformat(),
        TODAY.isoformat(),
        "0001-01-01",
        "2025-03-01T00:00",
        "٢٠٢٥-٠٣-٠١",  # Arabic-Indic digits
        "=2025-03-01",
    ],
    "product": [
        "Meridian EPR",
        " meridian epr ",
        "MERIDIAN EPR",
        "MedChart EPMA",
        "=Meridian EPR",
        "-Meridian EPR",
        "\tMeridian EPR",
        "Meridian EPR\r",
        "Meridian\u0085EPR",
        "Meridian\u200bEPR",
        "Unknown",
        "",
        " ",
    ],
    "active_users": [
        "0",
        "12",
        "0012",
        " 12",
        "+12",
        "-1",
        "-0",
        "1.5",
        "1_000",
        "",
        "١٢",  # Arabic-Indic digits: a whole number to int()
        "²",  # a digit to str.isdigit(), not to int()
        "10000000",
        "10000001",
        "99999999999999999999",
        "12 ",
    ],
    "site": [
        "",
        "Main",
        " Main ",
        "=Main",
        "@ward",
        "x" * 100,
        "x" * 101,
        " " + "x" * 100,
        "Ward\x07",
        "Ward\n2",
        "Ward,2",
        'Ward "2"',
    ],
    "department": ["", "ED", " ED", "+ED", "ED\u2028", "d" * 101, "Café"],
}


def random_file(rng: random.Random) -> str:
    columns = ["date", "product", "active_users"]
    columns += [name for name in ("site", "department") if rng.random() < 0.6]
    rng.shuffle(columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for _ in range(rng.randint(1, 120)):
        shape = rng.random()
        if shape < 0.03:
            out.write("\n")  # a blank line
            continue
        cells = [rng.choice(CELLS[name]) for name in columns]
        if shape < 0.06:
            cells.append("extra")
        elif shape < 0.09:
            cells.pop()
        elif shape < 0.11:
            cells = [" "] * len(cells)
        writer.writerow(cells)
    return out.getvalue()


def parsed_both_ways(text: str):
    results = []
    for fast_path in (True, False):
        try:
            parsed = usage_import.parse(text, PRODUCTS, TODAY, fast_path=fast_path)
        except usage_import.ImportRejected as rejected:
            results.append(("rejected", rejected.errors))
        else:
            results.append((parsed.rows, parsed.errors, parsed.error_count, parsed.rows_total))
    return results


@pytest.mark.parametrize("seed", range(40))
def test_fast_and_full_checks_agree_on_hostile_files(seed):
    rng = random.Random(seed)
    for _ in range(25):
        text = random_file(rng)
        fast, full = parsed_both_ways(text)
        assert fast == full, text


def test_the_fast_path_takes_the_usual_rows(monkeypatch):
    """A clean file goes (almost) entirely through the fast path: the full check is not called."""
    text = "date,product,active_users,site\n" + "".join(
        f"2025-03-{day:02},Meridian EPR,{day * 10},Ward {day % 3}\n" for day in range(1, 29)
    )
    calls = []
    original = usage_import._check_row

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(usage_import, "_check_row", counting)
    parsed = usage_import.parse(text, PRODUCTS, TODAY)
    assert len(parsed.rows) == 28 and not parsed.errors
    assert calls == []
