"""Server-side SVG pictures for the fund pages: the tile map, line charts with a band, bars.

Drawn on the server so the pages need no script to show their pictures (and a PDF or a
screenshot shows exactly what the page shows); every number is escaped text, every colour comes
from the one diverging scale below, so "red = more than last year" means the same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from streams.web.fund.tiles import Tile

# Change against last year → colour: greens fall, greys stay, oranges/reds rise.
_STEPS = ((-0.10, "#1e7b3a"), (-0.03, "#8cc9a0"), (0.03, "#eef2f7"), (0.10, "#f9c98b"),
          (0.20, "#ec8a4a"), (math.inf, "#c0392b"))
NO_DATA = "#ffffff"
LEGEND = (("≤ −10 %", "#1e7b3a"), ("−10 … −3 %", "#8cc9a0"), ("± 3 %", "#eef2f7"),
          ("+3 … +10 %", "#f9c98b"), ("+10 … +20 %", "#ec8a4a"), ("> +20 %", "#c0392b"))


def colour(change: float | None) -> str:
    if change is None:
        return NO_DATA
    for bound, fill in _STEPS:
        if change <= bound:
            return fill
    return _STEPS[-1][1]


def _ink(fill: str) -> str:
    return "#fff" if fill in ("#1e7b3a", "#c0392b", "#ec8a4a") else "#1d2733"


@dataclass(frozen=True)
class MapCell:
    tile: Tile
    change: float | None
    label: str  # the change as text, '' when none
    title: str  # the hover text
    href: str | None  # None: outside the viewer's jurisdiction


def tile_map(cells: Sequence[MapCell], size: int = 44, gap: int = 4) -> str:
    step = size + gap
    cols = max(c.tile.col for c in cells) + 1
    rows = max(c.tile.row for c in cells) + 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="tilemap" role="img" '
             f'width="{cols * step}" height="{rows * step}" viewBox="0 0 {cols * step} '
             f'{rows * step}" data-tiles="{len(cells)}">']
    for c in cells:
        x, y = c.tile.col * step, c.tile.row * step
        fill = colour(c.change) if c.href else "#eceff3"
        ink = _ink(fill) if c.href else "#9aa4b1"
        stroke = "#8a96a3" if c.href else "#dde2e8"
        # No figures for either month: a dashed outline, unlike a steady (light grey) one.
        dash = ' stroke-dasharray="3 3"' if c.href and c.change is None else ""
        body = (f'<rect x="{x}" y="{y}" width="{size}" height="{size}" rx="5" fill="{fill}" '
                f'stroke="{stroke}"{dash}/>'
                f'<text x="{x + size / 2}" y="{y + 18}" text-anchor="middle" font-size="12" '
                f'font-weight="700" fill="{ink}">{escape(c.tile.short)}</text>')
        if c.label:
            body += (f'<text x="{x + size / 2}" y="{y + 34}" text-anchor="middle" '
                     f'font-size="10" fill="{ink}">{escape(c.label)}</text>')
        body = f'<title>{escape(c.title)}</title>{body}'
        if c.href:
            parts.append(f'<a href="{escape(c.href)}" class="tile" data-tile="{c.tile.id}" '
                         f'data-change="{"" if c.change is None else round(c.change, 4)}">'
                         f'{body}</a>')
        else:
            parts.append(f'<g class="tile off" data-tile="{c.tile.id}">{body}</g>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    values: Sequence[float | None]
    dashed: bool = False
    width: float = 2.0


def _nice(low: float, high: float, ticks: int = 4) -> list[float]:
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / ticks
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(low / step) * step
    out: list[float] = []
    v = start
    while not out or out[-1] < high - step * 1e-9:  # the top tick at or above the highest value
        out.append(round(v, 10))
        v += step
    return out


def line_chart(series: Sequence[Series], x_labels: Sequence[str], fmt: Callable[[float], str],
               band: tuple[Sequence[float], Sequence[float]] | None = None,
               band_label: str = "", mark: tuple[int, int] | None = None,
               width: int = 680, height: int = 220, name: str = "chart") -> str:
    """Lines over shared x positions; ``band`` a shaded low..high area; ``mark`` a shaded
    range of x indexes (the anomaly's period)."""
    left, right, top, bottom = 78, 30, 28, 26
    n = max(len(x_labels), 2)
    values = [v for s in series for v in s.values if v is not None]
    if band:
        values += list(band[0]) + list(band[1])
    if not values:
        return f'<svg class="chart empty" width="{width}" height="40" data-chart="{name}"></svg>'
    ticks = _nice(min(values) * 0.97 if min(values) > 0 else min(values), max(values))
    lo, hi = ticks[0], ticks[-1]

    def px(i: int) -> float:
        return round(left + i * (width - left - right) / (n - 1), 1)

    def py(v: float) -> float:
        return round(top + (hi - v) / (hi - lo) * (height - top - bottom), 1)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" data-chart="{name}" '
           f'style="max-width: {width}px" '
           f'data-points="{sum(1 for s in series for v in s.values if v is not None)}">']
    if mark is not None:
        x0, x1 = px(mark[0]), px(min(mark[1], n - 1))
        out.append(f'<rect x="{x0}" y="{top}" width="{max(x1 - x0, 2)}" '
                   f'height="{height - top - bottom}" fill="#fdecea"/>')
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{py(t)}" y2="{py(t)}" '
                   f'stroke="#e5e9ef"/><text x="{left - 6}" y="{py(t) + 4}" '
                   f'text-anchor="end" font-size="11" fill="#5f6b7a">{escape(fmt(t))}</text>')
    if band:
        upper = " ".join(f"{px(i)},{py(v)}" for i, v in enumerate(band[1]))
        lower = " ".join(f"{px(i)},{py(v)}" for i, v in reversed(list(enumerate(band[0]))))
        out.append(f'<polygon points="{upper} {lower}" fill="#c9d1db" opacity="0.6"/>')
    room = max(2, (width - left - right) // 56)  # a label is about 40 px wide at 11 px
    every = max(1, math.ceil(len(x_labels) / min(12, room)))
    for i, label in enumerate(x_labels):
        last = i == len(x_labels) - 1 and i % every >= every / 2
        if i % every == 0 or last:
            out.append(f'<text x="{px(i)}" y="{height - 8}" text-anchor="middle" '
                       f'font-size="11" fill="#5f6b7a">{escape(label)}</text>')
    for s in series:
        path, pen = [], "M"
        for i, v in enumerate(s.values):
            if v is None:
                pen = "M"
                continue
            path.append(f"{pen}{px(i)},{py(v)}")
            pen = "L"
        dash = ' stroke-dasharray="5 4"' if s.dashed else ""
        out.append(f'<path d="{" ".join(path)}" fill="none" stroke="{s.colour}" '
                   f'stroke-width="{s.width}"{dash}/>')
    x = left
    for s in series:
        dash = ' stroke-dasharray="5 4"' if s.dashed else ""
        out.append(f'<line x1="{x}" x2="{x + 18}" y1="12" y2="12" stroke="{s.colour}" '
                   f'stroke-width="2.5"{dash}/><text x="{x + 23}" y="16" font-size="12" '
                   f'fill="#1d2733">{escape(s.label)}</text>')
        x += 34 + 7 * len(s.label)
    if band and band_label:
        out.append(f'<rect x="{x}" y="6" width="18" height="11" fill="#c9d1db"/>'
                   f'<text x="{x + 23}" y="16" font-size="12" fill="#1d2733">'
                   f'{escape(band_label)}</text>')
    out.append("</svg>")
    return "".join(out)


def bars(items: Sequence[tuple[str, float | None, str]], fmt: Callable[[float], str],
         width: int = 560, name: str = "bars") -> str:
    """Horizontal bars around zero (change against last year), one row per item
    (label, change, href); coloured with the map's scale."""
    row, label_w = 22, 170
    known = [abs(v) for _, v, _ in items if v is not None]
    span = max(known + [0.05])
    mid = label_w + (width - label_w) / 2
    half = (width - label_w) / 2 - 60  # room for the figure beside the longest bar
    tall = row * len(items) + 6
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="hbars" width="{width}" '
           f'height="{tall}" viewBox="0 0 {width} {tall}" data-chart="{name}" '
           f'style="max-width: {width}px" '
           f'data-bars="{len(items)}">',
           f'<line x1="{mid}" x2="{mid}" y1="0" y2="{row * len(items)}" stroke="#8a96a3"/>']
    for i, (label, value, href) in enumerate(items):
        y = i * row + 3
        text = label if len(label) <= 26 else label[:25] + "…"
        out.append(f'<a href="{escape(href)}"><text x="0" y="{y + 14}" font-size="12" '
                   f'fill="#0b5cad">{escape(text)}<title>{escape(label)}</title></text></a>')
        if value is None:
            continue
        length = abs(value) / span * half
        x = mid if value >= 0 else mid - length
        out.append(f'<rect x="{round(x, 1)}" y="{y + 3}" width="{round(max(length, 1), 1)}" '
                   f'height="{row - 8}" fill="{colour(value)}" stroke="#8a96a3" '
                   f'stroke-width="0.5"/>')
        tx = mid + length + 4 if value >= 0 else mid - length - 4
        anchor = "start" if value >= 0 else "end"
        out.append(f'<text x="{round(tx, 1)}" y="{y + 14}" font-size="11" '
                   f'text-anchor="{anchor}" fill="#1d2733">{escape(fmt(value))}</text>')
    out.append("</svg>")
    return "".join(out)
