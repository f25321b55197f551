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
    """Bars drawn together under one label (e.g. a scenario's baseline, median and p90);
    a long label wraps (three lines at most), a sublabel (a department) goes under it."""

    label: str
    bars: list[Bar]
    href: str | None = None
    sublabel: str = ""


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
    largest bar (or `scale_max`) over the room the value labels leave; markers draw target
    lines with their labels on top."""
    note_room = _note_room([b.note for g in groups for b in g.bars], width)
    plot = width - label_width - note_room
    subs = [text_width(b.label) for g in groups for b in g.bars if b.label]
    sub_room = min(max(subs, default=0.0), label_width / 2)
    group_room = label_width - 16 - (sub_room + 10 if subs else 0)
    totals = [sum(s.value for s in b.segments) for g in groups for b in g.bars]
    top = scale_max or max([*totals, *(m.value for m in markers), 0.0]) or 1.0
    y = 28 if markers else 8
    parts: list[str] = []
    for group in groups:
        lines = len(wrap(group.label, group_room)[0])
        label_lines = lines + (1 if group.sublabel else 0)
        group_top = y
        y += max(0, (label_lines * LINE - len(group.bars) * (ROW + 2)) // 2)
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
                room = width - x - 8
                parts.append(_label(x + 6, y + ROW / 2 + 4, bar.note, room, "note", "start"))
            y += ROW + 2
        y = max(y, group_top + label_lines * LINE + 4)
        first = (group_top + y - 2) / 2 + 4 - (label_lines - 1) * LINE / 2
        parts.append(_link(_lines(8, first, group.label, group_room, "group"), group.href))
        if group.sublabel:
            at = first + lines * LINE
            parts.append(_label(8, at, group.sublabel, group_room, "sub", "start"))
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
    y = _legend(parts, legend, y, label_width, width)
    return _svg(width, y + 4, title, description, parts, chart_id, "bars")


def _note_room(notes: Sequence[str], width: float) -> float:
    """Room right of the bars for their value labels: the longest one's, within a third of
    the chart (a longer one is fitted, its whole text its tooltip)."""
    return min(max((text_width(n) for n in notes), default=0.0) + 14, width / 3)


def _legend(
    parts: list[str], legend: Sequence[tuple[str, str]], y: int, x0: float, width: float
) -> int:
    """The legend's swatches in rows from `x0`, a new row when the next would not fit."""
    if not legend:
        return y
    x = x0
    y += 6
    for kind, label in legend:
        step = 30 + text_width(label)
        if x > x0 and x + step > width:
            x, y = x0, y + LINE + 4
        parts.append(f'<rect x="{x:.1f}" y="{y}" width="14" height="12" class="{kind}"/>')
        parts.append(_text(x + 19, y + 10, label, "legend"))
        x += step
    return y + 18


LINE = 15  # px between the lines of a wrapped label
NARROW = frozenset("iIjl.,:;'|!()[] ")
WIDE = frozenset("mwMW@%")


def _char_width(char: str) -> float:
    """About how many px `char` takes at the charts' 12px font (on the safe side)."""
    if ord(char) > 0x2E80:  # CJK, full-width punctuation
        return 12.5
    if char in NARROW:
        return 3.8
    if char in WIDE:
        return 10.5
    if char.isupper():
        return 8.4
    return 7.0


def text_width(text: str) -> float:
    """About how many px `text` takes at the charts' 12px font (bold included)."""
    return sum(_char_width(c) for c in text)


def _fit(text: str, room: float) -> str:
    """`text` cut with an ellipsis to about `room` pixels: after a whole word when a word
    boundary falls in the second half, else after the last character that fits."""
    if text_width(text) <= room:
        return text
    cut = ""
    for char in text:
        if text_width(cut + char) + _char_width("…") > room:
            break
        cut += char
    word_end = cut.rfind(" ")
    if word_end > len(cut) // 2:
        cut = cut[:word_end]
    return cut.rstrip() + "…"


def _first_line(text: str, room: float) -> str:
    """The longest start of `text` within `room` px, ended between two words if it has a
    space (Chinese breaks anywhere)."""
    line = ""
    for char in text:
        if text_width(line + char) > room:
            break
        line += char
    if len(line) < len(text) and text[len(line)] != " " and " " in line:
        line = line[: line.rfind(" ")]
    return line.rstrip()


def wrap(text: str, room: float, max_lines: int = 3) -> tuple[list[str], bool]:
    """`text` in lines of about `room` px, and whether they hold all of it (else the last
    line ends with an ellipsis)."""
    lines: list[str] = []
    rest = text
    while len(lines) < max_lines - 1 and text_width(rest) > room:
        line = _first_line(rest, room)
        if not line:
            break
        lines.append(line)
        rest = rest[len(line) :].lstrip()
    last = _fit(rest, room)
    return [*lines, last], last == rest


def _lines(x: float, y: float, text: str, room: float, cls: str) -> str:
    """A label wrapped to three lines at most from (x, y) down, the whole text its tooltip
    when it was cut."""
    lines, whole = wrap(text, room)
    body = "".join(_text(x, y + i * LINE, line, cls) for i, line in enumerate(lines))
    tip = "" if whole else f"<title>{escape(text)}</title>"
    return f"<g>{tip}{body}</g>"


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


HATCH = (
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fbe3b0"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#d9951a" stroke-width="3"/></pattern></defs>'
)
GANTT_LEGEND = (
    ("bar", "bar"),
    ("wait", "wait"),
    ("limit", "limit"),
    ("bar breached", "breached"),
    ("critical", "critical"),
    ("rest", "rest"),
)  # (CSS class, key of its label)
AXIS_TOP, ROWS_TOP = 34, 44
ROW_PITCH = ROW + 14  # a row's bar and its department's line


@dataclass
class _Axis:
    """The time axis: whole China days from the first day to the day after the last mark,
    mapped onto `plot` pixels right of `left`."""

    first_day: date
    last_day: date
    left: float
    plot: float

    def __post_init__(self) -> None:
        self.t0 = datetime.combine(self.first_day, time(), CHINA_TZ)
        t1 = datetime.combine(self.last_day, time(), CHINA_TZ)
        self.span = max((t1 - self.t0).total_seconds(), 1.0)

    def x(self, at: datetime) -> float:
        return self.left + (at - self.t0).total_seconds() / self.span * self.plot

    def day_x(self, day: date) -> float:
        return self.x(datetime.combine(day, time(), CHINA_TZ))


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
    note_width = _note_room([_note(row) for row in rows if row.start is not None], width)
    axis = _axis(rows, begin, now, label_width, width - label_width - note_width)
    height = ROWS_TOP + len(rows) * ROW_PITCH + 10
    parts = _day_grid(axis, is_working_day, height)
    critical_points: list[tuple[float, float, float]] = []
    for index, row in enumerate(rows):
        y = ROWS_TOP + index * ROW_PITCH
        parts += _row_labels(row, y, label_width)
        if row.start is None:
            parts.append(_text(label_width + 4, y + ROW / 2 + 4, row.note, "note muted"))
            continue
        parts += _row_bars(row, axis, y, now, labels, width)
        if row.critical:
            critical_points.append((axis.x(row.start), axis.x(row.end or now), y + ROW / 2))
    parts += _critical_links(critical_points)
    parts.insert(0, HATCH)
    parts += _now_line(axis, now, width - note_width, height, labels)
    legend = [(kind, labels.get(key, "")) for kind, key in GANTT_LEGEND]
    y = _legend(parts, [(k, v) for k, v in legend if v], height, label_width, width)
    return _svg(width, y + 4, title, description, parts, chart_id, "gantt")


def _axis(rows: Sequence[Row], begin: datetime, now: datetime, left: float, plot: float) -> _Axis:
    """The axis covering the case's start and every row's start, end, due time (and now,
    for the rows still open)."""
    ends = [begin]
    for row in rows:
        ends += [t for t in (row.start, row.end, row.due) if t is not None]
        if row.start is not None and row.end is None:
            ends.append(now)
    first_day = begin.astimezone(CHINA_TZ).date()
    last_day = max(ends).astimezone(CHINA_TZ).date() + timedelta(days=1)
    return _Axis(first_day, last_day, left, plot)


def _day_grid(axis: _Axis, is_working_day: Callable[[date], bool], height: float) -> list[str]:
    """Rest days shaded, and a tick with its date every day, week or month."""
    parts: list[str] = []
    days = (axis.last_day - axis.first_day).days
    step = 1 if days <= 21 else 7 if days <= 120 else 30
    for n in range(days + 1):
        day = axis.first_day + timedelta(days=n)
        left, right = axis.day_x(day), axis.day_x(day + timedelta(days=1))
        if n < days and not is_working_day(day):
            parts.append(
                f'<rect x="{left:.1f}" y="{AXIS_TOP}" width="{right - left:.1f}" '
                f'height="{height - AXIS_TOP}" class="rest"/>'
            )
        if n % step == 0:
            parts.append(
                f'<line x1="{left:.1f}" x2="{left:.1f}" y1="{AXIS_TOP}" y2="{height}" '
                'class="tick"/>'
            )
            if n < days:
                parts.append(_text(left + 3, AXIS_TOP - 6, day.strftime("%m-%d"), "axis"))
    return parts


def _row_labels(row: Row, y: float, label_width: float) -> list[str]:
    mid = y + ROW / 2
    return [
        _label(label_width - 8, mid, row.label, label_width - 30, "group"),
        _label(label_width - 8, mid + 13, row.sublabel, label_width - 16, "sub"),
    ]


def _row_bars(
    row: Row, axis: _Axis, y: float, now: datetime, labels: dict[str, str], right: float
) -> list[str]:
    """A started row: its promised limit, its bar, the applicant's waits, its critical
    outline and its note (fitted left of `right`)."""
    assert row.start is not None
    x = axis.x
    start, stop, mid = x(row.start), x(row.end or now), y + ROW / 2
    parts: list[str] = []
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
    at = max(stop, x(row.due) if row.due else stop) + 6
    parts.append(_label(at, mid + 4, _note(row), right - 4 - at, "note", "start"))
    return parts


def _note(row: Row) -> str:
    """The value label right of a row's bar (and of its limit)."""
    return row.note + (" ⚠" if row.breached else "")


def _critical_links(points: list[tuple[float, float, float]]) -> list[str]:
    """Curves from each critical item's end to the next one's start ((start, stop, mid))."""
    return [
        f'<path d="M{stop:.1f},{y1:.1f} C{stop + 12:.1f},{y1:.1f} {start - 12:.1f},'
        f'{y2:.1f} {start:.1f},{y2:.1f}" class="critical-link"/>'
        for (_, stop, y1), (start, _, y2) in zip(points, points[1:], strict=False)
    ]


def _now_line(
    axis: _Axis, now: datetime, right: float, height: float, labels: dict[str, str]
) -> list[str]:
    """The line of now, when it falls inside the plot."""
    now_x = axis.x(now)
    if now_x > right:
        return []
    return [
        f'<line x1="{now_x:.1f}" x2="{now_x:.1f}" y1="{AXIS_TOP}" y2="{height}" class="now"/>',
        _text(now_x, AXIS_TOP + 10, labels.get("now", "now"), "axis now-label"),
    ]


STRIP_WIDTH, STRIP_HEIGHT = 300, 14


def strips(rows: Sequence[Row], begin: datetime, now: datetime) -> list[Markup]:
    """Per row, its bar alone on the case's time axis (the Gantt's, without labels): a
    strip as wide as its box, for the list the trace page shows on a narrow screen."""
    axis = _axis(rows, begin, now, 0, STRIP_WIDTH)
    drawn = []
    for row in rows:
        parts = [f'<rect x="0" y="0" width="{STRIP_WIDTH}" height="{STRIP_HEIGHT}" class="track"/>']
        if row.start is not None:
            start, stop = axis.x(row.start), axis.x(row.end or now)
            if row.due is not None:
                parts.append(_span(start, axis.x(row.due), "limit"))
            kind = ("bar breached" if row.breached else "bar") + (
                " open" if row.end is None else ""
            )
            parts.append(_span(start, stop, kind))
            parts += [_span(axis.x(w.start), axis.x(w.end), "wait") for w in row.waits]
        drawn.append(
            Markup(
                f'<svg xmlns="http://www.w3.org/2000/svg" class="strip" aria-hidden="true" '
                f'viewBox="0 0 {STRIP_WIDTH} {STRIP_HEIGHT}" preserveAspectRatio="none">'
                f"{''.join(parts)}</svg>"
            )
        )
    return drawn


def _span(left: float, right: float, cls: str) -> str:
    return (
        f'<rect x="{left:.1f}" y="2" width="{max(right - left, 1.5):.1f}" '
        f'height="{STRIP_HEIGHT - 4}" class="{cls}"/>'
    )
