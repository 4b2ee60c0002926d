"""Load ICSs (ICBs) and trusts from the standard ODS CSV layout.

ODS publishes headerless CSV files in one layout; the columns used here are:
1 organisation code, 2 name, 3 national grouping (region code), 4 high level health geography
(for a trust: the ICB code, Q..), 11 open date, 12 close date (YYYYMMDD). Closed organisations
are skipped. ICB files (``eccg``-style) give ICS codes and names; trust files (``etr``) give trusts
and, in column 4, the ICB they belong to.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import (
    IntegratedCareSystem,
    Organisation,
    ics_ods_code_validator,
    trust_ods_code_validator,
)

CODE, NAME, NATIONAL_GROUPING, HIGH_LEVEL_GEOGRAPHY, CLOSE_DATE = 0, 1, 2, 3, 11


@dataclass
class OdsResult:
    created: int = 0
    updated: int = 0
    skipped_closed: int = 0
    problems: list[str] = field(default_factory=list)


def _rows(text: str):
    for line_number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        if row and any(cell.strip() for cell in row):
            yield line_number, [cell.strip() for cell in row]


def _closed(row) -> bool:
    return len(row) > CLOSE_DATE and bool(row[CLOSE_DATE])


def _title(name: str) -> str:
    """ODS names are upper case; show them as people write them."""
    small = {"and", "of", "the", "for"}
    words = [w if w in {"NHS", "ICB"} else w.capitalize() for w in name.split()]
    return " ".join(w.lower() if w.lower() in small and i else w for i, w in enumerate(words))


@transaction.atomic
def load_icbs(text: str, region_names: dict[str, str] | None = None) -> OdsResult:
    result = OdsResult()
    for line, row in _rows(text):
        if len(row) < 3:
            result.problems.append(
                f"Line {line}: expected the standard ODS layout (at least 3 columns)."
            )
            continue
        if _closed(row):
            result.skipped_closed += 1
            continue
        code = row[CODE].upper()
        try:
            ics_ods_code_validator(code)
        except ValidationError:
            result.problems.append(
                f"Line {line}: '{code}' is not an ICB code (Q followed by 2 characters)."
            )
            continue
        region = (region_names or {}).get(row[NATIONAL_GROUPING], row[NATIONAL_GROUPING])
        _, created = IntegratedCareSystem.objects.update_or_create(
            ods_code=code, defaults={"name": _title(row[NAME]), "region": region}
        )
        result.created += created
        result.updated += not created
    return result


@transaction.atomic
def load_trusts(text: str) -> OdsResult:
    result = OdsResult()
    icss = {ics.ods_code: ics for ics in IntegratedCareSystem.objects.all()}
    for line, row in _rows(text):
        if len(row) < 4:
            result.problems.append(
                f"Line {line}: expected the standard ODS layout (at least 4 columns)."
            )
            continue
        if _closed(row):
            result.skipped_closed += 1
            continue
        code = row[CODE].upper()
        try:
            trust_ods_code_validator(code)
        except ValidationError:
            result.problems.append(
                f"Line {line}: '{code}' is not a trust code (R followed by up to 4 characters)."
            )
            continue
        ics = icss.get(row[HIGH_LEVEL_GEOGRAPHY].upper())
        if ics is None:
            result.problems.append(
                f"Line {line}: trust {code} belongs to ICB '{row[HIGH_LEVEL_GEOGRAPHY]}', which is not loaded. "
                "Load the ICB file first."
            )
            continue
        _, created = Organisation.objects.update_or_create(
            ods_code=code, defaults={"name": _title(row[NAME]), "ics": ics}
        )
        result.created += created
        result.updated += not created
    return result
