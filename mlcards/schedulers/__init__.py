"""The scheduler seam: what decides when a card comes back.

A scheduler is pure: it is given the state a card had, the quality of a graded answer (the
first of that study day) and the study day, and returns the new state, the due day and
whether the answer was a lapse. It reads no clock, does no I/O and uses no global random.
SM-2 (``mlcards.schedulers.sm2``) is the default; FSRS (``mlcards.schedulers.fsrs``, over the
optional py-fsrs package) is the second. Each also says how its state is cached in a card's
row (``fields``/``restore``) and how likely it thinks a card is recalled after some days
(``retrievability``: what ``mlcards evaluate`` scores).

``scheduler_for`` is the one per-deck factory: every command that grades, replays or predicts
asks it for a deck's scheduler, built from the deck's ``DeckRules`` once per distinct setting;
with the ``fuzz`` setting it comes wrapped in ``mlcards.schedulers.fuzz.Fuzzed``, and
``grade_answer`` is how an answer to a known card is graded (fuzzed when the deck says so).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypedDict, TypeVar

from mlcards import rules
from mlcards.errors import MissingExtraError, UsageError
from mlcards.rules import DeckRules, SchedulerSpec

if TYPE_CHECKING:
    from mlcards.schedulers.fsrs import FSRS
    from mlcards.schedulers.sm2 import SM2

S = TypeVar("S")


@dataclass(frozen=True)
class Graded(Generic[S]):
    """What a graded answer produces."""

    state: S
    due: date
    lapse: bool


class Fields(TypedDict):
    """A scheduler state as the card's row caches it (every scheduler fills all five)."""

    repetitions: int
    easiness: float
    interval: int
    stability: float | None
    difficulty: float | None


class Scheduler(Protocol[S]):
    name: str

    def initial(self) -> S:
        """The state of a card never reviewed."""
        ...

    def grade(self, state: S, quality: int, day: date) -> Graded[S]: ...

    def fields(self, state: S) -> Fields:
        """The cached columns of a state."""
        ...

    def restore(self, fields: Fields, last_day: date | None) -> S:
        """A state back from its cached columns and the day of its last graded answer."""
        ...

    def retrievability(self, state: S, elapsed_days: int) -> float | None:
        """Predicted probability of recall ``elapsed_days`` after the last graded answer
        (None for a card never graded)."""
        ...


NAMES = rules.SCHEDULERS
"""The schedulers a deck can use (the `scheduler` setting)."""


def default() -> SM2:
    """SM-2, the default scheduler."""
    from mlcards.schedulers.sm2 import SM2

    return SM2()


FSRS_EXTRA = "pip install 'mlcards[fsrs]'"


def require_fsrs(command: str, *, optimizer: bool = False) -> None:
    """Refuse ``evaluate``, ``simulate`` and ``optimize`` up front on an install without
    the FSRS extra (exit 69, naming what to install), whatever the decks are set to."""
    import importlib

    wanted: list[tuple[str, tuple[str, ...]]] = [
        ("mlcards.schedulers.fsrs", ("fsrs", "typing_extensions"))
    ]
    if optimizer:
        wanted.append(("fsrs_rs_python", ("fsrs_rs_python",)))
    for module, packages in wanted:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            if exc.name not in packages:
                raise
            extra = "pip install 'mlcards[optimize]'" if optimizer else FSRS_EXTRA
            raise MissingExtraError(
                f"`mlcards {command}` needs FSRS, which is an optional part of mlcards not "
                f"installed here: {extra}"
            ) from None


def fsrs_scheduler(
    desired_retention: float = rules.DEFAULT_DESIRED_RETENTION,
    parameters: Sequence[float] | None = None,
) -> FSRS:
    """FSRS over py-fsrs; imported only now, so SM-2 users never load it."""
    try:
        from mlcards.schedulers.fsrs import FSRS
    except ImportError as exc:
        if exc.name not in ("fsrs", "typing_extensions"):
            raise
        raise MissingExtraError(
            f"a deck is set to the FSRS scheduler, but the `fsrs` package is not installed "
            f"({FSRS_EXTRA}); or switch back with `mlcards config set scheduler sm2`"
        ) from None
    return FSRS(desired_retention, parameters)


def by_name(
    name: str,
    desired_retention: float = rules.DEFAULT_DESIRED_RETENTION,
    parameters: Sequence[float] | None = None,
) -> Scheduler[Any]:
    """The scheduler a ``scheduler`` setting names."""
    if name == "sm2":
        return default()
    if name == "fsrs":
        return fsrs_scheduler(desired_retention, parameters)
    raise ValueError(f"unknown scheduler {name!r} (schedulers: {', '.join(NAMES)})")


SchedulerFor = Callable[[str], Scheduler[Any]]
"""The scheduler of a deck (by its id): each deck is graded and replayed with its own."""
RulesFor = Callable[[str], DeckRules]
"""A deck's rules by its id (``Settings.rules_for``)."""


def build(spec: SchedulerSpec, where: str = "settings") -> Scheduler[Any]:
    """The scheduler a spec names (fuzzed when it says so); a bad spec is a UsageError
    naming ``where`` it was set."""
    try:
        inner = by_name(spec.name, spec.desired_retention, spec.fsrs_parameters)
    except ValueError as exc:
        raise UsageError(f"{where}: {' '.join(str(exc).split())}") from None
    if not spec.fuzz:
        return inner
    from mlcards.schedulers.fuzz import Fuzzed

    return Fuzzed(inner, load_balance=spec.load_balance)


def grade_answer(
    scheduler: Scheduler[Any],
    state: Any,
    quality: int,
    day: date,
    card: tuple[str, str],
    due_on: Callable[[date], int] | None = None,
) -> Graded[Any]:
    """A graded answer to ``card`` as it is logged: fuzzed (and balanced by ``due_on``, the
    deck's cards due on a day) when the deck's scheduler is, else exactly ``grade``."""
    from mlcards.schedulers.fuzz import Fuzzed

    if isinstance(scheduler, Fuzzed):
        return scheduler.grade_card(state, quality, day, card, due_on)
    return scheduler.grade(state, quality, day)


def balances(scheduler: Scheduler[Any]) -> bool:
    """Whether the scheduler's draws depend on the deck's due counts (load balancing)."""
    from mlcards.schedulers.fuzz import Fuzzed

    return isinstance(scheduler, Fuzzed) and scheduler.load_balance


def scheduler_for(
    rules_for: RulesFor,
    deck_ids: Iterable[str] = (),
    *,
    name: str | None = None,
    desired_retention: float | None = None,
) -> SchedulerFor:
    """Each deck's scheduler by its rules, built once per distinct spec. ``name`` and
    ``desired_retention`` replace the deck's own (FSRS with each deck's parameters, say, to
    model memory whatever the deck uses). The decks in ``deck_ids`` are built now, so a
    missing ``fsrs`` package or bad parameters are reported before anything is shown or
    written."""
    built: dict[SchedulerSpec, Scheduler[Any]] = {}

    def for_deck(deck_id: str) -> Scheduler[Any]:
        rules = rules_for(deck_id)
        spec = rules.scheduler
        if name is not None:
            spec = spec._replace(name=name)
        if desired_retention is not None:
            spec = spec._replace(desired_retention=desired_retention)
        if spec not in built:
            built[spec] = build(spec, f"deck {deck_id}" if rules.own else "settings")
        return built[spec]

    for deck_id in deck_ids:
        for_deck(deck_id)
    return for_deck
