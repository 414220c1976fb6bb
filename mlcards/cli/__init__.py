"""Command line: typer declarations and wiring only; ``main`` maps every error to its exit code.

The commands are declared in one module per group (imported by ``load`` so that they
register, in the order ``--help`` lists them); the shared parts are in ``mlcards.cli.base``.
Importing this package registers them all, unless ``mlcards.launch`` is trying one of the
typer-free paths of ``cli/quick.py`` first (``launch.QUICK``): then ``app`` and ``main``
load them on first use, in the same order.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

GROUPS = ("study", "decks", "progress", "admin", "scheduling", "browse", "sync")
"""The command modules, in the order ``--help`` lists their commands."""


def load() -> ModuleType:
    """Register every command (once, in ``GROUPS`` order); returns ``mlcards.cli.base``."""
    for name in GROUPS:
        importlib.import_module(f"mlcards.cli.{name}")
    return importlib.import_module("mlcards.cli.base")


def __getattr__(name: str) -> Any:
    if name in ("app", "main"):
        return getattr(load(), name)
    raise AttributeError(name)


if not getattr(sys.modules.get("mlcards.launch"), "QUICK", False):
    load()

__all__ = ["app", "load", "main"]
