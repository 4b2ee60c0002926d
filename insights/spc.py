"""XmR statistical process control charts in the NHS "Making Data Count" style.

Limits: mean ± 2.66 × mean moving range. Special cause rules (MDC): a point outside the process
limits; a run of 7 or more points on one side of the mean; a trend of 7 or more points all going up
or all going down. Whether special cause is "improvement" or "concern" depends on which direction
is good for the measure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from html import escape

RUN_LENGTH = 7
TREND_LENGTH = 7


@dataclass
class SpcPoint:
    label: str
    value: float
    outside: bool = False
    run: bool = False
    trend: bool = False
    kind: str = "common"  # common | improvement | concern

    @property
    def special(self) -> bool:
        return self.outside or self.run or self.trend


@dataclass
class SpcResult:
    points: list[SpcPoint]
    mean: float | None
    upper: float | None
    lower: float | None
    higher_is_better: bool | None
    summary: str = ""
    icon: str = "common"
    reasons: list[str] = field(default_factory=list)


def xmr(labels: list[str], values: list, higher_is_better: bool | None) -> SpcResult:
    pairs = [(label, float(v)) for label, v in zip(labels, values, strict=True) if v is not None]
    points = [SpcPoint(label, value) for label, value in pairs]
    if len(points) < 2:
        return SpcResult(
            points,
            None,
            None,
            None,
            higher_is_better,
            summary="Not enough data for a chart yet: at least 2 months are needed.",
            icon="none",
        )
    data = [p.value for p in points]
    mean = sum(data) / len(data)
    moving_ranges = [abs(b - a) for a, b in zip(data, data[1:], strict=False)]
    mr_bar = sum(moving_ranges) / len(moving_ranges)
    upper, lower = mean + 2.66 * mr_bar, mean - 2.66 * mr_bar
    for p in points:
        p.outside = p.value > upper or p.value < lower
    _mark_runs(points, mean)
    _mark_trends(points)
    for p in points:
        if p.special:
            p.kind = _direction_kind(p, mean, higher_is_better, points)
    result = SpcResult(
        points, mean, upper, max(lower, 0.0) if min(data) >= 0 else lower, higher_is_better
    )
    _describe(result)
    return result


def _mark_runs(points, mean):
    start = 0
    while start < len(points):
        side = (points[start].value > mean) - (points[start].value < mean)
        end = start
        while (
            end + 1 < len(points)
            and side != 0
            and ((points[end + 1].value > mean) - (points[end + 1].value < mean)) == side
        ):
            end += 1
        if side != 0 and end - start + 1 >= RUN_LENGTH:
            for p in points[start : end + 1]:
                p.run = True
        start = end + 1


def _mark_trends(points):
    for direction in (1, -1):
        start = 0
        while start < len(points) - 1:
            end = start
            while (
                end + 1 < len(points)
                and (points[end + 1].value - points[end].value) * direction > 0
            ):
                end += 1
            if end - start + 1 >= TREND_LENGTH:
                for p in points[start : end + 1]:
                    p.trend = True
            start = max(end, start + 1)


def _direction_kind(point, mean, higher_is_better, points) -> str:
    if higher_is_better is None:
        return "neither"
    index = points.index(point)
    if point.trend and not point.outside and not point.run:
        previous = points[index - 1].value if index else point.value
        following = points[index + 1].value if index + 1 < len(points) else point.value
        going_up = following >= previous
        return "improvement" if going_up == higher_is_better else "concern"
    high = point.value > mean
    return "improvement" if high == higher_is_better else "concern"


def _describe(result: SpcResult) -> None:
    latest = result.points[-1]
    reasons = []
    if latest.outside:
        reasons.append("the latest month is outside the process limits")
    if latest.run:
        reasons.append(f"a run of {RUN_LENGTH} or more months on one side of the mean")
    if latest.trend:
        reasons.append(f"{TREND_LENGTH} or more months going the same way")
    result.reasons = reasons
    if not reasons:
        result.icon = "common"
        result.summary = "Common cause variation: no significant change in the latest month."
    elif latest.kind == "improvement":
        result.icon = "improvement"
        result.summary = (
            "Special cause variation of an improving nature: " + "; ".join(reasons) + "."
        )
    elif latest.kind == "concern":
        result.icon = "concern"
        result.summary = (
            "Special cause variation of a concerning nature: " + "; ".join(reasons) + "."
        )
    else:
        result.icon = "neither"
        result.summary = (
            "Special cause variation (neither better nor worse): " + "; ".join(reasons) + "."
        )


COLOURS = {
    "common": "#4c6272",
    "improvement": "#005eb8",
    "concern": "#b35200",
    "neither": "#330072",
}


def svg(result: SpcResult, title: str, chart_id: str, unit: str = "") -> str:
    """Accessible server-rendered SVG: a title, a description and a data table beside it."""
    width, height, left, right, top, bottom = 640, 260, 56, 16, 16, 40
    if not result.points or result.mean is None:
        return ""
    values = [p.value for p in result.points] + [result.upper, result.lower, result.mean]
    low, high = min(values), max(values)
    if high == low:
        high, low = high + 1, low - 1
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(result.points) - 1, 1)

    def x(i):
        return left + i * step

    def y(v):
        return top + (high - v) / (high - low) * plot_h

    parts = [
        f'<svg class="app-spc" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(result.summary)} Mean {result.mean:,.2f}{unit}, process limits {result.lower:,.2f} to {result.upper:,.2f}. The table after the chart gives every value.</desc>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#ffffff" stroke="#d8dde0"/>',
    ]
    for value, dash, label in (
        (result.upper, "6 4", "Upper limit"),
        (result.lower, "6 4", "Lower limit"),
        (result.mean, "", "Mean"),
    ):
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#4c6272" stroke-width="1.5"{dash_attr}/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" fill="#212b32">{value:,.0f}</text>'
        )
        parts.append(
            f'<text x="{left + plot_w - 2}" y="{y(value) - 4:.1f}" text-anchor="end" font-size="11" fill="#4c6272">{label}</text>'
        )
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(p.value):.1f}" for i, p in enumerate(result.points)
    )
    parts.append(f'<path d="{path}" fill="none" stroke="#768692" stroke-width="2"/>')
    for i, p in enumerate(result.points):
        colour = COLOURS[p.kind if p.special else "common"]
        radius = 5 if p.special else 3.5
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="{radius}" fill="{colour}"/>'
        )
    label_every = max(1, len(result.points) // 6)
    for i, p in enumerate(result.points):
        if i % label_every == 0 or i == len(result.points) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 14}" text-anchor="middle" font-size="11" fill="#212b32">{escape(p.label)}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts)


def as_float(value):
    return None if value is None else float(Decimal(value))
