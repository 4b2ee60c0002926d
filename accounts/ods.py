"""Load ICBs (our ICSs) and NHS trusts from the ODS extracts: ``etr.csv`` for trusts, ``eccg.csv``
(or a file of ICBs) for ICBs, and optionally ``succ.csv`` for who succeeded a closed trust.

The extracts are headerless CSV, 27 columns (older ones 24). The columns used here:
1 organisation code, 2 name, 3 national grouping (the NHS England region, Y56 and Y58–Y63),
4 high level health geography (for a trust, the ICB whose area holds it; for a sub-ICB location,
its ICB), 11 open date, 12 close date (YYYYMMDD), 24 GOR code (W for Wales).

- Codes are 3 to 5 capital letters or numbers: ODS issues ANANA codes (G6V2S, D7T5G) to new
  organisations since 2020.
- ``eccg.csv`` lists sub-ICB locations, reporting entities and commissioning hubs, not ICBs: each
  row names its ICB in column 4, and the ICB's name appears only inside names like
  "NHS NORTH EAST AND NORTH CUMBRIA ICB - 00L". The ICBs are built from those rows. A row whose
  column 4 is blank or its own code is an ICB itself (a file of ICBs).
- A closed organisation that is already here gets its close date and stays, for history; one that
  never was is not created. A trust is moved to the ICB ODS now gives it, unless an admin set its
  ICS by hand (``Organisation.ics_overridden``).
- Rows outside England (GOR W, or no region) are counted and skipped. Rows that are wrong are
  reported one by one; a file that is not an ODS extract at all raises :class:`OdsFileError`.
- Running twice changes nothing: unchanged rows are counted as such.
"""

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import (
    IntegratedCareSystem,
    Organisation,
    ics_ods_code_validator,
    trust_ods_code_validator,
)

logger = logging.getLogger(__name__)

CODE, NAME, NATIONAL_GROUPING, HIGH_LEVEL_GEOGRAPHY, OPEN_DATE, CLOSE_DATE, GOR = (
    0,
    1,
    2,
    3,
    10,
    11,
    23,
)
LAYOUTS = (24, 27)  # columns in an older and a current extract

# NHS England regions: ODS national grouping code -> name.
REGIONS = {
    "Y56": "London",
    "Y58": "South West",
    "Y59": "South East",
    "Y60": "Midlands",
    "Y61": "East of England",
    "Y62": "North West",
    "Y63": "North East and Yorkshire",
}
NATIONAL = {"Y99", "Q99"}  # national commissioning hubs: in no region, part of no ICB
WALES = "W"

# "NHS NORTH EAST AND NORTH CUMBRIA ICB - 00L": a sub-ICB location named after its ICB.
SUB_ICB_NAME = re.compile(r"^(?P<icb>.*\bICB)\s+-\s+\S+$")


class OdsFileError(ValueError):
    """The file is not an ODS extract at all (HTML, binary, another layout): nothing was loaded."""


@dataclass
class OdsResult:
    label: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0  # closed by this import (a close date newly set)
    moved: int = 0  # trusts moved to another ICS
    skipped_closed: int = 0  # closed in ODS and never loaded here
    skipped_outside_england: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"{self.created} added",
            f"{self.updated} updated",
            f"{self.unchanged} unchanged",
            f"{self.closed} closed",
        ]
        if self.moved:
            parts.append(f"{self.moved} moved to another ICS")
        parts += [
            f"{self.skipped_closed} closed before they were loaded, skipped",
            f"{self.skipped_outside_england} outside England, skipped",
            f"{len(self.problems)} problems",
        ]
        return f"{self.label}: " + ", ".join(parts)


def ods_text(data: bytes) -> str:
    """The file's text: UTF-8, or Windows-1252 as older extracts are. Refuses what is not text."""
    if b"\x00" in data:
        raise OdsFileError("this is a binary file, not an ODS extract (CSV).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise OdsFileError("this is not a text file, so not an ODS extract (CSV).") from None
    if text.lstrip().startswith("<"):
        raise OdsFileError("this is a web page or XML, not an ODS extract (CSV).")
    return text


def _rows(text: str, label: str, sound=lambda row: len(row) in LAYOUTS):
    """(line number, cells) of each non-blank row, after checking the file is an ODS extract:
    most rows must have the extract's layout."""
    try:
        rows = [
            (line, [cell.strip() for cell in row])
            for line, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
            if row and any(cell.strip() for cell in row)
        ]
    except csv.Error as error:
        raise OdsFileError(f"this is not a CSV file ({error}).") from None
    if not rows:
        raise OdsFileError(f"the {label} file has no rows.")
    bad = sum(not sound(row) for _, row in rows)
    if bad * 2 > len(rows):
        raise OdsFileError(
            f"{bad} of {len(rows)} lines do not have the layout of an ODS extract "
            f"({' or '.join(map(str, LAYOUTS))} columns); is this the right file?"
        )
    return rows


def _date(cell: str) -> date | None:
    return datetime.strptime(cell, "%Y%m%d").date() if cell else None  # noqa: DTZ007 (a date)


def _code(cell: str, validator) -> str:
    code = cell.upper()
    validator(code)
    return code


SMALL_WORDS = {"and", "of", "the", "for", "on", "upon", "in", "at", "by", "with", "under"}
UPPER_WORDS = {"NHS", "ICB", "UK", "CIC"}


def _title_part(part: str, first: bool) -> str:
    bare = part.strip("()'.,&")
    if bare.upper() in UPPER_WORDS:
        return part.upper()
    if bare.lower() in SMALL_WORDS and not first:
        return part.lower()
    # Capitalise the first letter only: KING'S -> King's, ST THOMAS' -> St Thomas'.
    return re.sub(r"[A-Za-z]", lambda m: m.group().upper(), part.lower(), count=1)


def title(name: str) -> str:
    """ODS names are upper case; show them as people write them: "Stoke-on-Trent", "King's",
    "NHS", "ICB", and "of", "and", "the" in lower case after the first word."""
    words = []
    for index, word in enumerate(name.split()):
        parts = word.split("-")
        words.append(
            "-".join(_title_part(p, first=index == 0 and i == 0) for i, p in enumerate(parts))
        )
    return " ".join(words)


def _sync(obj, fields: dict) -> bool:
    """Set ``fields`` on ``obj`` and save what differs; True if anything did."""
    changed = [name for name, value in fields.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, fields[name])
    if changed:
        obj.full_clean(validate_unique=False, validate_constraints=False)
        obj.save(update_fields=changed)
    return bool(changed)


def _record(result: OdsResult, obj, fields: dict, *, today: date) -> None:
    was_closed = obj.closed_on is not None and obj.closed_on <= today
    if obj.pk is None:
        for name, value in fields.items():
            setattr(obj, name, value)
        obj.full_clean(validate_unique=False, validate_constraints=False)
        obj.save()
        result.created += 1
    elif _sync(obj, fields):
        result.updated += 1
    else:
        result.unchanged += 1
        return
    if not was_closed and obj.closed_on is not None and obj.closed_on <= today:
        result.closed += 1


@dataclass
class _Icb:
    region_code: str
    names: list[str] = field(default_factory=list)
    own_row: bool = False
    opened_on: date | None = None
    closed_on: date | None = None
    open_rows: int = 0
    last_close: date | None = None
    line: int = 0

    @property
    def closes_on(self) -> date | None:
        if self.own_row:
            return self.closed_on
        return None if self.open_rows else self.last_close  # closed once all its locations are


def _collect_icbs(rows, result: OdsResult, today: date) -> dict[str, _Icb]:
    icbs: dict[str, _Icb] = {}
    for line, row in rows:
        if len(row) not in LAYOUTS:
            result.problems.append(
                f"Line {line}: {len(row)} columns; an ODS extract has 24 or 27. Not loaded."
            )
            continue
        grouping, geography = row[NATIONAL_GROUPING].upper(), row[HIGH_LEVEL_GEOGRAPHY].upper()
        if not grouping or grouping in NATIONAL or geography in NATIONAL:
            result.skipped_outside_england += 1
            continue
        try:
            code = _code(row[CODE], ics_ods_code_validator)
            own = not geography or geography == code
            icb_code = code if own else _code(geography, ics_ods_code_validator)
            opened, closed = _date(row[OPEN_DATE]), _date(row[CLOSE_DATE])
        except ValidationError:
            result.problems.append(
                f"Line {line}: '{row[CODE]}' / '{row[HIGH_LEVEL_GEOGRAPHY]}' is not an ODS code "
                "(3 to 5 capital letters or numbers). Not loaded."
            )
            continue
        except ValueError:
            result.problems.append(
                f"Line {line}: the open or close date is not a date (YYYYMMDD). Not loaded."
            )
            continue
        icb = icbs.setdefault(icb_code, _Icb(region_code=grouping, line=line))
        is_open = closed is None or closed > today
        if own:
            icb.own_row, icb.opened_on, icb.closed_on = True, opened, closed
            icb.region_code, icb.names = grouping, [row[NAME]]
            continue
        match = SUB_ICB_NAME.match(row[NAME])
        if match and not icb.own_row:
            # Names of open rows first: an ICB's name is what its current locations say.
            icb.names.insert(0 if is_open else len(icb.names), match["icb"])
        if is_open:
            icb.open_rows += 1
            icb.region_code = grouping
        elif icb.last_close is None or closed > icb.last_close:
            icb.last_close = closed
    return icbs


@transaction.atomic
def load_icbs(text: str, *, today: date | None = None) -> OdsResult:
    """ICBs from a file of ICBs or from ``eccg.csv`` (built from its sub-ICB locations)."""
    today = today or timezone.localdate()
    result = OdsResult("ICBs")
    icbs = _collect_icbs(_rows(text, "ICB"), result, today)
    existing = {ics.ods_code: ics for ics in IntegratedCareSystem.objects.all()}
    for code, icb in icbs.items():
        closed_on = icb.closes_on
        ics = existing.get(code)
        if ics is None and closed_on is not None and closed_on <= today:
            result.skipped_closed += 1
            continue
        if not icb.names:
            result.problems.append(
                f"ICB {code} (line {icb.line}): no row gives its name "
                '(like "NHS … ICB - 00L"). Not loaded.'
            )
            continue
        fields = {
            "name": title(icb.names[0]),
            "region": REGIONS.get(icb.region_code, icb.region_code),
            "region_code": icb.region_code,
            "closed_on": closed_on,
        }
        if icb.own_row:  # sub-ICB locations do not say when their ICB opened
            fields["opened_on"] = icb.opened_on
        _record(result, ics or IntegratedCareSystem(ods_code=code), fields, today=today)
    return result


@transaction.atomic
def load_trusts(text: str, *, today: date | None = None) -> OdsResult:
    """NHS trusts from ``etr.csv``. Load the ICBs first: each trust joins the ICB in column 4."""
    today = today or timezone.localdate()
    result = OdsResult("trusts")
    icss = {ics.ods_code: ics for ics in IntegratedCareSystem.objects.all()}
    existing = {trust.ods_code: trust for trust in Organisation.objects.select_related("ics")}
    for line, row in _rows(text, "trust"):
        if len(row) not in LAYOUTS:
            result.problems.append(
                f"Line {line}: {len(row)} columns; an ODS extract has 24 or 27. Not loaded."
            )
            continue
        if row[GOR].upper() == WALES or not row[NATIONAL_GROUPING]:
            result.skipped_outside_england += 1
            continue
        try:
            code = _code(row[CODE], trust_ods_code_validator)
        except ValidationError:
            result.problems.append(
                f"Line {line}: '{row[CODE]}' is not a trust ODS code "
                "(3 to 5 capital letters or numbers). Not loaded."
            )
            continue
        try:
            opened, closed = _date(row[OPEN_DATE]), _date(row[CLOSE_DATE])
        except ValueError:
            result.problems.append(
                f"Line {line}: trust {code}: the open or close date is not a date (YYYYMMDD). "
                "Not loaded."
            )
            continue
        trust = existing.get(code)
        fields = {"name": title(row[NAME]), "opened_on": opened, "closed_on": closed}
        if closed is not None and closed <= today:
            if trust is None:
                result.skipped_closed += 1
                continue
            # A closed trust stays in the ICS it was in: its history belongs there.
        elif not (trust is not None and trust.ics_overridden):
            geography = row[HIGH_LEVEL_GEOGRAPHY].upper()
            ics = icss.get(geography)
            if ics is None:
                result.problems.append(
                    f"Line {line}: trust {code} is in ICB '{geography}', which is not loaded. "
                    "Load the ICBs (eccg.csv) first."
                )
                continue
            if ics.is_closed:
                result.problems.append(
                    f"Line {line}: trust {code} is in ICB {geography}, which closed on "
                    f"{ics.closed_on:%d %B %Y}. Not moved."
                )
                continue
            if trust is not None and trust.ics_id != ics.pk:
                result.moved += 1
            fields["ics"] = ics
        _record(result, trust or Organisation(ods_code=code), fields, today=today)
    return result


@transaction.atomic
def load_successors(text: str) -> OdsResult:
    """Who succeeded whom, from ``succ.csv`` (column 1 the closed organisation's code, column 2
    its successor's). The file covers every kind of organisation; rows about organisations not
    loaded here are left alone."""
    result = OdsResult("successors")
    rows = _rows(text, "successor", sound=lambda row: len(row) >= 2 and bool(row[0] and row[1]))
    trusts = {trust.ods_code: trust for trust in Organisation.objects.all()}
    for _line, row in rows:
        if len(row) < 2:
            continue
        old, new = trusts.get(row[0].upper()), trusts.get(row[1].upper())
        if old is None or new is None or old == new:
            continue
        if _sync(old, {"successor": new}):
            result.updated += 1
        else:
            result.unchanged += 1
    return result


def ods_import_files(
    *, icbs: Path | None = None, trusts: Path | None = None, successors: Path | None = None
) -> list[OdsResult]:
    """Load the files given, ICBs first. Raises :class:`OdsFileError` for a file that is missing
    or not an ODS extract; the files before it stay loaded (each is one transaction)."""
    results = []
    for path, loader in ((icbs, load_icbs), (trusts, load_trusts), (successors, load_successors)):
        if path is None:
            continue
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise OdsFileError(f"{path}: cannot be read ({error.strerror}).") from None
        try:
            results.append(loader(ods_text(data)))
        except OdsFileError as error:
            raise OdsFileError(f"{path}: {error}") from None
    return results


def ods_refresh() -> list[OdsResult]:
    """The monthly refresh (beat): load the files the settings name; nothing when none is set."""
    files = {
        "icbs": settings.ODS_ICBS_FILE,
        "trusts": settings.ODS_TRUSTS_FILE,
        "successors": settings.ODS_SUCCESSORS_FILE,
    }
    if not any(files.values()):
        logger.info("ODS refresh: no ODS_ICBS_FILE or ODS_TRUSTS_FILE is set; nothing to load.")
        return []
    results = ods_import_files(**{name: Path(p) if p else None for name, p in files.items()})
    for result in results:
        logger.info("ODS refresh: %s", result.summary())
        for problem in result.problems:
            logger.warning("ODS refresh, %s: %s", result.label, problem)
    return results
