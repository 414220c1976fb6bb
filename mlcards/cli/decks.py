"""Decks in and out of mlcards' format: ``import``, ``convert`` and ``lint``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from mlcards.cli.base import (
    JsonOption,
    app,
    echo_json,
    echo_lines,
    global_options,
    new_console,
    open_for_import,
    output_option,
    settings_for,
    valued,
)
from mlcards.errors import UsageError

if TYPE_CHECKING:
    from mlcards.formats import FieldMap, Written
    from mlcards.records import ImportSummary
    from mlcards.services.decks import Loaded


MapOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    valued(
        "--map",
        metavar="KEY=FIELD",
        text="JSON/JSONL: the field holding question, choices (one list field, or several "
        "fields: choices=opa,opb), answer, explanation or id; repeat or quote several.",
    ),
]


@app.command("import")
def import_(
    ctx: typer.Context,
    paths: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Argument(
            help="Deck files or folders (*.yaml / *.yml), question files to convert "
            "(.csv, .tsv, .gift, .jsonl, .json), or Anki packages (.apkg, .colpkg).",
            metavar="PATH",
            show_default=False,
        ),
    ] = None,
    bundled: Annotated[
        bool,
        typer.Option(
            "--bundled",
            help="Add the decks that ship with mlcards (copied to decks/ in the data dir).",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Let a file take over a deck id that an earlier import took from another file.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    field_map: MapOption = None,
) -> None:
    """Import or update decks. All files are checked first; then all land, or none.

    CSV, TSV, Moodle GIFT, JSON Lines and JSON files are converted to YAML decks kept in the
    data dir (converted/DECK-ID.yaml, the copy to edit); importing the same file again updates
    the same deck and keeps its history. From an Anki package, the reviews of cards that came
    from mlcards join the log, and multiple-choice notes become decks (as CSV and GIFT)."""
    from mlcards.clock import now
    from mlcards.config import data_dir, load_settings
    from mlcards.services.decks import Loaded, add_bundled, keep_converted, load_for_import

    if bundled == bool(paths):
        raise UsageError("name deck files or folders (PATH...), or use --bundled")
    if bundled:
        with open_for_import(ctx, dry_run) as store:
            summaries = add_bundled(store, now(), data_dir() / "decks", dry_run=dry_run)
        _import_report(summaries, Loaded([], []), dry_run, as_json)
        return
    assert paths is not None
    packages = [p for p in paths if p.suffix.lower() in (".apkg", ".colpkg")]
    if packages:
        _import_packages(ctx, packages, dry_run=dry_run, replace=replace, as_json=as_json)
        paths = [p for p in paths if p not in packages]
        if not paths:
            return
    loaded = load_for_import(
        paths,
        data_dir() / "converted",
        load_settings().max_deck_bytes,
        dry_run=dry_run,
        replace=replace,
        mapping=_field_map(field_map),
    )
    from mlcards.sanitize import terminal_safe

    for line in loaded.skipped:
        sys.stderr.write(terminal_safe(line) + "\n")
    if not loaded.decks:
        raise UsageError("no deck files (*.yaml, *.yml) found in " + ", ".join(map(str, paths)))
    with open_for_import(ctx, dry_run) as store:
        summaries = store.decks.import_decks(loaded.decks, now(), dry_run=dry_run, replace=replace)
        if not dry_run:
            from mlcards.services.sync import take_waiting

            take_waiting(store, [d.id for d in loaded.decks])
    keep_converted(loaded)  # only once the import committed
    _import_report(summaries, loaded, dry_run, as_json)


def _field_map(values: list[str] | None) -> FieldMap | None:
    """``--map`` values, read by the converters, which are imported only when some are
    given: a YAML-only import needs none of them."""
    if not values:
        return None
    from mlcards.formats import parse_map

    return parse_map(values)


def _import_report(
    summaries: list[ImportSummary], loaded: Loaded, dry_run: bool, as_json: bool
) -> None:
    if as_json:
        echo_json(
            {
                "dry_run": dry_run,
                "changed": any(s.changed for s in summaries),
                "decks": [s.to_dict() for s in summaries],
                "skipped": loaded.skipped,
                "converted": [str(p) for p in loaded.converted],
            }
        )
        return
    from mlcards.render.text import import_summary

    console = new_console()
    console.print(import_summary(summaries, dry_run, console.width))
    from mlcards.sanitize import quote_path

    for written in loaded.converted:
        typer.echo(f"converted deck kept at {quote_path(written)} (edit it there)")


def _import_packages(
    ctx: typer.Context, packages: list[Path], *, dry_run: bool, replace: bool, as_json: bool
) -> None:
    """Anki packages: their decks first (as any import), then Anki's answers into the log."""
    from mlcards.clock import now
    from mlcards.config import data_dir, load_settings
    from mlcards.render.text import import_summary
    from mlcards.sanitize import quote_path, terminal_safe
    from mlcards.services.anki import import_packages, read_packages

    read = read_packages(packages)
    with open_for_import(ctx, dry_run) as store:
        settings = settings_for(store, load_settings())
        summaries, results = import_packages(
            store, read, data_dir() / "converted", settings, now(), dry_run, replace
        )
    if as_json:
        echo_json({"dry_run": dry_run, "packages": [r.to_dict() for r in results]})
        return
    for result in results:
        for line in result.skipped + result.notices:
            sys.stderr.write(terminal_safe(line) + "\n")
    if summaries:
        console = new_console()
        console.print(import_summary(summaries, dry_run, console.width))
    for result in results:
        echo_lines(result.lines())
        for written in result.converted:
            typer.echo(f"converted deck kept at {quote_path(written)} (edit it there)")


@app.command()
def convert(
    ctx: typer.Context,
    source: Annotated[
        Path,
        typer.Argument(
            help="A .csv, .tsv, .gift, .jsonl or .json file.", metavar="FILE", show_default=False
        ),
    ],
    output: Annotated[
        Optional[Path],  # noqa: UP045
        output_option("Write the YAML deck here (default: stdout)."),
    ] = None,
    fmt: Annotated[
        Optional[str],  # noqa: UP045
        valued(
            "--format",
            "-f",
            metavar="csv|tsv|gift|jsonl|json",
            text="The source's format (default: by extension).",
        ),
    ] = None,
    deck_id: Annotated[
        Optional[str],  # noqa: UP045
        valued("--deck-id", metavar="ID", text="The deck id (default: from the file name)."),
    ] = None,
    name: Annotated[
        Optional[str],  # noqa: UP045
        valued("--name", metavar="NAME", text="The deck name (default: from the file name)."),
    ] = None,
    field_map: MapOption = None,
) -> None:
    """Convert question sets into an mlcards YAML deck: MMLU-style CSV/TSV, Moodle GIFT, and
    the JSON Lines / JSON layouts of the public data sets (MMLU, MMLU-Pro, ARC, RACE, ...)."""
    from mlcards.config import load_settings
    from mlcards.formats import convert_stream, detect_format, parse_map
    from mlcards.output import open_output
    from mlcards.sanitize import quote_path

    kind = detect_format(source, fmt)
    if kind is None:
        raise UsageError(
            f"{quote_path(source)}: not a .csv, .tsv, .gift, .jsonl or .json file; "
            "name one with --format"
        )
    mapping = parse_map(field_map or [])
    with open_output(output, global_options(ctx).db_path()) as stream:
        written, layout = convert_stream(
            source,
            stream,
            kind,
            deck_id=deck_id,
            name=name,
            max_bytes=load_settings().max_deck_bytes,
            mapping=mapping,
            note=_note,
        )
    _report_conversion(source, output, written, layout)


def _note(line: str) -> None:
    from mlcards.sanitize import terminal_safe

    sys.stderr.write(terminal_safe(line) + "\n")


def _report_conversion(source: Path, output: Path | None, written: Written, layout: str) -> None:
    """On stderr: how the source was read, what was left out or kept last, what was written."""
    from mlcards.sanitize import quote_path
    from mlcards.wording import counted

    if layout:
        _note(f"{quote_path(source)}: read as {layout}")
    if written.skipped:
        skipped = counted(written.skipped, "record or question", "records or questions")
        _note(f"skipped {skipped}; see the lines above")
    if written.pinned:
        _note(f"{counted(written.pinned, 'card')} with a choice kept last (see the lines above)")
    if output is not None:
        where = quote_path(output)
        _note(f"wrote {counted(written.cards, 'card')} of deck {written.deck_id} to {where}")


@app.command()
def lint(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Deck files or folders.", metavar="PATH", show_default=False),
    ],
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on any warning.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Find answer cues in decks: a key longer than its distractors, absolute words only in
    wrong choices, a hedge only in the key, a key the other choices converge on, duplicate
    choices or cards, a stem that gives another card away, missing references; and how often
    "pick the longest" would win."""
    from mlcards.deck import load_decks
    from mlcards.lint import format_report, lint_decks

    report = lint_decks(load_decks(paths))
    if as_json:
        echo_json(report.to_dict())
    else:
        echo_lines(format_report(report))
    if strict and report.warnings:
        raise typer.Exit(1)
