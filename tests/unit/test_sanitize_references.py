"""Control characters written as HTML character references (reliability issue, item 7):
the deck check refuses them after decoding, and Markdown on screen shows them as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import deck_yaml, mlcards, write

from mlcards.sanitize import first_unsafe, markdown_safe


@pytest.mark.parametrize(
    "ref", ["&#x202e;", "&#8238;", "&#X202E;", "&#x2066;"]
)  # (C0/C1 refs decode to U+FFFD)
def test_a_reference_to_a_control_character_is_refused_at_its_line(
    isolated_home: Path, tmp_path: Path, ref: str
) -> None:
    text = deck_yaml(cards=("c1",)).replace("explanation: Because.", f"explanation: 'B {ref}x'")
    deck = write(tmp_path / "toy.yaml", text)
    code, out, err = mlcards(isolated_home, "import", str(deck))
    assert code == 65, out + err
    assert "toy.yaml:" in err and "terminal control character" in err


def test_ordinary_references_pass() -> None:
    assert first_unsafe("&lt;b&gt; &amp; &copy; &#233;") is None
    assert markdown_safe("&lt;b&gt; &copy;") == "&lt;b&gt; &copy;"


def test_markdown_shows_a_dangerous_reference_as_written() -> None:
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console(width=60, force_terminal=False)
    with console.capture() as captured:
        console.print(Markdown(markdown_safe("right-to-left &#x202e;here")))
    shown = captured.get()
    assert "\u202e" not in shown and "&#x202e;here" in shown


def test_the_review_screen_shows_a_reference_as_written() -> None:
    """The screen's Markdown goes through markdown_safe: a bidi override written as a
    character reference (in text that reached the database some other way) is shown as
    written, never decoded onto the screen."""
    from dataclasses import replace

    from helpers import toy_deck
    from rich.console import Console

    from mlcards.models import ScheduledCard
    from mlcards.render.review import CardView, render_card

    card = replace(toy_deck(cards=("c1",)).cards[0], question="Which &#x202e;way?")
    item = ScheduledCard("toy", "Toy", card, 0, 2.5, 0, None, None)
    console = Console(width=80, force_terminal=False)
    with console.capture() as captured:
        console.print(render_card(CardView(item, list(card.choices))))
    shown = captured.get()
    assert "\u202e" not in shown and "&#x202e;way?" in shown
