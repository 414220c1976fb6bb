"""Command output as values: rich tables for import and status, plain lines for the lists a
script may also read (card lists, backups, check findings). Nothing here prints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from mlcards.models import Backup, DeckStatus, ImportSummary
from mlcards.render.review import describe_due

CHECK_SHOWN = 50


def import_summary(summaries: Sequence[ImportSummary], dry_run: bool) -> Group:
    table = Table(
        title="Import (dry run: nothing written)" if dry_run else "Import", title_justify="left"
    )
    table.add_column("Deck")
    for name in ("Added", "Updated", "Unchanged", "Retired", "Reset"):
        table.add_column(name, justify="right")
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


STATUS_COLUMNS = ("cards", "new", "due", "retired")


def status_table(decks: Sequence[DeckStatus], today: date, next_due: date | None) -> Group:
    if not decks:
        return Group(
            Text("No decks yet. Run `mlcards review` to start with the bundled decks, or"),
            Text("`mlcards import PATH` to add your own."),
        )
    totals = {key: sum(getattr(d, key) for d in decks) for key in STATUS_COLUMNS}
    table = Table(title=f"Study day {today.isoformat()}", title_justify="left")
    table.add_column("Deck")
    for name in STATUS_COLUMNS:
        table.add_column(name.capitalize(), justify="right")
    for d in decks:
        table.add_row(Text(d.id), *(str(getattr(d, key)) for key in STATUS_COLUMNS))
    table.add_section()
    table.add_row("total", *(str(totals[k]) for k in STATUS_COLUMNS))
    return Group(table, Text(f"Next review: {describe_due(next_due, today)}"))


def card_list(cards: Sequence[dict[str, object]], empty: str) -> list[str]:
    if not cards:
        return [empty]
    lines = []
    for c in cards:
        where = f"{c['path']}:{c['line']}" if c["path"] else "(no file)"
        title = f"  {c['title']}" if c["title"] else ""
        lines.append(f"{c['deck']}/{c['card']}{title}\n    {where}  lapses: {c['lapses']}")
    return lines


def backup_lines(backups: Sequence[Backup]) -> list[str]:
    if not backups:
        return ["No backups yet."]
    return [
        f"{b.path.name}  {b.created.astimezone().strftime('%Y-%m-%d %H:%M')}  "
        f"{b.reason:<13} {b.size / 1024:,.0f} KiB"
        for b in backups
    ]


def check_lines(
    integrity: Sequence[str],
    differences: Sequence[str],
    cards: int,
    repaired: bool,
    backup: object,
) -> list[str]:
    lines = [f"integrity: {line}" for line in integrity]
    lines += [f"schedule: {line}" for line in differences[:CHECK_SHOWN]]
    if len(differences) > CHECK_SHOWN:
        lines.append(f"... and {len(differences) - CHECK_SHOWN} more")
    if not integrity and not differences:
        lines.append(f"ok: integrity checked, {cards} cards' schedules match the log")
    if repaired:
        lines.append(f"repaired: rebuilt the schedule from the log (backup first: {backup})")
    if differences and not repaired:
        lines.append("run `mlcards check --repair` to rebuild the schedule from the log")
    return lines


def config_lines(settings: dict[str, object], path: object) -> list[str]:
    """``config show``: one ``key = value`` line per setting, per-deck ones as decks.ID.KEY."""
    values = dict(settings)
    decks = values.pop("decks", {})
    lines = [f"{key} = {_setting(value)}" for key, value in values.items()]
    if isinstance(decks, dict):
        for deck_id, overrides in decks.items():
            lines += [
                f"decks.{deck_id}.{key} = {_setting(value)}" for key, value in overrides.items()
            ]
    return [*lines, f"# file: {path}"]


def _setting(value: object) -> str:
    """A setting as ``config set`` takes it: a list comma-separated, no value as ``default``."""
    if value is None:
        return "default"
    if isinstance(value, list | tuple):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return str(value)
