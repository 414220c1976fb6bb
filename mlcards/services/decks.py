"""Decks into the database: imports of every kind (YAML as it is, other formats converted
first), the learner's editable copies of the bundled decks, and the checks that a named deck
or tag exists.

A bundled deck is never imported from inside the package (a reinstall would undo an edit):
it is copied once into the data dir, and a newer mlcards only replaces a copy the learner
never edited, or appends its new cards to one they did.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcards.atomic import write_text
from mlcards.bundled import bundled_deck_files, bundled_decks_dir
from mlcards.errors import DeckError, MlcardsError, OutputError, UsageError
from mlcards.models import Deck
from mlcards.sanitize import quote_path, terminal_safe
from mlcards.store import Store
from mlcards.wording import plural

if TYPE_CHECKING:
    from mlcards.formats import FieldMap
    from mlcards.records import ImportSummary

MANIFEST = ".bundled.json"


@dataclass
class BundledSync:
    """What ``sync_bundled`` did to the learner's copies of the bundled decks."""

    copies: list[Path]
    """Every copy, in the bundled order (BatchNorm first)."""
    changed: list[Path]
    """Copies written or extended this time (new decks, or a newer mlcards's cards)."""
    warnings: list[str]
    manifest: dict[str, Any]
    manifest_path: Path
    pending: dict[str, Any] = field(default_factory=dict)
    """The manifest entries of the changed copies, recorded by ``save``."""
    stamped: dict[str, list[object]] = field(default_factory=dict)
    """Shipped files read and found as the manifest has them: their stamps, recorded by
    ``save`` so that the next start does not read them (``_stamp``)."""

    def save(self, failed: set[str] | frozenset[str] = frozenset()) -> None:
        """Record which shipped version each changed copy now holds: only once it is
        imported, so that a copy that could not be imported is tried again next time."""
        import json

        entries = {name: entry for name, entry in self.pending.items() if name not in failed}
        for name, stamp in self.stamped.items():
            entries.setdefault(name, {**self.manifest[name], "stamp": stamp})
        if entries:
            self.manifest.update(entries)
            text = json.dumps(self.manifest, indent=2, sort_keys=True) + "\n"
            _write_text(self.manifest_path, text)


def _stamp(source: Path) -> list[object]:
    """What a shipped deck file is known by without reading it: this mlcards's version, the
    file's size and mtime (a new release or an edited install changes one of them)."""
    from mlcards import __version__

    info = source.stat()
    return [__version__, info.st_size, info.st_mtime_ns]


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _card_blocks(text: str, deck: Deck) -> dict[str, str]:
    """Each card's lines in a deck file, from its ``- id:`` line to the next card."""
    lines = text.splitlines(keepends=True)
    starts = [card.line for card in deck.cards] + [len(lines) + 1]
    return {
        card.id: "".join(lines[start - 1 : end - 1])
        for card, start, end in zip(deck.cards, starts, starts[1:], strict=False)
    }


def sync_bundled(folder: Path) -> BundledSync:
    """Keep the learner's editable copies of the bundled decks in ``folder``.

    The decks shipped inside the package are never imported or edited there (a reinstall
    would silently undo an edit): each is copied once into ``folder``, which ``e`` edits.
    A manifest remembers which bundled version each copy came from, so that a newer mlcards
    replaces a copy the learner never edited, and appends only its new cards to one they did
    (cards they deleted stay deleted; the result must still load, or the copy is left alone).
    """
    import json

    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    if not isinstance(manifest, dict):
        manifest = {}
    sync = BundledSync([], [], [], manifest, manifest_path)
    for source in bundled_deck_files():
        copy = folder / source.name
        sync.copies.append(copy)
        base = manifest.get(source.name) or {}
        stamp = _stamp(source)
        if base.get("stamp") == stamp and copy.exists():
            continue  # the shipped file the copy was checked against: not read again
        text = source.read_text(encoding="utf-8")
        if copy.exists() and base.get("sha256") == _digest(text):
            sync.stamped[source.name] = stamp
            continue  # this mlcards ships what the copy was made from
        from mlcards.deck import parse_deck  # only now: YAML costs start-up time

        shipped = parse_deck(text, str(source))
        if not copy.exists() or _digest(copy.read_text(encoding="utf-8")) == base.get("copy"):
            _write_text(copy, text)  # new, or never edited: the shipped version
        else:
            mine = copy.read_text(encoding="utf-8")
            try:
                own = parse_deck(mine, str(copy))
            except DeckError as exc:
                sync.warnings.append(
                    f"{quote_path(copy)} does not load ({terminal_safe(exc.problems[0])}); "
                    "the new bundled cards are added once it does"
                )
                continue
            known = set(base.get("cards", [])) | {c.id for c in own.cards}
            blocks = _card_blocks(text, shipped)
            added = [blocks[card.id] for card in shipped.cards if card.id not in known]
            if added:
                merged = mine.rstrip("\n") + "\n" + "".join(added)
                try:
                    parse_deck(merged, str(copy))
                except DeckError:
                    sync.warnings.append(
                        f"{copy}: could not add {len(added)} new bundled "
                        f"{plural(len(added), 'card')} to your "
                        f"edited copy; they are in {source}"
                    )
                    continue
                _write_text(copy, merged)
        sync.pending[source.name] = {
            "sha256": _digest(text),
            "copy": _digest(copy.read_text(encoding="utf-8")),
            "cards": [card.id for card in shipped.cards],
            "stamp": stamp,
        }
        sync.changed.append(copy)
    return sync


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, text)


def import_bundled(store: Store, now: datetime, folder: Path) -> list[Deck]:
    """Load the bundled decks (through the learner's copies in ``folder``) into an empty
    database."""
    from mlcards.deck import load_decks

    sync = sync_bundled(folder)
    decks = load_decks(sync.copies)
    store.decks.import_decks(decks, now)
    sync.save()
    return decks


def add_bundled(
    store: Store, now: datetime, folder: Path, dry_run: bool = False
) -> list[ImportSummary]:
    """``mlcards import --bundled``: the bundled decks, through the learner's copies in
    ``folder``, into a database that started with other decks; checked and imported like
    any import (a deck id another file owns is refused), those already there updated from
    their copies. A dry run reads the shipped files and writes nothing, copies included."""
    from mlcards.deck import load_decks

    if dry_run:
        decks = load_decks(bundled_deck_files())
        return store.decks.import_decks(decks, now, dry_run=True)
    sync = sync_bundled(folder)
    summaries = store.decks.import_decks(load_decks(sync.copies), now)
    sync.save()
    return summaries


def has_bundled(store: Store, folder: Path) -> bool:
    """Whether any deck came from the bundled decks (from the copies in ``folder``)."""
    inside = bundled_decks_dir().resolve()
    copies = folder.resolve()
    return any(
        path and Path(path).resolve().parent in (copies, inside)
        for path in store.decks.paths().values()
    )


def update_bundled(store: Store, now: datetime, folder: Path) -> list[str]:
    """On every review start: bring a newer mlcards's bundled cards into the decks that came
    from the bundle (and move decks imported from inside the package to their copies).
    Decks the learner never had are not added. Returns warnings to show."""
    inside = str(bundled_decks_dir().resolve())
    copies = folder.resolve()
    paths = store.decks.paths()
    bundled_ids = {
        deck_id
        for deck_id, path in paths.items()
        if path.startswith(inside + os.sep) or Path(path).resolve().parent == copies
    }
    if not bundled_ids:
        return []
    sync = sync_bundled(folder)
    moved = {d for d in bundled_ids if paths[d].startswith(inside + os.sep)}
    if not moved and not sync.changed:
        sync.save()  # (the stamps of shipped files read this once)
        return sync.warnings
    from mlcards.deck import load_deck  # only now: YAML costs start-up time

    changed = {copy.name for copy in sync.changed}
    wanted, failed = [], set()
    for copy in sync.copies:
        try:
            deck = load_deck(copy)
        except MlcardsError as exc:  # one broken copy must not block the others
            if copy.name in changed:
                failed.add(copy.name)
                sync.warnings.append(f"not imported: {terminal_safe(str(exc).splitlines()[0])}")
            continue
        if deck.id in bundled_ids and (deck.id in moved or copy.name in changed):
            wanted.append(deck)
    if wanted:
        store.decks.import_decks(wanted, now, replace=True)
    sync.save(failed)
    return sync.warnings


def follow_deck_files(
    store: Store, now: datetime, max_bytes: int | None = None
) -> tuple[list[str], list[str]]:
    """At the start of a session: re-import every deck whose file changed since it was
    imported (size and mtime first, one ``stat`` a deck; then the SHA-256 of a file that
    was touched), with an import's checks, all or nothing per file.

    Returns (what changed, warnings): one line per re-imported deck, and one per file that
    is missing or no longer loads (``FILE:LINE: problem``), whose deck keeps its cards as
    they were. Nothing is recorded for those, so the next session says so again."""
    from mlcards.store.decks import file_stamp

    changed: list[str] = []
    warnings: list[str] = []
    for record in store.decks.files():
        try:
            info = os.stat(record.path)
        except OSError:
            warnings.append(
                f"the file of deck {terminal_safe(record.deck_id)} is missing (looked at "
                f"{quote_path(record.path)}); its cards stay as they were"
            )
            continue
        if (info.st_size, info.st_mtime_ns) == (record.size, record.mtime_ns):
            continue
        stamp = file_stamp(record.path)
        if stamp is not None and stamp[2] == record.sha256:
            store.decks.restamp(record.deck_id, stamp)
            continue
        try:
            from mlcards.deck import DEFAULT_MAX_BYTES, load_deck  # only now: YAML is slow

            deck = load_deck(Path(record.path), max_bytes or DEFAULT_MAX_BYTES)
            if deck.id != record.deck_id:
                raise DeckError(
                    [
                        f"{quote_path(record.path)}:1: its deck id is now {deck.id!r}, was "
                        f"{record.deck_id!r}; import it with `mlcards import` to make a new deck"
                    ]
                )
            if record.sha256 is None and stamp is not None:  # first check since migration 11
                [preview] = store.decks.import_decks([deck], now, dry_run=True)
                if not preview.changed:  # as imported: no import, no pre-import backup
                    store.decks.restamp(record.deck_id, stamp)
                    continue
            [summary] = store.decks.import_decks([deck], now)
        except MlcardsError as exc:
            first = exc.problems[0] if isinstance(exc, DeckError) else str(exc)
            warnings.append(
                f"{terminal_safe(first)} (deck {terminal_safe(record.deck_id)} keeps its cards "
                "as they were until the file loads)"
            )
            continue
        if summary.changed or record.sha256 is not None:
            changed.append(
                f"{quote_path(Path(record.path).name)} changed: deck "
                f"{terminal_safe(record.deck_id)} re-imported ({_counts(summary)})."
            )
    return changed, warnings


def _counts(summary: ImportSummary) -> str:
    parts = [
        f"{len(ids)} {what}"
        for ids, what in (
            (summary.added, "added"),
            (summary.updated, "updated"),
            (summary.retired, "retired"),
            (summary.restored, "restored"),
            (summary.reset, "started over"),
        )
        if ids
    ]
    return ", ".join(parts) or "no card changed"


def check_deck(store: Store, deck: str | None) -> str | None:
    """The deck ``--deck`` names, by its id or its name (either case-insensitive): its id,
    or a UsageError listing the ids. An exact id wins; a name two decks share is refused."""
    if deck is None:
        return None
    names = store.decks.names()
    if deck in names:
        return deck
    wanted = deck.casefold()
    found = [i for i in names if i.casefold() == wanted] or [
        i for i, name in names.items() if name.casefold() == wanted
    ]
    if len(found) == 1:
        return found[0]
    if found:
        raise UsageError(
            f"{deck!r} names {len(found)} decks; name one by its id: {', '.join(found)}"
        )
    decks = ", ".join(names) or "none yet"
    raise UsageError(f"no deck {deck!r}; deck ids (see `mlcards status`): {decks}")


def check_tag(store: Store, tag: str | None) -> None:
    """An unknown ``--tag`` is an error, like an unknown ``--deck`` (not an empty queue)."""
    if tag is None:
        return
    tags = store.cards.tags()
    if tag not in tags:
        shown = ", ".join(sorted(tags)[:12]) + (", ..." if len(tags) > 12 else "")
        raise UsageError(f"no card has the tag {tag!r}; tags: {shown or 'none yet'}")


@dataclass
class Kept:
    """A converted deck's editable YAML, written only once the import that reads it commits."""

    text: str
    target: Path
    source: Path


@dataclass
class Loaded:
    """The decks an import reads, and what converting other formats skipped or will keep."""

    decks: list[Deck]
    skipped: list[str]
    kept: list[Kept] = field(default_factory=list)

    @property
    def converted(self) -> list[Path]:
        return [k.target for k in self.kept]


def _record_of(target: Path) -> Path:
    return target.with_name(target.name + ".json")


def _may_keep(target: Path, source: Path, replace: bool) -> None:
    """A kept YAML is replaced only when the learner has not edited it since it was written,
    and only by a conversion of the same source file (a deck id belongs to one file; the
    ids of converted decks come from file names, so two folders' ``quiz.csv`` would take each
    other's deck over). ``replace`` lets another source take it over."""
    import hashlib
    import json

    if not os.path.lexists(target):
        return
    try:
        record = json.loads(_record_of(target).read_text(encoding="utf-8"))
        written, owner = str(record["sha256"]), str(record["source"])
    except (OSError, ValueError, KeyError, TypeError):
        written, owner = "", ""
    try:
        now = hashlib.sha256(target.read_bytes()).hexdigest()
    except OSError as exc:
        raise DeckError([f"{quote_path(target)}: cannot read: {exc.strerror or exc}"]) from None
    shown = quote_path(target)
    if now != written:
        raise DeckError(
            [
                f"{shown}: edited since it was converted from {quote_path(owner or source)}; "
                f"not replaced. Import your edits with `mlcards import {shown}`, or move it "
                "away to convert the source again"
            ]
        )
    if owner != str(source) and not replace:
        raise DeckError(
            [
                f"{quote_path(source)}: its deck id {target.stem!r} belongs to the deck "
                f"converted from {quote_path(owner)}; rename the file, or import with "
                "--replace to let this one take the deck over"
            ]
        )


def keep_converted(loaded: Loaded) -> list[Path]:
    """Write the kept YAML of each converted deck and its record (what was written, from
    which source), after the import that reads them committed."""
    import hashlib
    import json

    from mlcards.atomic import write_text

    for kept in loaded.kept:
        try:
            kept.target.parent.mkdir(parents=True, exist_ok=True)
            write_text(kept.target, kept.text)
        except OSError as exc:
            raise OutputError(
                f"{quote_path(kept.target)}: the deck was imported, but its editable copy "
                f"could not be written: {exc.strerror or exc}"
            ) from None
        record = {
            "source": str(kept.source),
            "sha256": hashlib.sha256(kept.text.encode("utf-8")).hexdigest(),
        }
        write_text(_record_of(kept.target), json.dumps(record, indent=2) + "\n")
    return loaded.converted


def _converts(path: Path) -> bool:
    """A file of another format, converted before import. The converters are imported only
    for one: a YAML deck needs none of them."""
    if path.suffix.lower() in (".yaml", ".yml") or not path.is_file():
        return False
    from mlcards.formats import detect_format

    return detect_format(path) is not None


def load_for_import(
    paths: list[Path],
    converted_dir: Path,
    max_bytes: int,
    dry_run: bool = False,
    replace: bool = False,
    mapping: FieldMap | None = None,
) -> Loaded:
    """YAML decks (files or folders) as they are; CSV, TSV and GIFT files converted first
    (their YAML is kept in ``converted_dir`` as the one editable copy by ``keep_converted``,
    once the import succeeded). All problems of all files are collected into one DeckError."""
    from mlcards.deck import load_decks, parse_deck

    yaml_paths: list[Path] = []
    loaded = Loaded([], [])
    problems: list[str] = []
    for path in paths:
        if _converts(path):
            from mlcards.formats import convert_file

            try:
                conversion = convert_file(path, max_bytes=max_bytes, mapping=mapping)
                loaded.skipped.extend(conversion.skipped)
                if dry_run:
                    loaded.decks.append(conversion.deck)
                    continue
                target = converted_dir / f"{conversion.deck.id}.yaml"
                source = Path(os.path.abspath(path))
                _may_keep(target, source, replace)
                loaded.decks.append(parse_deck(conversion.yaml_text, str(target)))
                loaded.kept.append(Kept(conversion.yaml_text, target, source))
            except DeckError as exc:
                problems.extend(exc.problems)
        else:
            yaml_paths.append(path)
    try:
        loaded.decks += load_decks(yaml_paths, max_bytes=max_bytes) if yaml_paths else []
    except DeckError as exc:
        problems.extend(exc.problems)
    if problems:
        raise DeckError(problems)
    return loaded
