"""Command output as values: rich tables for import and status, plain lines for the lists a
script may also read (card lists, backups, check findings). Nothing here prints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from mlcards.records import Backup, DeckStatus, ImportSummary
from mlcards.render.plain import (
    NO_DECKS,
    STATUS_COLUMNS,
    status_layout,
    status_notes,
    wrap_id,
)
from mlcards.sanitize import quote_path, terminal_safe

CHECK_SHOWN = 50


IMPORT_COLUMNS = ("Added", "Updated", "Same", "Retired", "Reset")


def import_summary(summaries: Sequence[ImportSummary], dry_run: bool, width: int = 80) -> Group:
    table = Table(
        title="Import (dry run: nothing written)" if dry_run else "Import",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
        collapse_padding=True,
    )
    numbers = sum(len(name) + 2 for name in IMPORT_COLUMNS) + 2
    table.add_column("Deck", overflow="fold", max_width=max(12, width - numbers))
    for name in IMPORT_COLUMNS:
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    for s in summaries:
        label = s.deck_id + (" (new)" if s.new_deck else "")
        counts = (s.added, s.updated, s.unchanged, s.retired, s.reset)
        table.add_row(Text(label), *(str(len(c)) for c in counts))
    parts: list[RenderableType] = [table]
    for s in summaries:
        if s.reset:
            parts.append(
                Text(f"{s.deck_id}: answer changed, schedule reset (history kept): ")
                + Text(", ".join(s.reset))
            )
        if s.restored:
            parts.append(Text(f"{s.deck_id}: back from retirement: {', '.join(s.restored)}"))
        if s.retired:
            parts.append(
                Text(
                    f"{s.deck_id}: retired (gone from the file; history kept): "
                    f"{', '.join(s.retired)}"
                )
            )
    if not any(s.changed for s in summaries):
        parts.append(Text("Nothing changed: the database already matches these files."))
    return Group(*parts)


def status_table(
    decks: Sequence[DeckStatus],
    today: date,
    next_due: date | None,
    width: int = 80,
    ahead: tuple[int, int] | None = None,
) -> Group:
    if not decks:
        return Group(*(Text(line) for line in NO_DECKS))
    table = Table(
        title=f"Study day {today.isoformat()}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
        collapse_padding=True,
    )
    ids, room, with_names = status_layout(decks, width)
    table.add_column("Deck id", no_wrap=True, min_width=ids, max_width=ids)
    if with_names:
        table.add_column("Name", no_wrap=True, overflow="ellipsis", max_width=room)
    for name, _ in STATUS_COLUMNS:
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    for d in decks:
        named = [Text(terminal_safe(d.name))] if with_names else []
        table.add_row(
            Text(wrap_id(terminal_safe(d.id), ids)),
            *named,
            *(str(getattr(d, key)) for _, key in STATUS_COLUMNS),
        )
    table.add_section()
    table.add_row(
        "total",
        *([""] if with_names else []),
        *(str(sum(getattr(d, key) for d in decks)) for _, key in STATUS_COLUMNS),
    )
    legend, *notes = status_notes(decks, today, next_due, ahead)
    parts: list[RenderableType] = [table, Text(legend, style="dim")]
    parts += [Text(note) for note in notes]
    return Group(*parts)


def card_list(cards: Sequence[dict[str, object]], empty: str) -> list[str]:
    if not cards:
        return [empty]
    lines = []
    for c in cards:
        where = f"{quote_path(str(c['path']))}:{c['line']}" if c["path"] else "(no file)"
        title = f"  {quote_path(str(c['title']))}" if c["title"] else ""
        key = quote_path(f"{c['deck']}/{c['card']}")
        note = f"\n    note: {quote_path(str(c['note']))}" if c.get("note") else ""
        lines.append(f"{key}{title}\n    {where}  lapses: {c['lapses']}{note}")
    return lines


def backup_lines(backups: Sequence[Backup]) -> list[str]:
    """One aligned row per backup under a header: name (what ``backup restore`` takes; it
    holds the reason too), when it was made in UTC, size. Fits 80 columns for the default
    database's names."""
    if not backups:
        return ["No backups yet."]
    rows = [
        (
            quote_path(b.path.name),
            b.created.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            f"{b.size / 1024:,.0f} KiB",
        )
        for b in backups
    ]
    header = ("name", "created (UTC)", "size")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    return [
        f"{name:<{widths[0]}}  {created:<{widths[1]}}  {size:>{widths[2]}}"
        for name, created, size in [header, *rows]
    ]


def check_lines(
    integrity: Sequence[str],
    differences: Sequence[str],
    cards: int,
    repaired: bool,
    backup: object,
    index: Sequence[str] = (),
    totals: Sequence[str] = (),
) -> list[str]:
    lines = [f"integrity: {terminal_safe(line)}" for line in integrity]
    lines += [f"schedule: {terminal_safe(line)}" for line in differences[:CHECK_SHOWN]]
    if len(differences) > CHECK_SHOWN:
        lines.append(f"... and {len(differences) - CHECK_SHOWN} more")
    lines += [f"search index: {terminal_safe(line)}" for line in index]
    lines += [f"stats totals: {terminal_safe(line)}" for line in totals]
    if not integrity and not differences and not index and not totals:
        lines += [  # (short lines: each fits a 60-column terminal whole)
            "ok: integrity checked",
            "ok: the schedule of 1 card matches the log"
            if cards == 1
            else f"ok: the schedules of {cards:,} cards match the log",
            "ok: the stats totals match the log",
            "ok: the search index matches the cards",
        ]
    if repaired and (differences or totals):
        lines.append(f"repaired: rebuilt the schedule from the log (backup first: {backup})")
    if repaired and index:
        lines.append(f"repaired: rebuilt the search index (backup first: {backup})")
    if (differences or index or totals) and not repaired:
        lines.append("run `mlcards check --repair` to rebuild them from the log and the cards")
    return lines


def config_lines(settings: dict[str, object], path: object) -> list[str]:
    """``config show``: one ``key = value`` line per setting, per-deck ones as decks.ID.KEY."""
    values = dict(settings)
    decks = values.pop("decks", {})
    lines = [f"{key} = {_setting(value)}" for key, value in values.items()]
    if isinstance(decks, dict):
        for deck_id, overrides in decks.items():
            shown = quote_path(str(deck_id))
            lines += [
                f"decks.{shown}.{key} = {_setting(value)}" for key, value in overrides.items()
            ]
    return [*lines, f"# file: {quote_path(str(path))}"]


def _setting(value: object) -> str:
    """A setting as ``config set`` takes it: a list comma-separated, no value as ``default``."""
    if value is None:
        return "default"
    if isinstance(value, list | tuple):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return str(value)
