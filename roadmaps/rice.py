"""RICE prioritisation, computed in exactly one place.

score = reach × impact × confidence / effort
reach: people affected per quarter (whole number, 0 or more); impact: 0.25 (minimal) to 3 (massive);
confidence: a percentage, 0–100; effort: person-months, more than 0.
"""

from decimal import ROUND_HALF_UP, Decimal

IMPACT_CHOICES = [
    (Decimal("3"), "3 – massive"),
    (Decimal("2"), "2 – high"),
    (Decimal("1"), "1 – medium"),
    (Decimal("0.5"), "0.5 – low"),
    (Decimal("0.25"), "0.25 – minimal"),
]


class RiceError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def rice_score(reach: int, impact: Decimal, confidence: int, effort: Decimal) -> Decimal:
    if reach is None or reach < 0:
        raise RiceError("reach", "Reach must be 0 or more people")
    if impact is None or Decimal(impact) not in {value for value, _ in IMPACT_CHOICES}:
        raise RiceError("impact", "Select an impact from the list")
    if confidence is None or not 0 <= confidence <= 100:
        raise RiceError("confidence", "Confidence must be between 0 and 100 per cent")
    if effort is None or Decimal(effort) <= 0:
        raise RiceError("effort", "Effort must be more than 0 person-months")
    score = Decimal(reach) * Decimal(impact) * Decimal(confidence) / Decimal(100) / Decimal(effort)
    return score.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
