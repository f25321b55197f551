"""Charts drawn on the server as inline SVG: horizontal bars and a Gantt timeline.

No script and nothing fetched: the pages work offline and print as they look. Every chart
has a <title> and <desc> for screen readers; the figures are also in the tables beside them.
Colours are classes styled by the page's CSS (web/static/manager.css).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from markupsafe import Markup, escape

from catalog.calendar import CHINA_TZ

FONT = 12
ROW = 22  # bar height
GAP = 8


@dataclass
class Segment:
    value: float
    kind: str  # CSS class: c-base, c-actual, c-p90, c-good, c-short, c-dept, c-wait, ...
    title: str = ""


@dataclass
class Bar:
    label: str
    segments: list[Segment]
    note: str = ""  # printed after the bar
    href: str | None = None


@dataclass
class Group:
    """Bars drawn together under one label (e.g. a scenario's baseline, median and p90)."""

    label: str
    bars: list[Bar]
    href: str | None = None


@dataclass
class Marker:
    """A vertical line across the chart at a value (a target)."""

    value: float
    label: str
    kind: str = "c-target"


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}>{escape(text)}</text>'


def _link(body: str, href: str | None) -> str:
    return f'<a href="{escape(href)}">{body}</a>' if href else body


def bars(
    groups: Sequence[Group],
    *,
    title: str,
    description: str = "",
    unit: str = "",
    scale_max: float | None = None,
    markers: Sequence[Marker] = (),
    width: int = 1040,
    label_width: int = 250,
    legend: Sequence[tuple[str, str]] = (),
    chart_id: str = "",
) -> Markup:
    """Horizontal bars, grouped; each bar may be stacked segments. Values are scaled to the
    largest bar (or `scale_max`); markers draw target lines with their labels on top."""
    note_width = 120
    plot = width - label_width - note_width
    subs = [_width(b.label) * CELL for g in groups for b in g.bars if b.label]
    sub_room = min(max(subs, default=0.0), label_width / 2)
    group_room = label_width - 16 - (sub_room + 10 if subs else 0)
    totals = [sum(s.value for s in b.segments) for g in groups for b in g.bars]
    top = scale_max or max([*totals, *(m.value for m in markers), 0.0]) or 1.0
    y = 28 if markers else 8
    parts: list[str] = []
    for group in groups:
        group_top = y
        for bar in group.bars:
            x = float(label_width)
            for segment in bar.segments:
                w = max(0.0, segment.value) / top * plot
                tip = f"<title>{escape(segment.title)}</title>" if segment.title else ""
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{ROW}" '
                    f'class="{segment.kind}">{tip}</rect>'
                )
                x += w
            if bar.label:
                parts.append(_label(label_width - 8, y + ROW / 2 + 4, bar.label, sub_room, "sub"))
            if bar.note:
                parts.append(_text(x + 6, y + ROW / 2 + 4, bar.note, "note"))
            y += ROW + 2
        label_y = (group_top + y - 2) / 2 + 4
        name = _label(8, label_y, group.label, group_room, "group", "start")
        parts.append(_link(name, group.href))
        parts.append(
            f'<line x1="0" x2="{width}" y1="{y + GAP / 2 - 1}" y2="{y + GAP / 2 - 1}" class="sep"/>'
        )
        y += GAP
    ordered = sorted(markers, key=lambda m: m.value)
    for index, marker in enumerate(ordered):
        x = label_width + marker.value / top * plot
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="20" y2="{y}" class="{marker.kind}"/>')
        if len(ordered) == 1:
            anchor, at = "middle", x
        else:  # side by side: the lower value's label to the left of its line
            anchor, at = ("end", x - 4) if index < len(ordered) - 1 else ("start", x + 4)
        parts.append(_text(at, 14, marker.label, f"{marker.kind} marker-label", anchor))
    if unit:
        parts.append(_text(width - 4, y + 14, unit, "axis", "end"))
        y += 18
    y = _legend(parts, legend, y, label_width)
    return _svg(width, y + 4, title, description, parts, chart_id, "bars")


def _legend(parts: list[str], legend: Sequence[tuple[str, str]], y: int, x0: float) -> int:
    if not legend:
        return y
    x = x0
    y += 6
    for kind, label in legend:
        parts.append(f'<rect x="{x:.1f}" y="{y}" width="14" height="12" class="{kind}"/>')
        parts.append(_text(x + 19, y + 10, label, "legend"))
        x += 30 + FONT * 0.62 * _width(label)
    return y + 18


def _width(text: str) -> float:
    """Rough width in character cells: CJK characters count double."""
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


CELL = 6.4  # px of one cell at the charts' 12px font


def _fit(text: str, room: float) -> str:
    """`text` cut with an ellipsis to about `room` pixels."""
    if _width(text) * CELL <= room:
        return text
    cut = ""
    for char in text:
        if (_width(cut + char) + 1) * CELL > room:
            break
        cut += char
    return cut + "…"


def _label(x: float, y: float, text: str, room: float, cls: str, anchor: str = "end") -> str:
    """A label fitted to `room` pixels; the whole text is its tooltip."""
    fitted = _fit(text, room)
    if fitted == text:
        return _text(x, y, text, cls, anchor)
    return f"<g><title>{escape(text)}</title>{_text(x, y, fitted, cls, anchor)}</g>"


def _svg(
    width: float,
    height: float,
    title: str,
    description: str,
    parts: list[str],
    chart_id: str,
    kind: str,
) -> Markup:
    ident = f' id="{escape(chart_id)}"' if chart_id else ""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}"{ident} role="img" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f"<desc>{escape(description)}</desc>{''.join(parts)}</svg>"
    )


# -- the Gantt timeline of one case ----------------------------------------------------


@dataclass
class Span:
    start: datetime
    end: datetime
    title: str = ""


@dataclass
class Row:
    """One item: its bar from start to end (or now), its promised limit, the applicant's
    waits inside it, and its marks."""

    label: str
    sublabel: str
    start: datetime | None
    end: datetime | None  # None: still open (drawn to `now`)
    due: datetime | None = None
    waits: list[Span] = field(default_factory=list)
    critical: bool = False
    breached: bool = False
    status: str = ""
    note: str = ""
    title: str = ""


def gantt(
    rows: Sequence[Row],
    *,
    begin: datetime,
    now: datetime,
    is_working_day: Callable[[date], bool],
    title: str,
    description: str = "",
    labels: dict[str, str] | None = None,
    width: int = 1040,
    label_width: int = 260,
    chart_id: str = "",
) -> Markup:
    """Items as bars on a time axis in China days, rest days shaded. A bar is the item's
    time from ready to end; its promised limit is the outlined box behind it up to `due`;
    applicant waits are drawn apart (hatched); a breached item is red and flagged; items on
    the critical path are outlined and joined by a line."""
    labels = labels or {}
    note_width = 110
    plot = width - label_width - note_width
    ends = [begin]
    for row in rows:
        ends += [t for t in (row.start, row.end, row.due) if t is not None]
        if row.start is not None and row.end is None:
            ends.append(now)
    first_day = begin.astimezone(CHINA_TZ).date()
    last_day = max(ends).astimezone(CHINA_TZ).date() + timedelta(days=1)
    t0 = datetime.combine(first_day, time(), CHINA_TZ)
    t1 = datetime.combine(last_day, time(), CHINA_TZ)
    span = max((t1 - t0).total_seconds(), 1.0)

    def x(at: datetime) -> float:
        return label_width + (at - t0).total_seconds() / span * plot

    axis_top, top = 34, 44
    height = top + len(rows) * (ROW + 14) + 10
    parts: list[str] = []
    days = (last_day - first_day).days
    step = 1 if days <= 21 else 7 if days <= 120 else 30
    for n in range(days + 1):
        day = first_day + timedelta(days=n)
        left = x(datetime.combine(day, time(), CHINA_TZ))
        right = x(datetime.combine(day + timedelta(days=1), time(), CHINA_TZ))
        if n < days and not is_working_day(day):
            parts.append(
                f'<rect x="{left:.1f}" y="{axis_top}" width="{right - left:.1f}" '
                f'height="{height - axis_top}" class="rest"/>'
            )
        if n % step == 0:
            parts.append(
                f'<line x1="{left:.1f}" x2="{left:.1f}" y1="{axis_top}" y2="{height}" '
                'class="tick"/>'
            )
            if n < days:
                parts.append(_text(left + 3, axis_top - 6, day.strftime("%m-%d"), "axis"))
    critical_points: list[tuple[float, float, float]] = []
    y = top
    for row in rows:
        mid = y + ROW / 2
        parts.append(_label(label_width - 8, mid, row.label, label_width - 30, "group"))
        parts.append(_label(label_width - 8, mid + 13, row.sublabel, label_width - 16, "sub"))
        if row.start is not None:
            start = x(row.start)
            stop = x(row.end or now)
            if row.due is not None:
                parts.append(
                    f'<rect x="{start:.1f}" y="{y - 3}" width="{max(x(row.due) - start, 1):.1f}" '
                    f'height="{ROW + 6}" class="limit"><title>{escape(labels.get("limit", ""))}'
                    f"</title></rect>"
                )
                parts.append(
                    f'<line x1="{x(row.due):.1f}" x2="{x(row.due):.1f}" y1="{y - 5}" '
                    f'y2="{y + ROW + 5}" class="due"/>'
                )
            kind = "bar breached" if row.breached else "bar"
            if row.end is None:
                kind += " open"
            tip = f"<title>{escape(row.title)}</title>" if row.title else ""
            parts.append(
                f'<rect x="{start:.1f}" y="{y}" width="{max(stop - start, 2):.1f}" '
                f'height="{ROW}" class="{kind}">{tip}</rect>'
            )
            for wait in row.waits:
                left, right = x(wait.start), x(wait.end)
                parts.append(
                    f'<rect x="{left:.1f}" y="{y}" width="{max(right - left, 2):.1f}" '
                    f'height="{ROW}" class="wait"><title>{escape(wait.title)}</title></rect>'
                )
            if row.critical:
                parts.append(
                    f'<rect x="{start - 2:.1f}" y="{y - 2}" width="{max(stop - start, 2) + 4:.1f}" '
                    f'height="{ROW + 4}" class="critical"/>'
                )
                critical_points.append((start, stop, mid))
            note = row.note + (" ⚠" if row.breached else "")
            parts.append(
                _text(max(stop, x(row.due) if row.due else stop) + 6, mid + 4, note, "note")
            )
        else:
            parts.append(_text(label_width + 4, mid + 4, row.note, "note muted"))
        y += ROW + 14
    for (_, stop, y1), (start, _, y2) in zip(critical_points, critical_points[1:], strict=False):
        parts.append(
            f'<path d="M{stop:.1f},{y1:.1f} C{stop + 12:.1f},{y1:.1f} {start - 12:.1f},'
            f'{y2:.1f} {start:.1f},{y2:.1f}" class="critical-link"/>'
        )
    parts.insert(
        0,
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fbe3b0"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#d9951a" stroke-width="3"/></pattern></defs>',
    )
    now_x = x(now)
    if now_x <= width - note_width:
        parts.append(
            f'<line x1="{now_x:.1f}" x2="{now_x:.1f}" y1="{axis_top}" y2="{height}" class="now"/>'
        )
        parts.append(_text(now_x, axis_top + 10, labels.get("now", "now"), "axis now-label"))
    legend = [
        ("bar", labels.get("bar", "")),
        ("wait", labels.get("wait", "")),
        ("limit", labels.get("limit", "")),
        ("bar breached", labels.get("breached", "")),
        ("critical", labels.get("critical", "")),
        ("rest", labels.get("rest", "")),
    ]
    y = _legend(parts, [(k, v) for k, v in legend if v], height, label_width)
    return _svg(width, y + 4, title, description, parts, chart_id, "gantt")
