"""Charts as PNG bytes (matplotlib, headless), sized and lettered to be read on a phone."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from datetime import date

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

__all__ = ["activity_chart", "fill_chart", "hours_chart", "shortage_chart"]

_GREEN = "#2e8b57"
_BLUE = "#4a7fc1"
_ORANGE = "#e07b39"
MAX_TICKS = 13  # more labels than this overlap on a phone: every n-th is kept
MAX_SKILLS = 8


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
    weeks: Sequence[tuple[date, int, int]], title: str, taken_label: str, came_label: str
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
    """Bars of hours given per month, each labelled with its value (when they fit)."""
    figure, axes = _figure(title)
    labels = [f"{key[5:]}/{key[2:4]}" for key, _ in months]
    bars = axes.bar(range(len(months)), [h for _, h in months], 0.7, color=_GREEN)
    few = len(months) <= MAX_TICKS
    axes.bar_label(bars, labels=[f"{h:g}" if h and few else "" for _, h in months], fontsize=11)
    axes.set_ylabel(unit, fontsize=13)
    axes.margins(y=0.12)
    _thin_ticks(axes, labels)
    return _png(figure)


def _thin_ticks(axes: Axes, labels: Sequence[str]) -> None:
    """Label at most MAX_TICKS positions, always the latest one."""
    step = max(1, -(-len(labels) // MAX_TICKS))
    keep = [i for i in range(len(labels)) if (len(labels) - 1 - i) % step == 0]
    axes.set_xticks(keep, [labels[i] for i in keep], rotation=45, ha="right")


def fill_chart(weeks: Sequence[tuple[date, int, int]], title: str, no_mission: str) -> bytes:
    """Bars per week: share of the places offered that were taken (0-100 %), with the
    percentage on each bar; a week without missions shows `no_mission` instead."""
    figure, axes = _figure(title)
    rates = [100 * taken / offered if offered else 0.0 for _, taken, offered in weeks]
    colours = [_GREEN if r >= 100 else _BLUE if r >= 50 else _ORANGE for r in rates]
    bars = axes.bar(range(len(weeks)), rates, 0.7, color=colours)
    few = len(weeks) <= MAX_TICKS
    texts = [
        (f"{r:.0f}" if few else "") if offered else no_mission
        for r, (_, _, offered) in zip(rates, weeks, strict=True)
    ]
    axes.bar_label(bars, labels=texts, fontsize=11 if few else 9)
    axes.set_ylim(0, 110)
    axes.yaxis.set_major_formatter(PercentFormatter(100))
    axes.set_yticks([0, 25, 50, 75, 100])
    _thin_ticks(axes, [week.strftime("%d/%m") for week, _, _ in weeks])
    return _png(figure)


def shortage_chart(
    rows: Sequence[tuple[str, int, int]], title: str, needed_label: str, have_label: str
) -> bytes:
    """Horizontal bars per skill (worst shortage on top): missions that need it and
    volunteers who have it, each bar with its number."""
    rows = list(rows[:MAX_SKILLS])[::-1]  # barh draws bottom-up
    figure = Figure(figsize=(7, 2.2 + 0.75 * max(len(rows), 1)), dpi=150, layout="constrained")
    axes: Axes = figure.subplots()
    axes.set_title(title, fontsize=17, fontweight="bold")
    axes.tick_params(labelsize=13)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x", alpha=0.3)
    positions = range(len(rows))
    needed = axes.barh(
        [p + 0.2 for p in positions],
        [n for _, n, _ in rows],
        0.4,
        color=_ORANGE,
        label=needed_label,
    )
    have = axes.barh(
        [p - 0.2 for p in positions], [h for _, _, h in rows], 0.4, color=_GREEN, label=have_label
    )
    axes.bar_label(needed, fontsize=11, padding=3)
    axes.bar_label(have, fontsize=11, padding=3)
    axes.set_yticks(list(positions), [_short(label) for label, _, _ in rows])
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.margins(x=0.15)
    handles, labels = axes.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=12, frameon=False)
    return _png(figure)


def _short(label: str, width: int = 18) -> str:
    """At most two lines of `width` characters, the second cut with "…" if need be."""
    lines = textwrap.wrap(label, width) or [""]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), width, placeholder="…")]
    return "\n".join(lines)
