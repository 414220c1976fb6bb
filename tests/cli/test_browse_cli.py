"""``mlcards cards`` and ``mlcards show`` as a user and a script see them: the JSON shapes,
60 and 80 columns, malformed queries (exit 2), a query that starts with '-'."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from helpers import build_history, run

from mlcards.cli.boundary import JSON_PRINTED
from mlcards.store import Store


@pytest.fixture
def history(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    with Store.open(db_path) as store:
        build_history(store)
    monkeypatch.setenv("MLCARDS_NOW", "2026-03-20T12:00:00+00:00")
    return db_path


def test_cards_json_shape(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    code, out, _ = run(capsys, "cards", "--json", "deck:alpha", "--sort", "lapses", "-r")
    assert code == 0
    rows = json.loads(out)
    assert [(r["deck"], r["card"]) for r in rows][:2] == [("alpha", "leech"), ("alpha", "m1")]
    leech = rows[0]
    assert set(leech) >= {
        "deck", "card", "title", "stage", "due", "interval", "easiness", "stability",
        "difficulty", "lapses", "leech", "suspended", "flagged", "last_answer", "scheduler",
    }  # fmt: skip
    assert leech["lapses"] == 8 and leech["leech"] is True and leech["scheduler"] == "sm2"
    assert leech["last_answer"]["correct"] is True
    assert leech["last_answer"]["at"].startswith("2026-03-17")
    new = next(r for r in rows if r["card"] == "a3")
    assert new["stage"] == "new" and new["last_answer"] is None and new["easiness"] is None


def test_cards_limit(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    code, out, _ = run(capsys, "cards", "--limit", "2")
    assert code == 0
    assert "2 cards shown (--limit); more match" in out


@pytest.mark.parametrize("width", [60, 80])
def test_cards_fit_the_terminal(
    capsys: pytest.CaptureFixture[str],
    history: Path,
    monkeypatch: pytest.MonkeyPatch,
    width: int,
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, _ = run(capsys, "cards")
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= width
    assert "alpha/leech" in out and "7 cards" in out
    assert ("Title" in out) is (width >= 72)
    assert "Last" in out and "✓ 3d ago" in out


def test_a_malformed_query_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    JSON_PRINTED[0] = False  # earlier tests printed JSON
    code, out, err = run(capsys, "cards", "(tag:optim")
    assert code == 2
    assert "column 1" in err and "never closed" in err
    code, out, _ = run(capsys, "cards", "--json", "is:nonsense")
    assert code == 2 and json.loads(out)["error"]["exit_code"] == 2


def test_a_query_starting_with_a_dash_goes_after_double_dash(
    capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    code, out, _ = run(capsys, "cards", "--json", "--", "-is:review", "-is:new")
    assert code == 0
    assert [r["card"] for r in json.loads(out)] == ["a2", "leech", "b1"]


def test_words_join_into_one_query(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    code, out, _ = run(capsys, "cards", "--json", "question", "a1")
    assert [r["card"] for r in json.loads(out)] == ["a1"]


def test_show_json_has_the_history_with_choice_texts(
    capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    code, out, _ = run(capsys, "show", "--json", "alpha/a2")
    assert code == 0
    doc = json.loads(out)
    assert doc["deck"] == "alpha" and doc["card"] == "a2"
    assert [c["correct"] for c in doc["choices"]] == [True, False, False]
    assert doc["state"]["stage"] == "learning"
    first, repeat, third = doc["reviews"]
    assert first["chosen"] == [{"id": "b", "text": "Beta"}] and first["correct"] is False
    assert repeat["same_day_repeat"] is True and repeat["chosen"][0]["text"] == "Alpha"
    assert third["chosen"] == [] and third["quality"] == 0


def test_show_by_bare_id_and_on_screen(
    capsys: pytest.CaptureFixture[str], history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = run(capsys, "show", "a2")
    assert code == 0
    assert "alpha/a2" in out and "Question a2?" in out
    assert "✓ 1. Alpha" in out and "History (3 answers)" in out
    assert "Beta" in out and "(I don't know)" in out and "repeat" in out
    assert max(len(line) for line in out.splitlines()) <= 60


def test_show_an_unknown_card(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    code, _, err = run(capsys, "show", "alpha/nope")
    assert code == 2 and "no card alpha/nope" in err
    code, _, err = run(capsys, "show", "nope")
    assert code == 2 and "no card with the id 'nope'" in err


def keys_of(capsys: pytest.CaptureFixture[str], query: str) -> list[str]:
    code, out, _ = run(capsys, "cards", "--json", "--", query)
    assert code == 0
    return [f"{r['deck']}/{r['card']}" for r in json.loads(out)]


class Terminal(io.StringIO):
    """Typed answers on a stdin that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_suspend_flag_and_bury_by_ref_and_by_query(
    capsys: pytest.CaptureFixture[str], history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, "suspend", "alpha/m1")[:2] == (0, "suspended 1 card\n")
    assert keys_of(capsys, "is:suspended") == ["alpha/m1"]
    assert run(capsys, "flag", "--yes", "tag:lr")[:2] == (0, "flagged 1 card\n")
    assert keys_of(capsys, "is:flagged") == ["alpha/a1"]
    assert run(capsys, "bury", "-y", "deck:beta")[:2] == (0, "buried 1 card\n")
    assert keys_of(capsys, "is:buried") == ["beta/b1"]
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, out, err = run(capsys, "suspend", "tag:optim")
    assert code == 1 and "6 cards match" in err and "Nothing was changed" in out
    assert "  alpha/m1  Question m1?" in err and "... and 1 more" in err  # the first five
    assert keys_of(capsys, "is:suspended") == ["alpha/m1"]
    code, _, err = run(capsys, "suspend", "alpha/nope")
    assert code == 2 and "no card alpha/nope" in err


def test_a_query_without_a_terminal_needs_yes(
    capsys: pytest.CaptureFixture[str], history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No terminal to ask on (a script, a pipe): a usage error, never a wait for input."""
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    for action in ("suspend", "unsuspend", "bury", "unbury", "flag", "unflag", "forget"):
        code, out, err = run(capsys, action, "tag:optim")
        assert code == 2 and "add --yes" in err and out == "", action
    assert keys_of(capsys, "is:suspended or is:buried or is:flagged") == []
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    code, out, _ = run(capsys, "forget", "tag:optim")
    assert code == 0 and out == "forgot 5 cards of 6 (the others new already)\n"


def test_unbury_unsuspend_and_unflag_take_refs_or_a_query(
    capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    assert run(capsys, "bury", "-y", "deck:alpha")[0] == 0
    assert len(keys_of(capsys, "is:buried")) == 6
    code, out, _ = run(capsys, "unbury", "alpha/m1", "alpha/m1", "beta/b1")
    assert (code, out) == (0, "unburied 1 card\nbeta/b1 was not buried\n")
    assert run(capsys, "unbury", "-y", "--", "-tag:lr deck:alpha")[:2] == (
        0,
        "unburied 4 cards of 5 (the others not buried)\n",
    )
    assert keys_of(capsys, "is:buried") == ["alpha/a1"]
    assert run(capsys, "suspend", "-y", "tag:optim")[0] == 0
    assert run(capsys, "unsuspend", "--all")[:2] == (0, "unsuspended 6 cards\n")
    assert run(capsys, "flag", "-y", "deck:alpha or tag:eval")[0] == 0
    assert run(capsys, "unflag", "-y", "tag:optim")[:2] == (0, "unflagged 6 cards\n")
    assert keys_of(capsys, "is:flagged") == ["beta/b1"]


def test_an_action_as_json(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    code, out, _ = run(capsys, "suspend", "--json", "alpha/m1", "alpha/a1")
    assert code == 0 and json.loads(out)["changed"] == 2
    code, out, _ = run(capsys, "suspend", "--json", "-y", "deck:alpha")
    doc = json.loads(out)
    assert code == 0
    assert (doc["action"], doc["query"], doc["matched"], doc["changed"]) == ("suspend", True, 6, 4)
    assert {"deck": "alpha", "card": "leech"} in doc["cards"] and doc["unchanged"] == []
    code, out, _ = run(capsys, "unsuspend", "--json", "alpha/m1", "alpha/m1", "beta/b1")
    doc = json.loads(out)
    assert (doc["matched"], doc["changed"]) == (2, 1)
    assert doc["unchanged"] == [{"deck": "beta", "card": "b1"}]
    code, out, _ = run(capsys, "flag", "--json", "-y", "nothing-has-this-word")
    assert code == 0 and json.loads(out)["matched"] == 0


def test_forget_makes_a_card_new_and_the_log_agrees(
    capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    assert run(capsys, "forget", "alpha/leech")[:2] == (0, "forgot 1 card\n")
    code, out, _ = run(capsys, "show", "--json", "alpha/leech")
    doc = json.loads(out)
    assert doc["state"]["stage"] == "new" and doc["state"]["lapses"] == 0
    assert len(doc["reviews"]) == 17 and not any(r["counted"] for r in doc["reviews"])
    code, out, _ = run(capsys, "check", "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_edit_reimports_and_the_index_follows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from helpers import deck_yaml, write

    deck = write(tmp_path / "toy.yaml", deck_yaml())
    assert run(capsys, "import", str(deck))[0] == 0
    editor = write(
        tmp_path / "editor.py",
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[-1])\n"
        "p.write_text(p.read_text().replace('Question c2?', 'Why does dropout help?'))\n",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    monkeypatch.delenv("VISUAL", raising=False)
    code, out, _ = run(capsys, "edit", "c2")
    assert code == 0 and "Re-imported" in out
    assert keys_of(capsys, "dropout") == ["toy/c2"]
    code, out, _ = run(capsys, "check", "--json")
    assert json.loads(out)["search_index"] == []


def test_status_counts_tomorrow_and_the_next_seven_days(
    capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    code, out, _ = run(capsys, "status", "--json")
    doc = json.loads(out)
    assert (doc["due_tomorrow"], doc["due_next_7_days"]) == (1, 3)  # b1; and a1, m1
    with Store.open(history) as store:
        from datetime import date

        store.cards.bury("alpha", "m2", date(2026, 3, 22))  # overdue, comes up in two days
        store.cards.suspend("alpha", "m1")
    code, out, _ = run(capsys, "status")
    assert "Due tomorrow: 1; over the next 7 days: 3" in out


def test_a_flag_keeps_its_note(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    assert run(capsys, "flag", "--note", "key is wrong", "alpha/a1")[0] == 0
    code, out, _ = run(capsys, "show", "--json", "alpha/a1")
    assert json.loads(out)["state"]["flag_note"] == "key is wrong"
    code, out, _ = run(capsys, "show", "alpha/a1")
    assert "Flagged" in out and "key is wrong" in out
    code, out, _ = run(capsys, "flag", "--note", "key is wrong", "alpha/a1")
    assert (code, out) == (0, "alpha/a1 was already flagged\n")  # the same note: no change
    run(capsys, "flag", "alpha/a1")  # flagged again without a note: the old one goes
    code, out, _ = run(capsys, "cards", "--json", "is:flagged")
    assert [(r["card"], r["flag_note"]) for r in json.loads(out)] == [("a1", None)]
    code, out, _ = run(capsys, "flag", "--json", "alpha/a1")
    doc = json.loads(out)
    assert (doc["changed"], doc["unchanged"]) == (0, [{"deck": "alpha", "card": "a1"}])


def test_long_card_keys_are_shown_whole_before_any_title(
    capsys: pytest.CaptureFixture[str], isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key is what `mlcards show` takes: at 80 columns a long deck and card id is shown
    whole (the title column gives way), never cut with an ellipsis."""
    from helpers import deck_yaml, write

    deck_id = "interpretability-fairness"  # 40 characters with the card id: it fits whole
    text = deck_yaml(deck_id, ("saliency-sanity",))
    deck = write(isolated_home.parent / "long.yaml", text)
    assert run(capsys, "import", str(deck))[0] == 0
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, "cards", "--no-pager")
    assert code == 0
    assert f"{deck_id}/saliency-sanity" in out and "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_a_cut_key_keeps_its_marks(
    capsys: pytest.CaptureFixture[str], isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 60 columns a long key is cut, never the marks after it: a cut key still says the
    card is suspended and flagged."""
    from helpers import deck_yaml, write

    deck_id = "interpretability-fairness"
    deck = write(isolated_home.parent / "long.yaml", deck_yaml(deck_id, ("saliency-sanity",)))
    assert run(capsys, "import", str(deck))[0] == 0
    assert run(capsys, "suspend", f"{deck_id}/saliency-sanity")[0] == 0
    assert run(capsys, "flag", f"{deck_id}/saliency-sanity")[0] == 0
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = run(capsys, "cards", "--no-pager")
    assert code == 0
    [row] = [line for line in out.splitlines() if line.startswith(deck_id[:4])]
    key = row.split("  ")[0]
    assert "…" in key and key.endswith("!*") and "  new" in row and len(row) <= 60


def test_cut_keys_of_one_deck_stay_told_apart(
    capsys: pytest.CaptureFixture[str], isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 60 columns a long deck id is cut before the card ids: every card of the deck keeps
    a row of its own that says which card it is (cutting the whole key from its end left
    "optimization-conditioning-…" on every row)."""
    from helpers import deck_yaml, write

    deck_id = "optimization-conditioning-hpo"
    cards = ("max-stable-learning-rate", "momentum-square-root", "unscaled-features-zigzag")
    deck = write(isolated_home.parent / "long.yaml", deck_yaml(deck_id, cards))
    assert run(capsys, "import", str(deck))[0] == 0
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = run(capsys, "cards", "--no-pager")
    assert code == 0
    rows = [line.split("  ")[0] for line in out.splitlines() if line.startswith(deck_id[:4])]
    assert len(rows) == 3 and len(set(rows)) == 3, rows
    for row, card in zip(rows, cards, strict=True):
        assert card[:8] in row and "/" in row, row
    assert max(len(line) for line in out.splitlines()) <= 60


def test_every_sort_the_store_knows_is_an_option() -> None:
    """``--sort``'s choices are declared in the CLI (typer needs them at start-up, without
    importing the store): the same keys as the store's orders, in the same order."""
    from mlcards.cli.browse import Sort
    from mlcards.store.search import SORTS

    assert [s.value for s in Sort] == list(SORTS)


def test_the_cards_named_before_asking_fit_the_terminal_in_cells(
    capsys: pytest.CaptureFixture[str], isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A question in wide characters (two cells each) is cut to the terminal's width in
    cells, not in characters, so each named card stays on one line."""
    from helpers import deck_yaml, write
    from rich.cells import cell_len

    question = "注意力机制中的缩放点积为什么要除以维度的平方根呢请解释原因"
    deck = write(isolated_home.parent / "wide.yaml", deck_yaml(question=question))
    assert run(capsys, "import", str(deck))[0] == 0
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, _, err = run(capsys, "suspend", "deck:toy")
    named = [line for line in err.splitlines() if line.startswith("  toy/")]
    assert code == 1 and len(named) == 3
    assert all(question[:5] in line and cell_len(line) <= 59 for line in named), named
