"""The ``stats`` dashboard (returned as one renderable) and the export progress bar.

Everything is drawn from the ``stats`` document (``mlcards.stats.build_stats``), so the
dashboard shows exactly the numbers of ``stats --json``. It fits 80 columns and reads
without colour: levels are shading characters, colour only adds to them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from mlcards import rules
from mlcards.wording import counted

SHADES = "·░▒▓█"
"""Heatmap levels: no answers, then quarters of the busiest day."""
SHADE_STYLES = ("dim", "green4", "green3", "green1", "bold bright_green")
EIGHTHS = " ▁▂▃▄▅▆▇█"
BAR = "█"
HEATMAP_WEEKS = 53
FORECAST_HEIGHT = 6
TAG_LIMIT = 10
DISTRACTOR_LIMIT = 5

T = TypeVar("T")


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def duration(ms: int) -> str:
    seconds = ms // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis: ids and titles give way, never
    the numbers beside them."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _numbers_table(
    label: str,
    headers: tuple[str, ...],
    rows: Sequence[tuple[str, tuple[str, ...]]],
    width: int,
    tail: Sequence[RenderableType] | None = None,
    tail_width: int = 0,
) -> Table:
    """A table of one label column and number columns: every number column as wide as its
    header and its widest value (never cut), the label column the rest (labels shortened,
    never wrapped), then an optional ``tail`` column (a bar, a mark) of ``tail_width``."""
    widths = [
        max([len(header), *(len(values[i]) for _, values in rows)])
        for i, header in enumerate(headers)
    ]
    labels = max([len(label), *(len(name) for name, _ in rows)])
    used = sum(size + 2 for size in widths) + (tail_width + 2 if tail is not None else 0)
    room = min(labels, max(width - used, 8))  # two spaces between columns
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold", pad_edge=False)
    table.add_column(label, no_wrap=True, width=room)
    for header, size in zip(headers, widths, strict=True):
        table.add_column(header, justify="right", no_wrap=True, width=size)
    if tail is not None:
        table.add_column("", no_wrap=True, width=tail_width)
    for index, (name, values) in enumerate(rows):
        extra = [tail[index]] if tail is not None else []
        table.add_row(shorten(name, room), *values, *extra)
    return table


def _title(text: str) -> Rule:
    return Rule(Text(text, style="bold"), align="left", style="blue")


def _bar(value: int, largest: int, width: int) -> str:
    if largest <= 0 or value <= 0:
        return ""
    return BAR * max(1, round(width * value / largest))


def heatmap(counts: dict[date, int], today: date, first: date | None) -> Group:
    """53 week columns x 7 weekday rows ending with today's week, one character per day."""
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=HEATMAP_WEEKS - 1)
    busiest = max(counts.values(), default=0)
    months = [" "] * (HEATMAP_WEEKS + 2)  # a label may overhang the last week by two
    firsts = [  # the first week column of each month in view
        week
        for week in range(HEATMAP_WEEKS)
        if week == 0
        or (start + timedelta(weeks=week)).month != (start + timedelta(weeks=week - 1)).month
    ]
    free = 0
    for index, week in enumerate(firsts):
        place = max(week, free)  # pushed right past the previous label if they would touch
        ends = firsts[index + 1] if index + 1 < len(firsts) else HEATMAP_WEEKS
        if place + 3 <= len(months) and place < ends:
            months[place : place + 3] = (start + timedelta(weeks=week)).strftime("%b")
            free = place + 4
    lines = [Text("    " + "".join(months).rstrip())]
    for weekday, label in enumerate(("Mon", "", "Wed", "", "Fri", "", "Sun")):
        line = Text(f"{label:<4}")
        for week in range(HEATMAP_WEEKS):
            day = start + timedelta(weeks=week, days=weekday)
            if day > today or (first is not None and day < first):
                line.append(" ")
                continue
            count = counts.get(day, 0)
            level = math.ceil(4 * count / busiest) if busiest and count else 0
            line.append(SHADES[level], style=SHADE_STYLES[level])
        lines.append(line)
    legend = Text("    less ")
    for level, shade in enumerate(SHADES):
        legend.append(shade, style=SHADE_STYLES[level])
        legend.append(" ")
    legend.append(f"more   (busiest day: {busiest} answers)")
    lines.append(legend)
    return Group(*lines)


def forecast_chart(days: list[dict[str, Any]], room: int = 80) -> Group:
    """Vertical bars, two columns per day (one when ``room`` is too narrow for two), eighth
    blocks for the top of each bar."""
    values = [int(d["due"]) for d in days]
    largest = max(values, default=0)
    width = len(str(largest))
    step = 2 if width + 2 + 2 * len(values) <= room else 1
    lines = []
    for row in range(FORECAST_HEIGHT):
        level_floor = (FORECAST_HEIGHT - 1 - row) * 8
        label = str(largest) if row == 0 else ""
        line = Text(f"{label:>{width}} │", style="dim")
        for value in values:
            units = round(FORECAST_HEIGHT * 8 * value / largest) if largest else 0
            if value and units == 0:
                units = 1
            bar = EIGHTHS[min(max(units - level_floor, 0), 8)]
            line.append(bar + " " * (step - 1), style="cyan")
        lines.append(line)
    lines.append(Text(" " * width + " └" + "─" * (step * len(values)), style="dim"))
    axis = [" "] * (step * len(values) + 3)
    for offset, mark in ((0, "today"), (7, "+7"), (14, "+14"), (21, "+21"), (28, "+28")):
        if offset < len(values):
            axis[step * offset : step * offset + len(mark)] = mark
    lines.append(Text(" " * (width + 2) + "".join(axis).rstrip(), style="dim"))
    return Group(*lines)


def _share(entry: dict[str, Any]) -> str:
    if not entry["answers"]:
        return "-"
    return f"{percent(entry['rate'])} {entry['correct']}/{entry['answers']}"


def histogram_table(title: str, rows: list[dict[str, Any]], width: int = 16) -> Table:
    largest = max((int(r["cards"]) for r in rows), default=0)
    table = Table.grid(padding=(0, 1))
    table.title = title
    table.title_justify = "left"
    table.add_column(justify="right", style="dim", no_wrap=True)
    table.add_column(width=width, no_wrap=True, style="magenta")
    table.add_column(justify="right", no_wrap=True)
    for r in rows:
        table.add_row(str(r["bin"]), _bar(int(r["cards"]), largest, width), str(r["cards"]))
    return table


def _accuracy_table(label: str, rows: list[dict[str, Any]], key: str, width: int) -> Table:
    """Answers and accuracy per deck or tag, and a bar when there is room for one."""
    bar = 20 if width >= 70 else 10
    return _numbers_table(
        label,
        ("Answers", "Accuracy"),
        [(str(r[key]), (str(r["answers"]), percent(r["rate"]))) for r in rows],
        width,
        [Text(_bar(int(r["correct"]), int(r["answers"]), bar), style="green") for r in rows],
        bar,
    )


def _header(doc: dict[str, Any]) -> RenderableType:
    window = doc["window"]
    scope = f"last {window['days']} days" if window["days"] else "all history"
    if doc["filter"]["deck"]:
        scope += f" · deck {doc['filter']['deck']}"
    if doc["filter"]["tag"]:
        scope += f" · tag {doc['filter']['tag']}"
    return Text(f"mlcards stats · study day {doc['today']} · {scope}", style="bold")


def _today_section(doc: dict[str, Any]) -> RenderableType:
    t, totals, streak = doc["today_activity"], doc["totals"], doc["streak"]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row(
        "Today",
        f"{t['answers']} answered · {percent(t['accuracy'])} correct · {duration(t['time_ms'])}",
    )
    grid.add_row(
        "Streak",
        f"{counted(streak['current'], 'day')} (longest {streak['longest']})",
    )
    grid.add_row(
        "Window",
        f"{totals['answers']} answered · {percent(totals['accuracy'])} correct · "
        f"{duration(totals['time_ms'])} over {totals['study_days']} study days · "
        f"{totals['cards_reviewed']} cards",
    )
    return Group(_title("Today"), grid)


def _calendar_section(doc: dict[str, Any]) -> RenderableType:
    counts = {date.fromisoformat(c["day"]): int(c["answers"]) for c in doc["calendar"]}
    first = date.fromisoformat(doc["window"]["from"]) if doc["window"]["from"] else None
    today = date.fromisoformat(doc["today"])
    return Group(_title("Reviews per day"), heatmap(counts, today, first))


def _forecast_section(doc: dict[str, Any], width: int) -> RenderableType:
    days = doc["forecast"]["days"]
    week = sum(int(d["due"]) for d in days[:7])
    month = sum(int(d["due"]) for d in days)
    return Group(
        _title("Forecast: cards due, next 30 days"),
        forecast_chart(days, width),
        f"Due today {days[0]['due']} ({doc['forecast']['overdue']} overdue) · "
        f"next 7 days {week} · next 30 days {month}",
    )


def _retention_section(doc: dict[str, Any]) -> RenderableType:
    retention = Table(box=None, padding=(0, 2), show_edge=False, header_style="bold")
    for name in ("Last", "Young", "Mature", "All"):
        retention.add_column(name, justify="left" if name == "Last" else "right", no_wrap=True)
    for r in doc["retention"]:
        retention.add_row(
            f"{r['days']} days", _share(r["young"]), _share(r["mature"]), _share(r["all"])
        )
    return Group(
        _title("Retention (first answer of the day)"),
        retention,
        Text(f"young: interval under {rules.MATURE_INTERVAL} days; mature: the rest", "dim"),
    )


def _stages_section(doc: dict[str, Any], width: int) -> RenderableType:
    keys = ("new", "learning", "young", "mature", "retired")
    headers = tuple("Learning" if key == "learning" else key.capitalize() for key in keys)
    rows = [(str(d["deck"]), tuple(str(d[k]) for k in keys)) for d in doc["stages"]["decks"]]
    if len(rows) > 1:
        rows.append(("total", tuple(str(doc["stages"]["total"][k]) for k in keys)))
    stages = _numbers_table("Deck", headers, rows, width)
    if len(rows) > 1:
        stages.rows[-2].end_section = True
    return Group(_title("Cards by stage"), stages)


def _easiness_section(doc: dict[str, Any], width: int) -> RenderableType:
    easiness = histogram_table("Easiness factor", doc["easiness"])
    intervals = histogram_table("Interval", doc["intervals"])
    title = _title("Easiness and intervals (learned cards)")
    if width >= 76:
        pair = Table.grid(padding=(0, 4))
        pair.add_row(easiness, intervals)
        return Group(title, pair)
    return Group(title, easiness, Text(""), intervals)


def _retrievability_section(doc: dict[str, Any]) -> RenderableType:
    r = doc.get("retrievability")
    if not r:
        return Group()
    return Group(
        _title("FSRS cards: predicted recall today"),
        f"{counted(r['cards'], 'card')} scheduled by FSRS · "
        f"mean predicted recall {percent(r['mean'])}",
        histogram_table("Recall", r["bins"]),
    )


def _accuracy_section(doc: dict[str, Any], width: int) -> RenderableType:
    tags = doc["accuracy_by_tag"]
    parts: list[RenderableType] = [
        _title("Accuracy by deck"),
        _accuracy_table("Deck", doc["accuracy_by_deck"], "deck", width),
        _title("Accuracy by tag"),
        _accuracy_table("Tag", tags[:TAG_LIMIT], "tag", width),
    ]
    if len(tags) > TAG_LIMIT:
        parts.append(Text(f"… and {len(tags) - TAG_LIMIT} more tags (see --json)", style="dim"))
    return Group(*parts)


def _hardest_section(doc: dict[str, Any], leech_threshold: int, width: int) -> RenderableType:
    parts: list[RenderableType] = [_title("Hardest cards")]
    if doc["hardest"]:
        rows = [
            (
                f"{c['deck']}/{c['card']}",
                (
                    str(c["reviews"]),
                    str(c["lapses"]),
                    f"{c['easiness']:.2f}",
                    percent(c["accuracy"]),
                ),
            )
            for c in doc["hardest"]
        ]
        marks: list[RenderableType] = [
            Text("LEECH", style="bold red") if c["leech"] else Text("") for c in doc["hardest"]
        ]
        leeches = any(c["leech"] for c in doc["hardest"])
        parts.append(
            _numbers_table(
                "Card",
                ("Reviews", "Lapses", "EF", "Right"),
                rows,
                width,
                marks if leeches else None,
                5,
            )
        )
    else:
        parts.append(Text("No card has lapsed or lost easiness."))
    if doc["leeches"]:
        count = len(doc["leeches"])
        parts.append(
            Text(
                f"{counted(count, 'leech', 'leeches')}: forgotten {leech_threshold} or "
                "more times after learning (the leech threshold). Rewrite or split them.",
                style="red",
            )
        )
    return Group(*parts)


def _distractor_picks(d: dict[str, Any], width: int) -> RenderableType:
    counts = f"  {d['answers']} answers, {d['correct']} right, {d['dont_know']} don't know"
    line = Text(shorten(f"{d['deck']}/{d['card']}", max(width - len(counts), 12)), style="bold")
    line.append(counts, style="dim")
    rows = []
    for choice in d["choices"]:
        text = " ".join(str(choice.get("text") or choice["id"]).split())
        if choice["picks"]:
            share = percent(choice["picks"] / d["answers"]) if d["answers"] else "-"
            rows.append((f"{choice['picks']}x", share, text))
        else:
            rows.append(("never", "", text))
    picks = Table.grid(padding=(0, 1))
    sizes = [max(len(row[i]) for row in rows) for i in (0, 1)]
    picks.add_column(justify="right", no_wrap=True, width=sizes[0])
    picks.add_column(justify="right", no_wrap=True, width=sizes[1])
    room = max(width - 2 - sizes[0] - sizes[1] - 2, 8)
    picks.add_column(no_wrap=True, width=room)
    for times, share, text in rows:
        style = "yellow" if times == "never" else ""
        picks.add_row(Text(times, style=style), share, Text(shorten(text, room)))
    return Group(line, Padding(picks, (0, 0, 0, 2)))


def _distractors_section(doc: dict[str, Any], width: int) -> RenderableType:
    shown = [d for d in doc["distractors"] if d["wrong_picks"]][:DISTRACTOR_LIMIT]
    parts: list[RenderableType] = [_title("Distractors: wrong choices picked (first answers)")]
    if not shown:
        parts.append(Text("No wrong choice has been picked yet."))
    parts += [_distractor_picks(d, width) for d in shown]
    return Group(*parts)


def render_dashboard(
    doc: dict[str, Any], leech_threshold: int = rules.DEFAULT_LEECH_THRESHOLD, width: int = 80
) -> Group:
    """Every section of ``mlcards stats``, top to bottom, laid out for ``width`` columns
    (60 and up); each section is one function returning its renderable."""
    return Group(
        _header(doc),
        _today_section(doc),
        _calendar_section(doc),
        _forecast_section(doc, width),
        _retention_section(doc),
        _stages_section(doc, width),
        _easiness_section(doc, width),
        _retrievability_section(doc),
        _accuracy_section(doc, width),
        _hardest_section(doc, leech_threshold, width),
        _distractors_section(doc, width),
    )


def render_no_reviews(doc: dict[str, Any]) -> Group:
    window = doc["window"]
    where = f" in the last {window['days']} days" if window["days"] else ""
    scope = ""
    if doc["filter"]["deck"]:
        scope += f" for deck {doc['filter']['deck']}"
    if doc["filter"]["tag"]:
        scope += f" with tag {doc['filter']['tag']}"
    return Group(
        Text(f"No reviews{where}{scope} yet: nothing to show."),
        Text("Answer some cards with `mlcards review`, then come back."),
    )


def progress(rows: Iterable[T], total: int, description: str) -> Iterator[T]:
    """Yield ``rows`` while drawing a progress bar on stderr (callers check it is a TTY)."""
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        for row in rows:
            yield row
            bar.advance(task)


__all__ = ["progress", "render_dashboard", "render_no_reviews"]
