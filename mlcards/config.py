"""Where mlcards keeps its data, and the user's settings (``config.yaml`` in the data dir)."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from mlcards.atomic import write_text
from mlcards.errors import OutputError, UsageError
from mlcards.rules import (
    DEFAULT_DESIRED_RETENTION,
    DEFAULT_FUZZ,
    DEFAULT_LEECH_THRESHOLD,
    DEFAULT_LOAD_BALANCE,
    DEFAULT_NEW_PER_DAY,
    DEFAULT_REVIEWS_PER_DAY,
    DEFAULT_ROLLOVER_HOUR,
    DEFAULT_SCHEDULER,
    SCHEDULERS,
    DeckRules,
    SchedulerSpec,
)
from mlcards.sanitize import quote_path

DB_NAME = "mlcards.db"
CONFIG_NAME = "config.yaml"
MAX_CONFIG_BYTES = 1024 * 1024


def _expand(path: Path, source: str) -> Path:
    """``~`` and ``~user`` expanded, or a clear error (``~nosuchuser/x.db``)."""
    try:
        return path.expanduser()
    except RuntimeError:
        raise UsageError(
            f"{source} {str(path)!r}: cannot expand '~' there (no such user, or no home folder)"
        ) from None


def data_dir() -> Path:
    """``MLCARDS_HOME``, else the platform's per-user data folder."""
    override = os.environ.get("MLCARDS_HOME")
    if override:
        return _expand(Path(override), "MLCARDS_HOME")
    try:
        home = Path.home()
    except RuntimeError:
        raise UsageError("cannot find your home folder: set MLCARDS_HOME") from None
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "mlcards"


def db_path(option: Path | None = None) -> Path:
    """``--db``, else ``MLCARDS_DB``, else ``mlcards.db`` in the data dir."""
    if option is not None:
        return _expand(option, "--db")
    env = os.environ.get("MLCARDS_DB")
    if env:
        return _expand(Path(env), "MLCARDS_DB")
    return data_dir() / DB_NAME


PER_DECK = (
    "new_per_day",
    "reviews_per_day",
    "leech_threshold",
    "scheduler",
    "desired_retention",
    "fsrs_parameters",
    "fuzz",
    "load_balance",
)
SCHEDULING = ("scheduler", "desired_retention", "fsrs_parameters", "fuzz", "load_balance")
"""The settings a deck's cached schedule is computed with: changing one reschedules it."""


@dataclass(frozen=True)
class Settings:
    """Global settings, and per-deck overrides of ``PER_DECK`` keys (``decks:`` in the file)."""

    new_per_day: int = DEFAULT_NEW_PER_DAY
    reviews_per_day: int = DEFAULT_REVIEWS_PER_DAY
    rollover_hour: int = DEFAULT_ROLLOVER_HOUR
    leech_threshold: int = DEFAULT_LEECH_THRESHOLD
    max_deck_bytes: int = 5 * 1024 * 1024
    scheduler: str = DEFAULT_SCHEDULER
    desired_retention: float = DEFAULT_DESIRED_RETENTION
    fsrs_parameters: tuple[float, ...] | None = None
    """Fitted by ``mlcards optimize``; None means py-fsrs's defaults."""
    fuzz: bool = DEFAULT_FUZZ
    load_balance: bool = DEFAULT_LOAD_BALANCE
    sync_dir: str = ""
    """The folder ``mlcards sync`` uses without an argument, and ``review``/``practice``
    sync with at start and end ("" for none)."""
    decks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def for_deck(self, deck_id: str) -> Settings:
        """This deck's settings: its overrides over the global values."""
        overrides: dict[str, Any] = dict(self.decks.get(deck_id, {}))
        return replace(self, **overrides)

    def scheduling_values(self) -> dict[str, dict[str, Any]]:
        """The scheduling values these settings set, by deck ('' for the global ones), as
        ``store.settings`` keeps them: only those that differ from the defaults."""
        defaults = Settings()
        values: dict[str, dict[str, Any]] = {}
        own = {k: getattr(self, k) for k in SCHEDULING if getattr(self, k) != getattr(defaults, k)}
        if own:
            values[""] = own
        for deck_id, overrides in self.decks.items():
            deck_own = {k: v for k, v in overrides.items() if k in SCHEDULING}
            if deck_own:
                values[deck_id] = deck_own
        return values

    def with_scheduling(self, stored: Mapping[str, Mapping[str, Any]]) -> Settings:
        """These settings with the scheduling values the database holds in place of the
        file's: a deck's schedule is decided by what is stored beside it."""
        defaults = Settings()
        glob = stored.get("", {})
        decks = {
            d: {k: v for k, v in o.items() if k not in SCHEDULING} for d, o in self.decks.items()
        }
        for deck_id, values in stored.items():
            if deck_id:
                decks.setdefault(deck_id, {}).update(values)
        return replace(
            self,
            decks={d: o for d, o in decks.items() if o},
            **{k: glob.get(k, getattr(defaults, k)) for k in SCHEDULING},
        )

    def rules_for(self, deck_id: str | None = None) -> DeckRules:
        """The rules a deck is studied under (its own settings over the global ones); with
        no deck, the global rules."""
        own: dict[str, Any] = self.decks.get(deck_id, {}) if deck_id is not None else {}
        return DeckRules(
            new_per_day=own.get("new_per_day", self.new_per_day),
            reviews_per_day=own.get("reviews_per_day", self.reviews_per_day),
            leech_threshold=int(own.get("leech_threshold", self.leech_threshold)),
            scheduler=SchedulerSpec(
                own.get("scheduler", self.scheduler),
                own.get("desired_retention", self.desired_retention),
                own.get("fsrs_parameters", self.fsrs_parameters),
                own.get("fuzz", self.fuzz),
                own.get("load_balance", self.load_balance),
            ),
            own=deck_id is not None and deck_id in self.decks,
        )


_RANGES = {
    "new_per_day": (0, 10_000),
    "reviews_per_day": (0, 100_000),
    "rollover_hour": (0, 23),
    "leech_threshold": (1, 1_000),
    "max_deck_bytes": (1024, 1024**3),
}


def _short(value: object) -> str:
    """A value for a message, whatever it is: 5,000 digits or 5,000 levels deep."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "a number with hundreds of digits"
    import reprlib

    short = reprlib.Repr()
    short.maxstring = short.maxother = 40
    short.maxlevel = 3
    return short.repr(value)


def _known(key: str, where: str, deck: bool = False) -> None:
    allowed = PER_DECK if deck else (*_RANGES, *SCHEDULING, *_TEXTS)
    if key not in allowed:
        raise UsageError(
            f"{where}: unknown {'per-deck ' if deck else ''}setting {_short(key)} "
            f"(settings: {', '.join(allowed)})"
        )


def _scheduling_value(key: str, value: object, where: str) -> object:
    """``scheduler`` (a name), ``desired_retention`` (0.7 to 0.99), ``fsrs_parameters``
    (21 numbers, or ``default``/null for py-fsrs's defaults), ``fuzz`` and ``load_balance``
    (true or false)."""
    if key in ("fuzz", "load_balance"):
        truth = {"true": True, "on": True, "yes": True, "false": False, "off": False, "no": False}
        flag = value if isinstance(value, bool) else truth.get(str(value).strip().lower())
        if flag is None:
            raise UsageError(f"{where}: {key} must be true or false, not {_short(value)}")
        return flag
    if key == "scheduler":
        if value not in SCHEDULERS:
            raise UsageError(
                f"{where}: scheduler must be one of {', '.join(SCHEDULERS)}, not {_short(value)}"
            )
        return value
    if key == "desired_retention":
        try:
            number = float(str(value)) if isinstance(value, str | int | float) else None
        except ValueError:
            number = None
        if isinstance(value, bool) or number is None or not 0.7 <= number <= 0.99:
            raise UsageError(
                f"{where}: desired_retention must be from 0.7 to 0.99, not {_short(value)}"
            )
        return number
    if value is None or value == "default":
        return None
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    try:
        numbers = tuple(float(v) for v in items) if isinstance(items, list | tuple) else ()
    except (TypeError, ValueError):
        numbers = ()
    if len(numbers) != 21 or not all(math.isfinite(n) for n in numbers):
        raise UsageError(f"{where}: fsrs_parameters must be 21 numbers (FSRS-6), or 'default'")
    return numbers


_TEXTS = ("sync_dir",)
"""Settings whose value is a text (a folder: ``~`` is expanded, it need not exist yet)."""


def _checked(key: str, value: object, where: str, deck: bool = False) -> Any:
    _known(key, where, deck)
    if key in SCHEDULING:
        return _scheduling_value(key, value, where)
    if key in _TEXTS:
        if not isinstance(value, str) or "\x00" in value or len(value) > 4096:
            raise UsageError(f"{where}: {key} must be a folder name, not {_short(value)}")
        return str(Path(value).expanduser()) if value.strip() else ""
    low, high = _RANGES[key]
    if isinstance(value, bool) or not isinstance(value, int):
        text = str(value).strip() if isinstance(value, str) else ""
        if not (text.lstrip("+-").isascii() and text.lstrip("+-").isdigit() and len(text) < 30):
            raise UsageError(f"{where}: {key} must be a whole number, not {_short(value)}")
        value = int(text)
    if not low <= value <= high:
        raise UsageError(
            f"{where}: {key} must be between {low:,} and {high:,}, not {_short(value)}"
        )
    return value


def checked_value(key: str, value: str, deck: str | None = None) -> Any:
    """``value`` as ``config set`` would store it for ``key`` (a UsageError if it cannot)."""
    return _checked(key, value, "config set --deck" if deck else "config set", deck is not None)


def config_path() -> Path:
    return data_dir() / CONFIG_NAME


def _parse(raw: object, where: str) -> Settings:
    if raw is None:
        return Settings()
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: settings must be a mapping of key: value")
    values: dict[str, Any] = {}
    decks: dict[str, dict[str, Any]] = {}
    for key, value in raw.items():
        if key == "decks":
            if not isinstance(value, dict):
                raise UsageError(f"{where}: 'decks' must map deck ids to settings")
            for deck_id, overrides in value.items():
                if not isinstance(overrides, dict):
                    raise UsageError(f"{where}: decks.{deck_id} must be a mapping")
                decks[str(deck_id)] = {
                    str(k): _checked(str(k), v, f"{where}: decks.{deck_id}", deck=True)
                    for k, v in overrides.items()
                }
        else:
            values[str(key)] = _checked(str(key), value, where)
    return Settings(**values, decks=decks)


def load_settings(path: Path | None = None) -> Settings:
    path = path or config_path()
    if not path.exists():
        return Settings()
    import yaml  # only when there is a file: it costs ~15 ms of every command's start-up

    try:
        if not path.is_file():
            raise UsageError(
                f"{quote_path(path)}: not a regular file, so no settings can be read from it"
            )
        with open(path, "rb") as stream:
            data = stream.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise UsageError(
                f"{quote_path(path)}: settings files are limited to {MAX_CONFIG_BYTES:,} bytes"
            )
        raw = yaml.safe_load(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = " ".join(str(exc).split())[:300]
        raise UsageError(f"{quote_path(path)}: cannot read settings: {reason}") from None
    except RecursionError:
        raise UsageError(f"{quote_path(path)}: cannot read settings: nested too deeply") from None
    except ValueError as exc:  # a number of more than 4,300 digits, say
        reason = " ".join(str(exc).split())[:120]
        if "digits" in reason:
            reason = "it holds a number too long to read (over 4,300 digits)"
        raise UsageError(f"{quote_path(path)}: cannot read settings: {reason}") from None
    return _parse(raw, str(path))


def save_setting(
    key: str, value: str, deck: str | None = None, path: Path | None = None
) -> Settings:
    """Set one value (globally, or for one deck) and write the file atomically."""
    path = path or config_path()
    with _locked(path):
        return _write(path, *_with_setting(key, value, deck, path))


def _with_setting(
    key: str, value: str, deck: str | None, path: Path
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The settings document with one value changed; a deck's ``fsrs_parameters default``
    drops its own parameters."""
    settings = load_settings(path)
    document = {k: v for k, v in settings.to_dict().items() if k != "decks"}
    decks = {d: dict(o) for d, o in settings.decks.items()}
    if deck is None:
        document[key] = _checked(key, value, "config set")
    else:
        checked = _checked(key, value, "config set --deck", deck=True)
        own = decks.setdefault(deck, {})
        if checked is None:
            own.pop(key, None)
        else:
            own[key] = checked
    return document, decks


def _plain(value: Any) -> Any:
    """Tuples as lists, for YAML's safe dumper."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _changed(document: dict[str, Any], decks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The values that differ from the defaults (what the file keeps)."""
    defaults = Settings().to_dict()
    changed: dict[str, Any] = {k: v for k, v in document.items() if v != defaults[k]}
    if decks:
        changed["decks"] = decks
    return changed


def unset_setting(key: str, deck: str | None = None, path: Path | None = None) -> bool:
    """Remove one value (globally, or one deck's), so the default (or the global value)
    applies again. Returns whether it was set."""
    path = path or config_path()
    with _locked(path):
        return _unset(key, deck, path)


def _unset(key: str, deck: str | None, path: Path) -> bool:
    settings = load_settings(path)
    document = {k: v for k, v in settings.to_dict().items() if k != "decks"}
    decks = {d: dict(o) for d, o in settings.decks.items()}
    if deck is None:
        _known(key, "config unset")
        was_set = bool(document[key] != Settings().to_dict()[key])
        document[key] = Settings().to_dict()[key]
    else:
        _known(key, "config unset --deck", deck=True)
        was_set = key in decks.get(deck, {})
        decks.get(deck, {}).pop(key, None)
        if deck in decks and not decks[deck]:
            del decks[deck]
    if was_set:
        _write(path, document, decks)
    return was_set


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One ``config set``/``unset`` at a time reads, changes and writes the file (several at
    once would each write back what they read, losing the others' changes). A lock file
    beside it, held with ``flock``; where there is no flock, no lock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        yield
        return
    lock = path.parent / f".{path.name}.lock"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(
            f"{quote_path(path)}: cannot write the settings: {exc.strerror or exc}"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write(path: Path, document: dict[str, Any], decks: dict[str, dict[str, Any]]) -> Settings:
    """Write the values that differ from the defaults, replacing the file atomically; a
    symlinked config.yaml is written through to its target, and stays a link."""
    import yaml

    changed = _plain(_changed(document, decks))
    target = Path(os.path.realpath(path))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text(target, yaml.safe_dump(changed, sort_keys=True))
    except OSError as exc:
        raise OutputError(
            f"{quote_path(path)}: cannot write the settings: {exc.strerror or exc}"
        ) from None
    return _parse(changed, str(path))
