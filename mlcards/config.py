"""Where mlcards keeps its data, and the user's settings (``config.yaml`` in the data dir)."""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from mlcards.clock import DEFAULT_ROLLOVER_HOUR
from mlcards.errors import UsageError
from mlcards.session import DEFAULT_NEW_PER_DAY, DEFAULT_REVIEWS_PER_DAY

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


@dataclass(frozen=True)
class Settings:
    new_per_day: int = DEFAULT_NEW_PER_DAY
    reviews_per_day: int = DEFAULT_REVIEWS_PER_DAY
    rollover_hour: int = DEFAULT_ROLLOVER_HOUR

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_RANGES = {"new_per_day": (0, 10_000), "reviews_per_day": (0, 100_000), "rollover_hour": (0, 23)}


def _checked(key: str, value: object, where: str) -> int:
    if key not in _RANGES:
        known = ", ".join(_RANGES)
        raise UsageError(f"{where}: unknown setting {key!r} (settings: {known})")
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


def load_settings(path: Path | None = None) -> Settings:
    path = path or config_path()
    if not path.exists():
        return Settings()
    import yaml  # only when there is a file: it costs ~15 ms of every command's start-up

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot read settings: {exc}") from None
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: settings must be a mapping of key: value")
    return Settings(**{str(k): _checked(str(k), v, str(path)) for k, v in raw.items()})


def save_setting(key: str, value: str, path: Path | None = None) -> Settings:
    import yaml

    path = path or config_path()
    current = load_settings(path).to_dict()
    current[key] = _checked(key, value, "config set")
    defaults = Settings().to_dict()
    changed = {k: v for k, v in current.items() if v != defaults[k]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(changed, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
    return Settings(**current)


SETTING_NAMES = tuple(f.name for f in fields(Settings))
