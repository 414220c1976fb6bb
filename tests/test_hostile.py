"""Hostile input and output (issue 15): a deck is data, never control.

Each case has a fixture (tests/data/hostile/, or one built here when it cannot live in git:
a FIFO, a symlink, a zero-byte database) and checks the exit code, the message, that no
control byte from user data reaches stdout or stderr, and that the database is left
byte-for-byte as it was where nothing should change.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pexpect
import pytest
from helpers import deck_yaml, start, subprocess_env, toy_deck, write
from pty_helpers import spawn_mlcards

from mlcards.deck import load_decks
from mlcards.deckfiles import read_regular_file
from mlcards.errors import DeckError, StoreError
from mlcards.store import Store, backups, list_backups, prune_backups

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
# What a terminal would act on, in decoded text: ESC and other C0 controls (not tab and
# newline), DEL, C1, bidi overrides; and undecodable bytes (surrogate escapes).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\udc80-\udcff]")


@dataclass
class Run:
    code: int
    out: str
    err: str


def run(home: Path, *args: str, cwd: Path | None = None, timeout: int = 60, **extra: str) -> Run:
    """The real command in a child process (no terminal, NO_COLOR): any control byte in its
    output came from user data, so every run asserts there is none."""
    done = start(list(args), subprocess_env(home, **extra), cwd or home.parent, timeout=timeout)
    result = Run(
        done.returncode,
        done.stdout.decode("utf-8", "surrogateescape"),
        done.stderr.decode("utf-8", "surrogateescape"),
    )
    for name, text in (("stdout", result.out), ("stderr", result.err)):
        found = CONTROL.search(text.replace("\r\n", "\n"))  # CSV lines end in CRLF
        assert found is None, f"{name} holds {found.group()!r}: {text!r}"
    return result


def no_traceback(result: Run) -> None:
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def db(home: Path, tmp_path: Path) -> Path:
    """A database holding the toy deck and one review; ``home/mlcards.db``."""
    path = home / "mlcards.db"
    assert run(home, "import", str(write(tmp_path / "toy.yaml", deck_yaml())), "--json").code == 0
    add_review(path)
    return path


def add_review(path: Path, when: str = "2026-03-01") -> None:
    from helpers import answer_all

    from mlcards.models import Quality

    with Store.open(path) as store:
        answer_all(store, when, Quality.GOOD, limit=1)


def review_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM reviews").fetchone()[0])
    finally:
        conn.close()


# -- deck text cannot drive the terminal --------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "line", "char"),
    [
        ("osc52-clipboard-in-name.yaml", 3, "U+001B (ESC)"),
        ("osc8-hyperlink-in-question.yaml", 6, "U+001B (ESC)"),
        ("osc0-window-title-in-title.yaml", 6, "U+001B (ESC)"),
        ("blink-in-choice.yaml", 9, "U+001B (ESC)"),
        ("c1-csi-clear-in-explanation.yaml", 13, "U+009B (CSI)"),
        ("bidi-override-in-feedback.yaml", 12, "U+202E (right-to-left override)"),
    ],
)
def test_escape_sequences_in_deck_text_are_refused_at_their_line(
    home: Path, db: Path, fixture: str, line: int, char: str
) -> None:
    before = db.read_bytes()
    result = run(home, "import", str(HOSTILE / fixture))
    assert result.code == 65
    assert f"{HOSTILE / fixture}:{line}: {char} is a terminal control character" in result.err
    assert "1 problem in deck files; nothing was written" in result.err
    assert db.read_bytes() == before


def test_an_escape_in_every_text_field_is_reported_at_each_line(home: Path, db: Path) -> None:
    before = db.read_bytes()
    result = run(home, "import", str(HOSTILE / "escapes-in-every-field.yaml"))
    assert result.code == 65
    lines = [int(m) for m in re.findall(r"escapes-in-every-field\.yaml:(\d+): U\+", result.err)]
    assert lines == [3, 4, 7, 8, 11, 14, 16, 18, 21]
    for name in ("ESC", "CSI", "right-to-left override", "DEL", "backspace", "carriage return"):
        assert f"({name}) is a terminal control character" in result.err
    assert db.read_bytes() == before


def test_lint_and_convert_refuse_the_same_text(home: Path, tmp_path: Path) -> None:
    result = run(home, "lint", str(HOSTILE / "osc52-clipboard-in-name.yaml"))
    assert result.code == 65 and "U+001B (ESC)" in result.err
    source = write(tmp_path / "q.csv", "question,a,b,answer\nWhich\x1b[5m?,A,B,A\n")
    result = run(home, "convert", str(source))
    assert result.code == 65 and "q.csv:2: control character U+001B" in result.err


def test_a_file_name_holding_escape_sequences_is_shown_escaped(
    home: Path, db: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "decks"
    folder.mkdir()
    bad = folder / "\x1b]0;owned\x07\x9b2J.yaml"
    shutil.copy(HOSTILE / "blink-in-choice.yaml", bad)
    before = db.read_bytes()
    result = run(home, "import", str(folder))
    assert result.code == 65
    assert "\\x1b]0;owned\\x07\\x9b2J.yaml:9: U+001B (ESC)" in result.err
    assert db.read_bytes() == before
    # a valid deck under such a name imports, and every listing shows the name escaped
    good = folder / "\x1b]8;;file:passwd\x1b\\link.yaml"
    bad.unlink()
    write(good, deck_yaml("named"))
    result = run(home, "import", str(folder))
    assert result.code == 0, result.err
    with Store.open(db) as store:
        store.cards.flag("named", "c1")
    result = run(home, "flagged")
    assert result.code == 0
    assert "\\x1b]8;;file:passwd\\x1b\\link.yaml:4" in result.out


def test_text_stored_before_the_loader_refused_it_is_escaped_when_listed(
    home: Path, db: Path
) -> None:
    """A database filled by an older mlcards may hold control characters: they are shown
    escaped, never sent."""
    conn = sqlite3.connect(db)
    content = json.loads(conn.execute("SELECT content FROM cards WHERE id = 'c1'").fetchone()[0])
    content["title"] = "\x1b]52;c;cm0gLXJmIH4K\x07\x9b2J\u202eeltit"
    conn.execute(
        "UPDATE cards SET content = ?, flagged = 1 WHERE id = 'c1'", (json.dumps(content),)
    )
    conn.execute("UPDATE decks SET path = ?", ("/decks/\x1b[5mtoy.yaml",))
    conn.commit()
    conn.close()
    result = run(home, "flagged")
    assert result.code == 0
    assert "\\x1b]52;c;cm0gLXJmIH4K\\x07\\x9b2J\\u202eeltit" in result.out
    assert "/decks/\\x1b[5mtoy.yaml:4" in result.out
    assert run(home, "flagged", "--json").code == 0  # JSON escapes them itself


def test_rich_markup_in_deck_text_is_shown_literally(home: Path, tmp_path: Path) -> None:
    deck = HOSTILE / "markup-in-title.yaml"
    result = run(home, "import", str(deck))
    assert result.code == 0, result.err
    with Store.open(home / "mlcards.db") as store:
        store.cards.flag("markup", "c1")
    result = run(home, "flagged")
    assert "markup/c1  [bold]x[/]" in result.out
    from rich.console import Console

    from mlcards.render.text import card_list

    console = Console(file=io.StringIO(), width=100, color_system=None)
    for line in card_list(
        [{"deck": "d", "card": "c", "title": "[bold]x[/]", "path": "p", "line": 1, "lapses": 0}], ""
    ):
        console.print(line, markup=False)
    assert "[bold]x[/]" in console.file.getvalue()  # type: ignore[attr-defined]


def test_cr_only_line_endings_report_the_right_lines(home: Path) -> None:
    result = run(home, "import", str(HOSTILE / "cr-only-line-endings.yaml"))
    assert result.code == 65
    assert "cr-only-line-endings.yaml:11: card 'c1': answer 'nope'" in result.err
    assert "cr-only-line-endings.yaml:13: card 'c1': tag 'Not A Slug'" in result.err


# -- only regular files are read ----------------------------------------------------------


@pytest.fixture
def deck_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    write(folder / "good.yaml", deck_yaml("good"))
    return folder


def test_a_symlink_to_dev_zero_is_refused_not_read(home: Path, db: Path, deck_folder: Path) -> None:
    (deck_folder / "zero.yaml").symlink_to("/dev/zero")
    before = db.read_bytes()
    result = run(home, "import", str(deck_folder), timeout=30)
    assert result.code == 65
    assert f"{deck_folder / 'zero.yaml'}:1: cannot read: a device, not a regular file" in result.err
    assert db.read_bytes() == before


def test_a_fifo_in_a_deck_folder_is_refused_without_hanging(
    home: Path, db: Path, deck_folder: Path
) -> None:
    os.mkfifo(deck_folder / "pipe.yaml")
    before = db.read_bytes()
    result = run(home, "import", str(deck_folder), timeout=30)
    assert result.code == 65
    assert "pipe.yaml:1: cannot read: a named pipe (FIFO), not a regular file" in result.err
    result = run(home, "import", str(deck_folder / "pipe.yaml"), timeout=30)
    assert result.code == 65 and "a named pipe (FIFO)" in result.err
    assert db.read_bytes() == before


def test_a_self_referencing_symlink_is_a_clear_problem(
    home: Path, db: Path, deck_folder: Path
) -> None:
    (deck_folder / "loop.yaml").symlink_to("loop.yaml")
    before = db.read_bytes()
    for target in (deck_folder, deck_folder / "loop.yaml"):
        result = run(home, "import", str(target))
        assert result.code == 65, result.err
        no_traceback(result)
        assert "loop.yaml:1: cannot read: a symlink loop" in result.err
    assert db.read_bytes() == before


def test_a_symlink_loop_between_folders_reads_each_folder_once(
    home: Path, deck_folder: Path, tmp_path: Path
) -> None:
    (deck_folder / "sub").mkdir()
    write(deck_folder / "sub" / "inner.yaml", deck_yaml("inner"))
    (deck_folder / "sub" / "up").symlink_to("..")  # sub/up/sub/up/... back to the top
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write(elsewhere / "linked.yaml", deck_yaml("linked"))
    (deck_folder / "linked").symlink_to(elsewhere)  # a symlinked subfolder is read
    result = run(home, "import", "--json", str(deck_folder))
    assert result.code == 0, result.err
    decks = [d["deck"] for d in json.loads(result.out)["decks"]]
    assert sorted(decks) == ["good", "inner", "linked"]


def test_an_unreadable_subfolder_is_reported(
    deck_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (deck_folder / "private").mkdir()
    write(deck_folder / "private" / "secret.yaml", deck_yaml("secret"))
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str]) -> object:
        if Path(path).name == "private":  # as for a folder of mode 000 (tests may run as root)
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(DeckError) as error:
        load_decks([deck_folder])
    assert error.value.problems == [
        f"{deck_folder / 'private'}: cannot read this folder: Permission denied"
    ]


def test_import_of_the_root_folder_stops_with_a_clear_message(home: Path) -> None:
    result = run(home, "import", "/", timeout=120)
    assert result.code == 2
    assert "/: more than 10,000 folders to search for decks" in result.err
    assert not (home / "mlcards.db").exists()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
def test_reads_stop_at_the_cap_whatever_st_size_says() -> None:
    maps = Path("/proc/self/maps")
    assert maps.stat().st_size == 0  # a regular file that says it is empty
    with pytest.raises(DeckError) as error:
        read_regular_file(maps, max_bytes=64)
    assert error.value.problems == [f"{maps}:1: file grew past the 64-byte limit while read"]


# -- a zero-byte or truncated database is not an mlcards database -------------------------

NOT_MLCARDS = "not an mlcards database"

COMMANDS = [
    ["status"],
    ["status", "--json"],
    ["stats"],
    ["flagged"],
    ["check"],
    ["export", "reviews"],
    ["backup", "create"],
    ["unflag", "toy/c1"],
    ["practice"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_zero_byte_database_is_refused_and_left_empty(
    home: Path, tmp_path: Path, command: list[str]
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    result = run(home, "--db", str(empty), *command)
    assert result.code in (74, 1) if command == ["practice"] else result.code == 74
    if command != ["practice"]:  # practice needs a terminal first
        assert f"{empty}: {NOT_MLCARDS} (the file is empty)" in result.err
        assert "backup restore latest" in result.err
    assert empty.read_bytes() == b""


def test_import_and_review_refuse_a_zero_byte_database(home: Path, tmp_path: Path) -> None:
    empty = home / "mlcards.db"
    home.mkdir()
    empty.touch()
    result = run(home, "import", str(write(tmp_path / "t.yaml", deck_yaml())))
    assert result.code == 74 and NOT_MLCARDS in result.err
    child = spawn_mlcards(
        "review",
        env=subprocess_env(home),
        dimensions=(40, 80),
        encoding="utf-8",
        timeout=30,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 74
    assert NOT_MLCARDS in child.before and "No decks yet" not in child.before
    assert empty.read_bytes() == b""
    assert not (home / "backups").exists()


def test_a_truncated_copy_is_refused_and_left_as_it_is(
    home: Path, db: Path, tmp_path: Path
) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = db.read_bytes()
    for size in (50, 4096, len(data) // 2):
        cut = tmp_path / f"cut-{size}.db"
        cut.write_bytes(data[:size])
        for command in (["status"], ["import", str(HOSTILE / "markup-in-title.yaml")]):
            result = run(home, "--db", str(cut), *command)
            assert result.code == 74, (size, result.err)
            assert NOT_MLCARDS in result.err and "truncated" in result.err
        assert cut.read_bytes() == data[:size]


def test_restore_latest_puts_back_a_backup_over_a_zero_byte_database(home: Path, db: Path) -> None:
    assert run(home, "backup", "create").code == 0
    db.write_bytes(b"")
    result = run(home, "backup", "restore", "latest")
    assert result.code == 0, result.err
    assert "the damaged database was kept as" in result.out
    assert review_count(db) == 1
    assert [p.stat().st_size for p in home.glob("mlcards.db.damaged-*")] == [0]


# -- backups: real time, the exact database, the newest sound copy ------------------------


def test_mlcards_now_does_not_name_order_or_rotate_backups(home: Path, db: Path) -> None:
    """The issue's story: one `MLCARDS_NOW=2026-09-01... status`, then more work, then
    `restore latest` must bring back the newest work, not the copy dated by the fake clock."""
    future = "2031-09-01T10:00:00+00:00"
    assert run(home, "status", MLCARDS_NOW=future).code == 0  # the daily backup: 1 review
    add_review(db, "2026-03-02")
    add_review(db, "2026-03-03")
    assert review_count(db) == 3
    assert run(home, "backup", "create").code == 0  # 3 reviews
    names = [b.path.name for b in list_backups(db)]
    assert len(names) == 2 and not any("2031" in name for name in names)
    assert names[0].endswith("-manual.db") and names[1].endswith("-daily.db")
    add_review(db, "2026-03-04")
    result = run(home, "backup", "restore", "latest")
    assert result.code == 0 and names[0] in result.out
    assert review_count(db) == 3
    assert run(home, "status", MLCARDS_NOW="2040-01-01T10:00:00+00:00").code == 0
    assert {b.path.name for b in list_backups(db)} >= set(names)  # nothing pruned


def test_backups_belong_to_their_exact_database_file(home: Path, tmp_path: Path) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    old, current = home / "mlcards.old", home / "mlcards.db"
    for path in (old, current):
        assert run(home, "--db", str(path), "import", str(deck)).code == 0
    add_review(old)
    assert run(home, "--db", str(old), "backup", "create").code == 0
    before = current.read_bytes()
    result = run(home, "backup", "restore", "latest")
    assert result.code == 66 and "no backups of" in result.err
    assert current.read_bytes() == before
    assert json.loads(run(home, "backup", "list", "--json").out) == []
    assert [b.reason for b in list_backups(old)] == ["manual", "daily"]
    assert all(b.path.name.startswith("mlcards.old-") for b in list_backups(old))


def break_an_index(path: Path) -> None:
    """An index that no longer matches its table: quick_check passes, integrity_check not."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_master SET sql = 'CREATE INDEX reviews_day ON reviews(quality)' "
        "WHERE name = 'reviews_day'"
    )
    conn.commit()
    conn.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
    assert conn.execute("PRAGMA integrity_check").fetchone() != ("ok",)
    conn.close()


def test_no_daily_backup_of_a_database_that_fails_its_check(home: Path, db: Path) -> None:
    break_an_index(db)
    result = run(home, "status")
    assert result.code == 0
    assert "daily backup skipped" in result.err and "fails SQLite's integrity check" in result.err
    assert list_backups(db) == []


def test_restore_latest_falls_back_past_a_backup_with_a_broken_index(home: Path, db: Path) -> None:
    assert run(home, "backup", "create").code == 0
    sound = list_backups(db)[0]
    break_an_index(db)
    result = run(home, "backup", "create")  # a manual copy is kept, and marked unsound
    assert result.code == 0 and "fails its integrity check" in result.err
    newest = list_backups(db)[0]
    assert newest.sound is False and sound.sound is True
    result = run(home, "backup", "restore", "latest")
    assert result.code == 0, result.err
    assert f"from {sound.path.name}" in result.out


def test_rotation_never_drops_the_newest_sound_copy(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck()], datetime(2026, 1, 1, tzinfo=UTC))
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    for day in range(0, 300, 10):
        when = start + timedelta(days=day)
        monkeypatch.setattr(backups, "real_now", lambda when=when: when)
        if day:  # every copy after the first fails its check when it is made
            monkeypatch.setattr(backups, "_problems", lambda conn: ["row 1 missing from index"])
        store.backups.create("daily")
    store.close()
    prune_backups(db_path)
    kept = list_backups(db_path)
    assert len(kept) <= 7 + 4 + 6 + 1
    assert kept[-1].created == start and kept[-1].sound is True  # ten months old, kept


ODD_NAMES = [
    "mlcards.db-99999999T999999Z-manual.db",
    "mlcards.db-.db",
    "mlcards.db-20260101T000000Z-UPPER.db",
    "mlcards-20260101T000000Z-manual.db",  # the old naming: another database's, maybe
    "notes.txt",
    "mlcards.db-20260101T000000Z-manual.db.json",  # a record without its backup
]


def test_oddly_named_files_in_the_backup_folder_are_passed_over(home: Path, db: Path) -> None:
    folder = home / "backups"
    assert run(home, "backup", "create").code == 0
    for name in ODD_NAMES:
        write(folder / name, "junk")
    (folder / "mlcards.db-20260101T000000Z-daily.db").mkdir()
    (folder / "mlcards.db-20260102T000000Z-daily.db").symlink_to("nowhere")
    (folder / "mlcards.db-20260103T000000Z-daily.db").write_bytes(b"not sqlite")
    (folder / "mlcards.db-20260103T000000Z-daily.db.json").write_text("{not json")
    if sys.platform == "linux":
        (folder / os.fsdecode(b"mlcards.db-\xff\xfe.db")).write_text("x")
    for command in (["status"], ["backup", "list"], ["backup", "list", "--json"]):
        result = run(home, *command)
        assert result.code == 0, result.err
        no_traceback(result)
    listed = json.loads(run(home, "backup", "list", "--json").out)
    # the real manual and daily backups, after two junk files named like backups (by mtime)
    assert [(b["reason"], b["sound"]) for b in listed] == [
        ("daily", None),
        ("manual", None),
        ("manual", True),
        ("daily", True),
    ]
    result = run(home, "backup", "restore", "latest")
    assert result.code == 0, result.err
    assert "-manual.db" in result.out


def test_backup_list_columns_line_up(home: Path, db: Path) -> None:
    for _ in range(3):
        assert run(home, "backup", "create").code == 0
    assert run(home, "backup", "restore", "latest").code == 0  # adds a pre-restore copy
    lines = run(home, "backup", "list").out.splitlines()
    assert lines[0].split() == ["name", "created", "reason", "size"]
    starts = {tuple(m.start() for m in re.finditer(r"(?<=  )\S", line)) for line in lines[1:]}
    assert len(starts) == 1, lines
    assert len({len(line) for line in lines}) == 1, lines


def test_restore_refuses_to_call_a_newer_database_damaged(home: Path, db: Path) -> None:
    assert run(home, "backup", "create").code == 0
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO migrations VALUES (99, 'from the future', 'then', '9.0.0')")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    result = run(home, "backup", "restore", "latest")
    assert result.code == 78
    assert "needs mlcards >= 9.0.0" in result.err and "not restored" in result.err
    assert db.read_bytes() == before
    assert not list(home.glob("*.damaged-*"))


def test_restore_refuses_a_database_it_cannot_read(
    db: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    assert run(home, "backup", "create").code == 0
    backup = list_backups(db)[0]
    before = db.read_bytes()
    monkeypatch.setattr(backups.os, "access", lambda path, mode: Path(path) != db)
    with pytest.raises(StoreError, match="permission denied"):
        backups.restore_backup(db, backup)
    assert db.read_bytes() == before and not list(home.glob("*.damaged-*"))


# -- exports ------------------------------------------------------------------------------


def test_export_writes_through_a_symlink(home: Path, db: Path, tmp_path: Path) -> None:
    target = write(tmp_path / "real.csv", "old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    result = run(home, "export", "reviews", "-o", str(link))
    assert result.code == 0, result.err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("id,deck_id,card_id")


def test_export_writes_to_a_fifo_or_dev_stdout_directly(
    home: Path, db: Path, tmp_path: Path
) -> None:
    result = run(home, "export", "cards", "-o", "/dev/stdout")
    assert result.code == 0 and result.out.startswith("deck_id,card_id")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = run(home, "export", "cards", "-o", str(fifo), timeout=30)
    reader.join(timeout=30)
    assert result.code == 0 and received[0].startswith(b"deck_id,card_id")
    assert fifo.exists() and not fifo.is_file()  # still the FIFO


def test_csv_cells_a_spreadsheet_would_run_are_escaped(home: Path, tmp_path: Path) -> None:
    formulas = ['=HYPERLINK("https://evil.example","x")', "+1+1", "-1+1", "@SUM(A1)"]
    cards = "".join(
        f"  - id: c{i}\n    title: '{title}'\n    question: Q?\n    choices:\n"
        "      - {id: a, text: A}\n      - {id: b, text: B}\n    answer: a\n"
        "    explanation: E.\n"
        for i, title in enumerate(formulas)
    )
    deck = write(tmp_path / "f.yaml", f"id: f\nname: F\ncards:\n{cards}")
    assert run(home, "import", str(deck)).code == 0
    out = run(home, "export", "cards").out
    import csv as csv_module

    titles = [row["title"] for row in csv_module.DictReader(io.StringIO(out))]
    assert titles == ["'" + f for f in formulas]
    raw = run(home, "export", "cards", "--raw").out
    assert [r["title"] for r in csv_module.DictReader(io.StringIO(raw))] == formulas
    data = json.loads(run(home, "export", "cards", "--format", "json").out)
    assert [c["title"] for c in data] == formulas  # JSON is not a spreadsheet


# -- no internal errors from ordinary input ------------------------------------------------


def test_stats_with_markup_in_the_tag_or_deck(home: Path, db: Path) -> None:
    result = run(home, "stats", "--tag", "[/]", MLCARDS_NOW="2026-03-01T12:00:00+00:00")
    assert result.code == 0 and "with tag [/]" in result.out
    result = run(home, "stats", "--deck", "[bold]x[/]")
    assert result.code == 2 and "no deck '[bold]x[/]'" in result.err


@pytest.mark.parametrize(
    ("now", "command"),
    [("9999-12-31T10:00:00+00:00", "stats"), ("0001-01-01T01:00:00+00:00", "status")],
)
def test_mlcards_now_at_the_ends_of_time_is_a_usage_error(
    home: Path, db: Path, now: str, command: str
) -> None:
    for tz in ("UTC", "America/New_York", "Asia/Tokyo"):
        result = run(home, command, MLCARDS_NOW=now, TZ=tz)
        assert result.code == 2, result.err
        assert f"MLCARDS_NOW={now!r} is out of range: give a time from 1970 to 9000" in result.err


@pytest.mark.parametrize("value", ["²", "-5", "1e3", "9" * 5000])
def test_a_bad_busy_timeout_is_a_usage_error(home: Path, db: Path, value: str) -> None:
    result = run(home, "status", MLCARDS_BUSY_TIMEOUT_MS=value)
    assert result.code == 2
    assert "MLCARDS_BUSY_TIMEOUT_MS=" in result.err and "is not a whole number" in result.err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("new_per_day: " + "[" * 5000 + "]" * 5000, "nested too deeply"),
        ("new_per_day: " + "9" * 5000, "a number too long to read (over 4,300 digits)"),
        ("new_per_day: " + "9" * 100, "must be between 0 and 10,000, not a number with hundreds"),
        ("decks:\n  toy:\n    new_per_day: " + "[" * 3000 + "]" * 3000, "nested too deeply"),
    ],
    ids=["nested-5000-deep", "5000-digit-number", "100-digit-number", "nested-in-a-deck"],
)
def test_a_hostile_config_file_is_a_clear_error(
    home: Path, db: Path, text: str, message: str
) -> None:
    write(home / "config.yaml", text)
    result = run(home, "status")
    assert result.code == 2, result.err
    no_traceback(result)
    assert message in result.err


def test_a_malformed_study_day_is_reported_by_check(home: Path, db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER reviews_append_only_update")
    conn.execute("UPDATE reviews SET study_day = '2026-13-99'")
    conn.commit()
    conn.close()
    result = run(home, "check")
    assert result.code == 74
    assert "integrity: reviews 1: study_day is not a date" in result.out
    result = run(home, "check", "--json")
    assert result.code == 74
    assert json.loads(result.out)["integrity"] == [
        "the trigger reviews_append_only_update is missing",
        "reviews 1: study_day is not a date",
    ]


def test_a_db_path_naming_an_unknown_user_is_a_usage_error(home: Path) -> None:
    result = run(home, "--db", "~nosuchuser-mlcards/x.db", "status")
    assert result.code == 2
    assert "--db '~nosuchuser-mlcards/x.db': cannot expand '~'" in result.err
    result = run(home, "status", MLCARDS_DB="~nosuchuser-mlcards/x.db")
    assert result.code == 2 and "MLCARDS_DB" in result.err


# -- the "also" list ----------------------------------------------------------------------


def test_unflag_checks_every_card_before_clearing_any(home: Path, db: Path) -> None:
    with Store.open(db) as store:
        store.cards.flag("toy", "c1")
    before = db.read_bytes()
    result = run(home, "unflag", "toy/c1", "toy/nope")
    assert result.code == 2 and "no card toy/nope" in result.err
    with Store.open(db) as store:
        assert [c["card"] for c in store.cards.marked("flagged")] == ["c1"]
    assert review_count(db) == 1 and len(db.read_bytes()) == len(before)
    assert run(home, "unflag", "toy/c1").code == 0


def test_config_set_for_an_unknown_deck_is_refused(home: Path, db: Path) -> None:
    result = run(home, "config", "set", "--deck", "nosuchdeck", "new_per_day", "5")
    assert result.code == 2 and "no deck 'nosuchdeck'; decks: toy" in result.err
    assert not (home / "config.yaml").exists()
    assert run(home, "config", "set", "--deck", "toy", "new_per_day", "5").code == 0


def test_config_set_a_negative_number_names_the_range(home: Path) -> None:
    result = run(home, "config", "set", "new_per_day", "-3")
    assert result.code == 2
    assert "new_per_day must be between 0 and 10,000, not -3" in result.err
    assert "No such option" not in result.err


def test_config_unset_goes_back_to_the_default(home: Path, db: Path) -> None:
    assert run(home, "config", "set", "new_per_day", "7").code == 0
    assert run(home, "config", "set", "--deck", "toy", "new_per_day", "3").code == 0
    result = run(home, "config", "unset", "--deck", "toy", "new_per_day")
    assert result.code == 0 and result.out.strip() == "new_per_day = 7 (deck toy)"
    result = run(home, "config", "unset", "new_per_day")
    assert result.code == 0 and result.out.strip() == "new_per_day = 20"
    result = run(home, "config", "unset", "new_per_day")
    assert result.out.strip() == "new_per_day = 20 (it was not set)"
    assert json.loads(run(home, "config", "show", "--json").out)["decks"] == {}
    assert run(home, "config", "unset", "nope").code == 2


def test_config_set_writes_through_a_symlinked_config_file(home: Path, tmp_path: Path) -> None:
    home.mkdir()
    real = write(tmp_path / "dotfiles-config.yaml", "rollover_hour: 5\n")
    (home / "config.yaml").symlink_to(real)
    assert run(home, "config", "set", "new_per_day", "9").code == 0
    assert (home / "config.yaml").is_symlink()
    assert "new_per_day: 9" in real.read_text() and "rollover_hour: 5" in real.read_text()


def test_import_json_prints_its_errors_as_json(home: Path, tmp_path: Path) -> None:
    result = run(home, "import", "--json", str(HOSTILE / "blink-in-choice.yaml"))
    assert result.code == 65
    error = json.loads(result.out)["error"]
    assert error["exit_code"] == 65
    assert error["message"] == "1 problem in deck files; nothing was written"
    assert error["problems"] == [
        f"{HOSTILE / 'blink-in-choice.yaml'}:9: U+001B (ESC) is a terminal control character; "
        "deck text cannot hold it (remove the escape sequence)"
    ]
    result = run(home, "import", "--json", str(tmp_path / "missing.yaml"))
    assert result.code == 66
    assert json.loads(result.out) == {
        "error": {
            "message": f"{tmp_path / 'missing.yaml'}: no such file or folder",
            "exit_code": 66,
        }
    }


def test_json_errors_for_every_json_command(home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    for command in (
        ["status", "--json"],
        ["stats", "--json"],
        ["flagged", "--json"],
        ["check", "--json"],
        ["backup", "list", "--json", "--bogus"],
    ):
        result = run(home, "--db", str(empty), *command)
        error = json.loads(result.out)["error"]
        assert result.code == error["exit_code"] != 0, command
        assert error["message"] and ("mlcards:" in result.err or "Error:" in result.err)


HELP_COMMANDS = [
    [],
    ["review"],
    ["practice"],
    ["import"],
    ["unsuspend"],
    ["unflag"],
    ["export"],
    ["stats"],
    ["lint"],
    ["convert"],
    ["config", "set"],
    ["config", "unset"],
    ["backup", "restore"],
    ["check"],
]


@pytest.mark.parametrize("command", HELP_COMMANDS, ids=" ".join)
def test_help_shows_placeholders_not_python_types(home: Path, command: list[str]) -> None:
    result = run(home, *command, "--help")
    assert result.code == 0
    assert re.search(r"<[a-zA-Z]", result.out) is None, result.out  # <list[str]>, <int range>
    assert "{" not in result.out.splitlines()[0], result.out  # {paths}... in the usage line
    placeholders = re.findall(r"--[a-z-]+ ([A-Za-z/|]+)  ", result.out)
    assert all(p == p.upper() or "|" in p for p in placeholders), placeholders


# -- the terminal, in a pty ----------------------------------------------------------------


def spawn_bytes(
    home: Path, cwd: Path, *args: str, **extra: str
) -> tuple[pexpect.spawn, io.BytesIO]:
    from pty_helpers import env

    child = spawn_mlcards(
        "review",
        "--no-shuffle",
        *args,
        cwd=str(cwd),
        env=env(home, **extra),
        dimensions=(50, 100),
        timeout=20,
    )
    seen = io.BytesIO()
    child.logfile_read = seen
    return child, seen


def test_the_review_screen_never_sends_deck_control_bytes(home: Path, tmp_path: Path) -> None:
    """Raw bytes of a whole session: the markup deck (from a file whose name holds escape
    sequences) shows its brackets literally, and no sequence from user data is sent."""
    name = "\x1b]0;owned\x07\x1b[5m.yaml"
    deck = tmp_path / name
    shutil.copy(HOSTILE / "markup-in-title.yaml", deck)
    assert run(home, "import", str(deck)).code == 0
    assert run(home, "import", str(HOSTILE / "osc52-clipboard-in-name.yaml")).code == 65
    child, seen = spawn_bytes(home, tmp_path, EDITOR="true")
    child.expect(b"don't know")
    child.send("e")  # the editor changes nothing; the deck file is named on screen
    child.expect(b"No changes")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    raw = seen.getvalue()
    text = raw.decode("utf-8", "replace")
    assert "[bold]x[/]" in text and "[bold red]Markup[/] deck" in text
    assert "\\x1b]0;owned\\x07\\x1b[5m.yaml" in text
    for sequence in (b"\x1b]0;", b"\x1b]52;", b"\x1b]8;", b"\x1b[5m", b"\xc2\x9b", b"\x07"):
        assert sequence not in raw, sequence


def test_an_editor_with_an_unbalanced_quote_keeps_the_session(home: Path, tmp_path: Path) -> None:
    from pty_helpers import finish, spawn

    assert run(home, "import", str(write(tmp_path / "toy.yaml", deck_yaml()))).code == 0
    child = spawn(home, tmp_path, "--no-shuffle", EDITOR='code --wait "My Editor')
    child.expect("don't know")
    child.send("e")
    child.expect("Could not start the editor: \\$EDITOR is not a command line")
    child.send("q")
    code, text = finish(child)
    assert code == 0 and "Traceback" not in text


def test_sigterm_reaches_the_editor_before_anything_harsher(home: Path, tmp_path: Path) -> None:
    from pty_helpers import spawn

    assert run(home, "import", str(write(tmp_path / "toy.yaml", deck_yaml()))).code == 0
    marker = tmp_path / "editor.log"
    editor = write(
        tmp_path / "editor.py",
        "import signal, sys, time\n"
        f"log = open({str(marker)!r}, 'a', buffering=1)\n"
        "def term(signum, frame):\n"
        "    log.write('saved on SIGTERM\\n')\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, term)\n"
        "log.write('started\\n')\n"
        "time.sleep(60)\n",
    )
    child = spawn(home, tmp_path, "--no-shuffle", EDITOR=f"{sys.executable} {editor}")
    assert child.expect(["don't know", pexpect.EOF]) == 0, child.before
    child.send("e")
    deadline = time.monotonic() + 20
    while "started" not in (marker.read_text() if marker.exists() else ""):
        assert time.monotonic() < deadline, "the editor did not start"
        time.sleep(0.05)
    child.kill(15)
    child.expect(pexpect.EOF)
    child.close()
    assert marker.read_text().splitlines() == ["started", "saved on SIGTERM"]
