"""Charts as PNG bytes (matplotlib, headless), sized and lettered to be read on a phone."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["activity_chart", "hours_chart"]

_GREEN = "#2e8b57"
_BLUE = "#4a7fc1"


def _figure(title: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(7, 5), dpi=150, layout="constrained")
    axes: Axes = figure.subplots()
    axes.set_title(title, fontsize=17, fontweight="bold")
    axes.tick_params(labelsize=12)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", alpha=0.3)
    return figure, axes


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def activity_chart(
    weeks: Sequence[tuple[datetime, int, int]], title: str, taken_label: str, came_label: str
) -> bytes:
    """Bars per week: places taken and people who came."""
    figure, axes = _figure(title)
    labels = [week.strftime("%d/%m") for week, _, _ in weeks]
    positions = range(len(weeks))
    axes.bar(
        [p - 0.2 for p in positions], [t for _, t, _ in weeks], 0.4, label=taken_label, color=_BLUE
    )
    axes.bar(
        [p + 0.2 for p in positions], [c for _, _, c in weeks], 0.4, label=came_label, color=_GREEN
    )
    axes.set_xticks(list(positions), labels, rotation=45, ha="right")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(fontsize=12, frameon=False)
    return _png(figure)


def hours_chart(months: Sequence[tuple[str, float]], title: str, unit: str) -> bytes:
    """Bars of hours given per month, each labelled with its value."""
    figure, axes = _figure(title)
    labels = [f"{key[5:]}/{key[2:4]}" for key, _ in months]
    bars = axes.bar(labels, [h for _, h in months], color=_GREEN)
    axes.bar_label(bars, labels=[f"{h:g}" if h else "" for _, h in months], fontsize=11)
    axes.set_ylabel(unit, fontsize=13)
    axes.tick_params(axis="x", rotation=45)
    return _png(figure)
