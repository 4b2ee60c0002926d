"""CSV export safe to open in a spreadsheet (OWASP ASVS 5.0, 1.2.10).

A cell is run as a formula (or a DDE command) when it starts with ``= + - @ |``, a tab or a
carriage return, also after leading spaces, in the full-width and small forms some spreadsheets
fold to ASCII (``＝`` U+FF1D, ``＋``, ``－``, ``＠``, ``｜``), and in some importers at the start
of any line of a multi-line cell. Such a cell gets a leading apostrophe, and so does each such
line inside it; nothing else changes.
"""

import csv
import io
import re
import unicodedata

_TRIGGERS = frozenset("=+-@|\t\r\n\x00\u2212")
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")


def _starts_a_formula(text: str) -> bool:
    for char in text:
        if unicodedata.category(char) == "Zs":  # leading spaces, no-break spaces...
            continue
        folded = unicodedata.normalize("NFKC", char)
        return char in _TRIGGERS or folded[:1] in _TRIGGERS
    return False


def neutralise(value) -> str:
    """Prefix a quote to a cell, and to each line in it, a spreadsheet would run as a formula."""
    text = "" if value is None else str(value)
    parts = _LINE_BREAK.split(text)  # line, break, line, break, ..., line
    lines = parts[::2]
    if not _starts_a_formula(text) and not any(_starts_a_formula(line) for line in lines[1:]):
        return text
    for index in range(2, len(parts), 2):
        if _starts_a_formula(parts[index]):
            parts[index] = "'" + parts[index]
    return "'" + "".join(parts)


def csv_text(header: list[str], rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()
