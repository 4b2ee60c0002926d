"""CSV cells a spreadsheet could run as a formula are neutralised with a leading apostrophe."""

import csv
import io
import random
import unicodedata

import pytest

from core.csv_safety import csv_text, neutralise

# What a spreadsheet may take as the start of a formula (or of a command, for "|").
TRIGGERS = set("=+-@|\t\r\n")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("|calc", "'|calc"),
        ("\uff1dHYPERLINK(1)", "'\uff1dHYPERLINK(1)"),  # full-width equals
        ("\uff0b1", "'\uff0b1"),  # full-width plus
        ("\uff0d1", "'\uff0d1"),  # full-width hyphen-minus
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),  # full-width at
        ("\ufe62cmd", "'\ufe62cmd"),  # small plus
        ("\u2212cmd", "'\u2212cmd"),  # minus sign
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("\x00cmd", "'\x00cmd"),
        ("  =1+1", "'  =1+1"),  # leading spaces
        ("\u00a0=1+1", "'\u00a0=1+1"),  # leading no-break space
        ("ok\n=HYPERLINK(1)", "'ok\n'=HYPERLINK(1)"),  # a formula after an embedded newline
        ("ok\r\n@cmd", "'ok\r\n'@cmd"),
        ("ok\r|cmd", "'ok\r'|cmd"),
        ("\n=cmd", "'\n'=cmd"),
    ],
)
def test_formula_cells_are_neutralised(cell, expected):
    assert neutralise(cell) == expected


@pytest.mark.parametrize("cell", ["Ward 7", "12", "", "Discharge letters\nare slow", "a=b", "1-2"])
def test_ordinary_cells_are_left_alone(cell):
    assert neutralise(cell) == cell


def test_none_and_numbers_become_text():
    assert neutralise(None) == ""
    assert neutralise(3) == "3"
    assert neutralise(-3) == "'-3"


def _dangerous(line: str) -> bool:
    stripped = line.lstrip(" \u00a0\u2007\u202f\u3000")
    if not stripped:
        return False
    first = unicodedata.normalize("NFKC", stripped[0])[:1]
    return first in TRIGGERS or first in "\u2212\ufe62\ufe63\x00"


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


ALPHABET = list("=+-@|%\t\r\n ab1'\"\x00,;") + [
    "\uff1d",
    "\uff0b",
    "\uff0d",
    "\uff20",
    "\uff5c",
    "\u2212",
    "\ufe62",
    "\u00a0",
    "\u3000",
]


def test_no_generated_cell_survives_as_a_formula():
    """Property: for thousands of random cells, after neutralising, neither the cell nor any of
    its lines starts (after spaces) with a trigger; only apostrophes were added, at most one per
    line plus one for the cell; a cell that needed nothing is unchanged."""
    rng = random.Random(20260312)
    for _ in range(5000):
        cell = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))
        safe = neutralise(cell)
        assert not _dangerous(safe), repr(cell)
        assert not any(_dangerous(line) for line in _lines(safe)), (repr(cell), repr(safe))
        assert safe.replace("'", "") == cell.replace("'", ""), (repr(cell), repr(safe))
        added = len(safe) - len(cell)
        assert 0 <= added <= len(_lines(cell)) + 1
        if not _dangerous(cell) and not any(_dangerous(line) for line in _lines(cell)):
            assert safe == cell, (repr(cell), repr(safe))


def test_csv_round_trip_keeps_every_cell_safe():
    rng = random.Random(7)
    rows = [
        ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 10))) for _ in range(4)]
        for _ in range(500)
    ]
    text = csv_text(["=header", "ok"], rows)
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == ["'=header", "ok"]
    for row in parsed[1:]:
        for cell in row:
            assert not _dangerous(cell)
            assert not any(_dangerous(line) for line in _lines(cell))
