"""Revenue per day per flow as a server-rendered SVG line chart: no script, a few kB.

The template draws what this computes: one polyline per flow over the last 30 days, the
y-axis from zero to a rounded top, a label every week. A table with the same numbers follows
the picture for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from app.web.embedded.i18n import Words

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 92, 8, 10, 24
DAYS = 30
# Colours with at least 3:1 contrast on white (WCAG non-text contrast).
COLOURS = ("#2c6ecb", "#b54708", "#067647", "#7a2e8e", "#b42318")


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    points: str  # SVG polyline points
    total: str
    values: list[str]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    series: list[Series]
    y_ticks: list[tuple[float, str]]  # (y, label)
    x_ticks: list[tuple[float, str]]  # (x, label)
    days: list[str]
    empty: bool
    plot: tuple[int, int, int, int]  # left, top, right, bottom


def _top(value: Decimal) -> Decimal:
    """A round number at or above ``value`` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return Decimal(100)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def revenue_chart(flows: list[tuple[str, dict[date, Decimal]]], today: date, words: Words) -> Chart:
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    peak = max((v for _, by_day in flows for v in by_day.values()), default=Decimal(0))
    top = _top(peak)
    width, height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return round(LEFT + width * i / (DAYS - 1), 1)

    def y(value: Decimal) -> float:
        return round(TOP + height * float(1 - value / top), 1)

    series = []
    for n, (name, by_day) in enumerate(flows):
        values = [by_day.get(d, Decimal(0)) for d in days]
        points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values))
        series.append(
            Series(
                name,
                COLOURS[n % len(COLOURS)],
                points,
                words.money(sum(values, Decimal(0))),
                [words.money(v) for v in values],
            )
        )
    y_ticks = [(y(top * k / 4), words.money(top * k / 4)) for k in range(5)]
    x_ticks = [(x(i), words.day(days[i])) for i in range(0, DAYS, 7)]
    return Chart(
        WIDTH,
        HEIGHT,
        series,
        y_ticks,
        x_ticks,
        [words.day(d) for d in days],
        peak == 0,
        (LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM),
    )
