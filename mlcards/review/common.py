"""What the review loop and its pages share: the screen and card-action protocols, the
page protocol, the scroll keys, and the words and step names of the loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from mlcards.models import Choice, ScheduledCard
from mlcards.render.keys import ANSWER, KEYMAPS, SCROLLS
from mlcards.render.screen import Screenful

CHANGED = "This card changed since it was shown (edited or re-imported); here it is again."
QUIT = "quit"
NEXT = "next"
AGAIN = "again"
BACK = "back"

KeyReader = Callable[[], str]


class Screen(Protocol):
    """Where the loop draws (``rich.console.Console`` fits)."""

    def print(self, *objects: object, end: str = "\n", crop: bool = True) -> None: ...

    @property
    def size(self) -> tuple[int, int]: ...

    @property
    def encoding(self) -> str: ...


class CardActions(Protocol):
    """What the review screen may do to a card besides answering it (the store, in the app)."""

    def suspend(self, item: ScheduledCard) -> str: ...

    def bury(self, item: ScheduledCard) -> str: ...

    def flag(self, item: ScheduledCard, note: str | None = None) -> tuple[ScheduledCard, str]:
        """Toggle the flag; ``note`` is why (a flag's; "" for none, None keeps the old)."""
        ...

    def edit_if_changed(self, item: ScheduledCard) -> tuple[ScheduledCard | None, str]: ...

    def unsuspend(self, item: ScheduledCard) -> str: ...

    def unbury(self, item: ScheduledCard) -> str: ...


LEECH_WORDS = {
    "tag": "it is now tagged as a leech (`mlcards leeches`); consider rewriting it",
    "suspend": "it is now suspended as a leech (`mlcards unsuspend` brings it back)",
}
SCROLL_KEYS = {key: action for key, action in KEYMAPS[ANSWER].items() if action in SCROLLS}


def scroll_to(action: str, view: Screenful) -> int:
    """Where a scroll action moves the view's scrolling region to."""
    steps = {"line_up": -1, "line_down": 1}
    pages = {"page_up": -1, "page_down": 1}
    if action in steps:
        target = view.scroll + steps[action]
    elif action in pages:
        target = view.scroll + pages[action] * max(view.page - 1, 1)
    else:
        target = 0 if action == "top" else view.max_scroll
    return min(max(target, 0), view.max_scroll)


def scrolled(key: str, view: Screenful) -> int | None:
    """Where ``key`` moves the view's scrolling region to, or None if it is no scroll key."""
    action = SCROLL_KEYS.get(key)
    return None if action is None else scroll_to(action, view)


class _Page(Protocol):
    """One screen of the loop: how it looks now, and what its actions do."""

    reopen: bool
    """Set by an action that changed what is shown: the next view opens afresh."""

    @property
    def keys(self) -> dict[str, str]: ...

    def view(self, width: int, height: int, scroll: int | None) -> Screenful: ...

    def act(self, action: str | None, key: str) -> str | None: ...


@dataclass(frozen=True)
class _Done:
    """One action ``u`` can take back: an answer, a suspend, a bury or a flag; and the
    order the card's choices were shown in, for showing it again as it was."""

    kind: str
    item: ScheduledCard
    order: tuple[Choice, ...] = ()
