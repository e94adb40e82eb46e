"""The charts, drawn on the server as SVG by Matplotlib (its Figure API: no pyplot, no GUI backend).

Server-side drawing keeps the pages free of chart scripts (they work without
JavaScript, under the strict Content Security Policy, and print as sharp vectors).
Each chart is an SVG image of its own URL; its text alternative (a sentence and
a data table) is on the page, built from the same figures (diary/charts.py).

Every chart reads in black and white: lines differ by dash and marker, bars and
cells by pattern or shade of one hue, and legends say what each is.
"""

from __future__ import annotations

import hashlib
import io
import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import matplotlib
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path
from matplotlib.ticker import MaxNLocator

from diary import charts, units
from diary.charts import MOVEMENT_WORDS, PARTS_OF_DAY, TrendPicture
from diary.models import WeightUnit

# Set once at import rather than per chart: rcParams are global, and a context per
# chart would race between threads.
matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text: smaller files, the browser's own font
        "svg.hashsalt": "pain-diary",  # the same chart gives the same bytes
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
        "font.size": 10,
        "axes.edgecolor": "#505a5f",
        "axes.labelcolor": "#0b0c0c",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "xtick.color": "#0b0c0c",
        "ytick.color": "#0b0c0c",
        "hatch.color": "#505a5f",
        "hatch.linewidth": 0.6,
        "legend.frameon": False,
        # Legends, ticks and labels at 9.5–10 pt: at least 12 px where a phone shows the chart (WIDTH).
        "legend.fontsize": 9.5,
        "legend.handlelength": 1.6,
        "legend.columnspacing": 0.9,
        "legend.handletextpad": 0.5,
    }
)


def _code_version() -> str:
    """What a chart looks like comes from this module, diary/charts.py, diary/units.py and Matplotlib:
    part of a cached chart's key (diary/chart_cache.py), so a deploy that changes any of them draws anew."""
    digest = hashlib.sha256(matplotlib.__version__.encode())
    for module in (__file__, charts.__file__, units.__file__):
        with open(module, "rb") as source:
            digest.update(source.read())
    return digest.hexdigest()[:16]


VERSION = _code_version()

INK = "#0b0c0c"
BLUE = "#1d70b8"
GREY = "#6f777b"
LIGHT = "#b1b4b6"
WIDTH = 3.6  # inches: 346 px, so a 10 pt (13 px) font is about 12 px on a 390 px phone
HEIGHT = 2.2


def _figure(height: float = HEIGHT, width: float = WIDTH) -> Figure:
    # Fixed margins rather than Matplotlib's constrained layout, which lays every chart out
    # twice and took a third of the drawing time; every chart here has the same frame.
    return Figure(figsize=(width, height))


LEGEND_ROW = 0.2  # inches of a legend row above the plot
LEGEND_ROW_CHARACTERS = 36  # letters of legend labels that fit in one row of WIDTH


def _svg(figure: Figure, transparent: bool = False) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, transparent=transparent)
    return buffer.getvalue()


def _date_axis(axes: Axes, picture: TrendPicture) -> None:
    """Four or five dates under the plot whatever the period, and half a day of room at each end."""
    locator: mdates.DateLocator
    if picture.length <= 10:
        locator = mdates.DayLocator(interval=2)
    elif picture.length <= 45:
        locator = mdates.WeekdayLocator(byweekday=mdates.MO)
    elif picture.length <= 120:
        locator = mdates.MonthLocator()
    else:
        locator = mdates.MonthLocator(interval=3)
    axes.xaxis.set_major_locator(locator)
    # Month ticks fall on the 1st: the month alone, so the last label is not cut at the edge ("1 De").
    month_ticks = isinstance(locator, mdates.MonthLocator)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%b" if month_ticks else "%-d %b"))
    # In days since the epoch (Matplotlib's date numbers): a date itself cannot hold half a day.
    axes.set_xlim(mdates.date2num(picture.start) - 0.6, mdates.date2num(picture.end) + 0.6)


def _mark_flags_and_therapy(axes: Axes, picture: TrendPicture, top: float) -> list[Any]:
    """Diamonds above the days with a flag's check-ins, a line where therapy began; their legend entries."""
    handles: list[Any] = []
    flagged = sorted(day for day in picture.flag_dates if picture.start <= day <= picture.end)
    if flagged:
        (marks,) = axes.plot(
            flagged,
            [top] * len(flagged),
            linestyle="none",
            marker="D",
            markersize=4,
            color=INK,
            clip_on=False,
            # Said in words for patients too: a diamond marks a day behind one of the diary's flags.
            label="day behind a flag",
        )
        handles.append(marks)
    if picture.therapy_start_shown():
        handles.append(
            axes.axvline(picture.therapy_started_on, color=INK, linestyle="-.", linewidth=1, label="therapy start")
        )
    return handles


def _legend(figure: Figure, handles: list[Any], title: str | None = None) -> None:
    """Above the plot, in one row if it fits a phone, else in rows of three; the plot fills the rest."""
    # Three to a row only if their words fit a phone's width at the legend's size.
    longest = max(len(str(handle.get_label())) for handle in handles)
    columns = min(len(handles), 3 if 3 * longest <= LEGEND_ROW_CHARACTERS else 2)
    rows = -(-len(handles) // columns) + (1 if title else 0)
    height = figure.get_figheight()
    figure.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1), ncols=columns, title=title)
    figure.subplots_adjust(
        # Room for "10.0" and the axis label beside it ("hours" was cut on a phone and on paper).
        left=0.7 / figure.get_figwidth(),
        # Room for a month's name centred on a tick near the right edge.
        right=0.94,
        bottom=0.32 / height,
        top=1 - (0.12 + rows * LEGEND_ROW + 0.08) / height,
    )


def _nan(values: Sequence[float | None]) -> list[float]:
    """Gaps for missing days: Matplotlib breaks a line at NaN."""
    return [float("nan") if value is None else float(value) for value in values]


def _score_axis(axes: Axes, label: str) -> None:
    axes.set_ylim(0, 10)
    axes.set_yticks(range(0, 11, 2))
    axes.set_ylabel(label)
    axes.grid(axis="y", color=LIGHT, linewidth=0.5)


def pain_chart(picture: TrendPicture) -> bytes:
    figure = _figure()
    axes = figure.add_subplot()
    dates = [row["date"] for row in picture.days]
    markersize = 4 if picture.length <= 31 else 2.5
    lines = [
        ("pain_max", "highest", INK, "-", "o"),
        ("pain_first", "first of day", BLUE, "--", "^"),
        ("pain_last", "last of day", GREY, ":", "s"),
    ]
    handles = []
    for key, label, colour, style, marker in lines:
        (line,) = axes.plot(
            dates,
            _nan([row[key] for row in picture.days]),
            color=colour,
            linestyle=style,
            linewidth=1.4,
            marker=marker,
            markersize=markersize,
            label=label,
        )
        handles.append(line)
    handles += _mark_flags_and_therapy(axes, picture, top=10.6)
    _score_axis(axes, "pain (0–10)")
    _date_axis(axes, picture)
    _legend(figure, handles)
    return _svg(figure)


def fatigue_chart(picture: TrendPicture) -> bytes:
    figure = _figure()
    axes = figure.add_subplot()
    dates = [row["date"] for row in picture.days]
    (line,) = axes.plot(
        dates,
        _nan([row["fatigue_max"] for row in picture.days]),
        color=INK,
        linewidth=1.4,
        marker="o",
        markersize=4 if picture.length <= 31 else 2.5,
        label="day's highest",
    )
    handles = [line, *_mark_flags_and_therapy(axes, picture, top=10.6)]
    _score_axis(axes, "tiredness (0–10)")
    _date_axis(axes, picture)
    _legend(figure, handles)
    return _svg(figure)


def _bars(
    axes: Axes, shown: list[tuple[Any, float]], *, width: float, label: str, **style: Any
) -> tuple[PolyCollection, Patch]:
    """One bar per (date, value), centred on its date, as one collection; and its legend entry.

    One collection rather than Axes.bar's one Rectangle per bar: a 90-day chart drew in half the time.
    """
    half = width / 2
    boxes = [
        [(x - half, 0), (x - half, value), (x + half, value), (x + half, 0)]
        for x, value in ((mdates.date2num(day), value) for day, value in shown)
    ]
    facecolor, edgecolor, linewidth = style.pop("color"), style.pop("edgecolor"), style.pop("linewidth")
    bars = PolyCollection(boxes, facecolors=facecolor, edgecolors=edgecolor, linewidths=linewidth, **style)
    axes.add_collection(bars, autolim=False)  # the callers set both limits
    return bars, Patch(facecolor=facecolor, edgecolor=edgecolor, linewidth=linewidth, label=label, **style)


def _bar_chart(picture: TrendPicture, key: str, label: str, ylabel: str, floor: float) -> bytes:
    figure = _figure()
    axes = figure.add_subplot()
    values = [row[key] for row in picture.days]
    shown = [(row["date"], value) for row, value in zip(picture.days, values, strict=True) if value is not None]
    _, legend = _bars(axes, shown, width=0.8, label=label, color=BLUE, edgecolor=INK, linewidth=0.4)
    top = max([floor, *(value for _, value in shown)]) * 1.08
    axes.set_ylim(0, top)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(ylabel)
    axes.grid(axis="y", color=LIGHT, linewidth=0.5)
    axes.set_axisbelow(True)
    handles = [legend, *_mark_flags_and_therapy(axes, picture, top=top * 1.04)]
    _date_axis(axes, picture)
    _legend(figure, handles)
    return _svg(figure)


def doses_chart(picture: TrendPicture) -> bytes:
    """As-needed doses each day: small hatched bars, so they read apart from pain in black and white.

    Days with no record have no bar; a 0 on a day with a record sits on the axis (the table says which).
    """
    figure = _figure(height=1.6)
    axes = figure.add_subplot()
    shown = [(row["date"], row["as_needed_doses"]) for row in picture.days if row.get("as_needed_doses") is not None]
    _, legend = _bars(
        axes, shown, width=0.7, label="as-needed doses", color="white", hatch="////", edgecolor=INK, linewidth=0.6
    )
    top = max([4, *(value for _, value in shown)]) * 1.1
    axes.set_ylim(0, top)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    axes.set_ylabel("doses")
    axes.grid(axis="y", color=LIGHT, linewidth=0.5)
    axes.set_axisbelow(True)
    handles = [legend, *_mark_flags_and_therapy(axes, picture, top=top * 1.04)]
    _date_axis(axes, picture)
    _legend(figure, handles)
    return _svg(figure)


def sleep_chart(picture: TrendPicture) -> bytes:
    return _bar_chart(picture, "sleep_hours", "sleep", "hours", floor=10)


def exercise_chart(picture: TrendPicture) -> bytes:
    return _bar_chart(picture, "exercise_minutes", "exercise", "minutes", floor=30)


def weight_chart(picture: TrendPicture, unit: str = WeightUnit.KG) -> bytes:
    """Weight in `unit`: the patient's own choice on their pages, kg for the care team (diary/units.py)."""
    figure = _figure()
    axes = figure.add_subplot()
    shown = [
        (row["date"], units.shown_weight(row["weight_kg"], unit))
        for row in picture.days
        if row["weight_kg"] is not None
    ]
    if not shown:
        # Words instead of an empty axis from −0.05 to 0.05 kg.
        axes.set_axis_off()
        axes.text(0.5, 0.5, "No weight recorded", transform=axes.transAxes, ha="center", va="center", fontsize=11)
        return _svg(figure)
    (line,) = axes.plot(
        [day for day, _ in shown],
        [value for _, value in shown],
        color=INK,
        linewidth=1.4,
        marker="o",
        markersize=4,
        label="weight",
    )
    low = min(value for _, value in shown)
    high = max(value for _, value in shown)
    # At least 4 kg of scale, so that a few hundred grams do not look like a fall.
    middle, half = (low + high) / 2, max((high - low) / 2 * 1.2, units.shown_weight(2, unit))
    axes.set_ylim(middle - half, middle + half)
    axes.set_ylabel(unit)
    axes.grid(axis="y", color=LIGHT, linewidth=0.5)
    bottom, top = axes.get_ylim()
    handles = [line, *_mark_flags_and_therapy(axes, picture, top=top + (top - bottom) * 0.06)]
    _date_axis(axes, picture)
    _legend(figure, handles)
    return _svg(figure)


# Pain 0–10 in six shades of one hue, light to dark: the order survives greyscale printing.
PAIN_BANDS = (0, 1, 3, 5, 7, 9, 11)
PAIN_BAND_LABELS = ("0", "1–2", "3–4", "5–6", "7–8", "9–10")
PAIN_SHADES = ("#f7f7f7", "#fdd49e", "#fdbb84", "#ef6548", "#b30000", "#4a0000")


def _cells_by_shade(edges: list[float], cells: list[list[float]], edge_colour: str | None) -> PathCollection:
    """The heat map's cells as one path per shade (and one for the unscored cells), not one per cell.

    What pcolormesh with BoundaryNorm(PAIN_BANDS) drew, in a handful of SVG elements rather than
    one per cell: a 90-day map has 360 cells, and writing them took a third of its drawing time.
    `edge_colour` outlines every cell, scored or not (white gaps between a month's days); None
    strokes each cell in its own shade, so that wide maps show no seams.
    """
    shades: dict[int | None, list[tuple[float, float]]] = {}
    for row, values in enumerate(cells):
        for column, value in enumerate(values):
            band = None if math.isnan(value) else min(bisect_right(PAIN_BANDS, value) - 1, len(PAIN_SHADES) - 1)
            left, right = edges[column], edges[column + 1]
            corners = [(left, row), (left, row + 1), (right, row + 1), (right, row), (left, row)]
            shades.setdefault(band, []).extend(corners)
    # Unscored cells first (as a mesh draws nothing over the hatch), then light to dark.
    order = sorted(shades, key=lambda band: -1 if band is None else band)
    cell_codes = [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY]
    paths = [Path(shades[band], cell_codes * (len(shades[band]) // 5)) for band in order]
    faces = ["none" if band is None else PAIN_SHADES[band] for band in order]
    if edge_colour is None:
        edges_of = ["none" if band is None else PAIN_SHADES[band] for band in order]
    else:
        edges_of = [edge_colour] * len(order)
    return PathCollection(paths, facecolors=faces, edgecolors=edges_of, linewidths=0.6, zorder=1)


def time_of_day_chart(picture: TrendPicture) -> bytes:
    """A heat map: one row per part of day, one column per date, the shade the highest pain then."""
    tod = picture.time_of_day
    figure = _figure(height=2.5)
    axes = figure.add_subplot()
    parts = [part.value for part in PARTS_OF_DAY]
    # Rows top to bottom in the order of a day; a missing score is NaN, left unpainted over a hatch.
    cells = [_nan(tod.grid[part]) for part in parts]
    # Each date's column is centred on its date, as the points of the other charts are.
    edges = [mdates.date2num(tod.dates[0]) - 0.5 + i for i in range(len(tod.dates) + 1)]
    axes.add_patch(
        Rectangle((edges[0], 0), edges[-1] - edges[0], len(parts), hatch="////", fill=False, linewidth=0, zorder=0)
    )
    cmap = ListedColormap(PAIN_SHADES)
    norm = BoundaryNorm(PAIN_BANDS, cmap.N)
    axes.add_collection(
        _cells_by_shade(edges, cells, edge_colour="white" if len(tod.dates) <= 31 else None), autolim=False
    )
    axes.set_ylim(0, len(parts))
    axes.set_yticks([i + 0.5 for i in range(len(parts))], [part.label for part in PARTS_OF_DAY])
    axes.invert_yaxis()
    axes.tick_params(axis="y", length=0)
    axes.xaxis_date()
    _date_axis(axes, picture)
    # Room on the left for "Afternoon"; the colour bar below takes its share of the axes.
    figure.subplots_adjust(left=0.8 / figure.get_figwidth(), right=0.97, top=0.96, bottom=0.24)
    colorbar = figure.colorbar(
        ScalarMappable(norm=norm, cmap=cmap), ax=axes, location="bottom", aspect=40, fraction=0.1, pad=0.2
    )
    colorbar.set_ticks([(low + high) / 2 for low, high in pairwise(PAIN_BANDS)])
    colorbar.set_ticklabels(PAIN_BAND_LABELS)
    colorbar.set_label("highest pain (0–10); hatched: no score")
    colorbar.outline.set_linewidth(0.4)  # type: ignore[operator]
    return _svg(figure)


MOVEMENT_STYLE = {
    "worse": {"color": "#b30000", "hatch": "////"},
    "no_change": {"color": "#b1b4b6", "hatch": ""},
    "better": {"color": "#1d70b8", "hatch": "\\\\"},
}


def movement_chart(picture: TrendPicture) -> bytes:
    """One bar split by how often moving made the pain worse, no different or better."""
    movement = picture.time_of_day.movement
    figure = _figure(height=1.5)
    axes = figure.add_subplot()
    left = 0
    handles = []
    for effect, word in MOVEMENT_WORDS.items():
        count = movement[effect]
        style = MOVEMENT_STYLE[effect]
        bar = axes.barh(
            [0], [count], left=left, color=style["color"], hatch=style["hatch"], edgecolor=INK, linewidth=0.4
        )
        if count:
            axes.bar_label(
                bar, labels=[str(count)], label_type="center", color=INK, backgroundcolor="white", fontsize=9.5
            )
        handles.append(Patch(facecolor=style["color"], hatch=style["hatch"], edgecolor=INK, label=f"{word} ({count})"))
        left += count
    axes.set_xlim(0, max(left, 1))
    axes.set_yticks([])
    axes.set_xlabel("check-ins")
    axes.spines["left"].set_visible(False)
    _legend(figure, handles, title="moving made the pain")
    figure.subplots_adjust(bottom=0.45 / figure.get_figheight())  # the axis label below
    return _svg(figure)


def sparkline(values: Sequence[int | None]) -> bytes:
    """The day's highest pain over the last days: a small line with the latest day dotted."""
    figure = Figure(figsize=(1.3, 0.36))
    axes = figure.add_axes((0.02, 0.1, 0.96, 0.8))
    axes.set_axis_off()
    axes.set_ylim(-0.5, 10.5)
    axes.set_xlim(-0.5, len(values) - 0.5)
    axes.axhline(5, color=LIGHT, linewidth=0.5)
    axes.plot(range(len(values)), _nan(values), color=INK, linewidth=1.2, marker="o", markersize=1.6)
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if known:
        axes.plot([known[-1][0]], [known[-1][1]], marker="o", markersize=3.5, color=BLUE)
    return _svg(figure, transparent=True)  # on the card's own background


ChartDrawer = Callable[[TrendPicture], bytes]

# The charts a trends page shows, by the name in their URL, in page order.
CHARTS: dict[str, ChartDrawer] = {
    "time-of-day": time_of_day_chart,
    "movement": movement_chart,
    "pain": pain_chart,
    "doses": doses_chart,
    "tiredness": fatigue_chart,
    "sleep": sleep_chart,
    "weight": weight_chart,
    "exercise": exercise_chart,
}
