"""Where mlcards keeps its data, and the user's settings (``config.yaml`` in the data dir)."""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from mlcards.errors import UsageError
from mlcards.rules import (
    DEFAULT_LEECH_THRESHOLD,
    DEFAULT_NEW_PER_DAY,
    DEFAULT_REVIEWS_PER_DAY,
    DEFAULT_ROLLOVER_HOUR,
)

DB_NAME = "mlcards.db"
CONFIG_NAME = "config.yaml"


def data_dir() -> Path:
    """``MLCARDS_HOME``, else the platform's per-user data folder."""
    override = os.environ.get("MLCARDS_HOME")
    if override:
        return Path(override).expanduser()
    home = Path.home()
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
        return option.expanduser()
    env = os.environ.get("MLCARDS_DB")
    if env:
        return Path(env).expanduser()
    return data_dir() / DB_NAME


PER_DECK = ("new_per_day", "reviews_per_day", "leech_threshold")


@dataclass(frozen=True)
class Settings:
    """Global settings, and per-deck overrides of ``PER_DECK`` keys (``decks:`` in the file)."""

    new_per_day: int = DEFAULT_NEW_PER_DAY
    reviews_per_day: int = DEFAULT_REVIEWS_PER_DAY
    rollover_hour: int = DEFAULT_ROLLOVER_HOUR
    leech_threshold: int = DEFAULT_LEECH_THRESHOLD
    max_deck_bytes: int = 5 * 1024 * 1024
    decks: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def for_deck(self, deck_id: str) -> Settings:
        """This deck's settings: its overrides over the global values."""
        overrides: dict[str, Any] = dict(self.decks.get(deck_id, {}))
        return replace(self, **overrides)

    def leech_threshold_for(self, deck_id: str) -> int:
        """The leech threshold of a deck: its own, else the global one."""
        return self.decks.get(deck_id, {}).get("leech_threshold", self.leech_threshold)

    def leech_thresholds(self) -> dict[str, int]:
        """The decks that have their own leech threshold."""
        return {
            deck_id: overrides["leech_threshold"]
            for deck_id, overrides in self.decks.items()
            if "leech_threshold" in overrides
        }


_RANGES = {
    "new_per_day": (0, 10_000),
    "reviews_per_day": (0, 100_000),
    "rollover_hour": (0, 23),
    "leech_threshold": (1, 1_000),
    "max_deck_bytes": (1024, 1024**3),
}


def _checked(key: str, value: object, where: str, deck: bool = False) -> int:
    allowed = PER_DECK if deck else tuple(_RANGES)
    if key not in allowed:
        raise UsageError(
            f"{where}: unknown {'per-deck ' if deck else ''}setting {key!r} "
            f"(settings: {', '.join(allowed)})"
        )
    low, high = _RANGES[key]
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except ValueError:
            raise UsageError(f"{where}: {key} must be a whole number, not {value!r}") from None
    if not low <= value <= high:
        raise UsageError(f"{where}: {key} must be between {low} and {high}, not {value}")
    return value


def config_path() -> Path:
    return data_dir() / CONFIG_NAME


def _parse(raw: object, where: str) -> Settings:
    if raw is None:
        return Settings()
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: settings must be a mapping of key: value")
    values: dict[str, Any] = {}
    decks: dict[str, dict[str, int]] = {}
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
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot read settings: {' '.join(str(exc).split())}") from None
    return _parse(raw, str(path))


def save_setting(
    key: str, value: str, deck: str | None = None, path: Path | None = None
) -> Settings:
    """Set one value (globally, or for one deck) and write the file atomically."""
    import yaml

    path = path or config_path()
    settings = load_settings(path)
    document = {k: v for k, v in settings.to_dict().items() if k != "decks"}
    decks = {d: dict(o) for d, o in settings.decks.items()}
    if deck is None:
        document[key] = _checked(key, value, "config set")
    else:
        decks.setdefault(deck, {})[key] = _checked(key, value, "config set --deck", deck=True)
    defaults = Settings().to_dict()
    changed: dict[str, Any] = {k: v for k, v in document.items() if v != defaults[k]}
    if decks:
        changed["decks"] = decks
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(changed, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
    return _parse(changed, str(path))
