"""Command line: typer declarations and wiring only; ``main`` maps every error to its exit code.

The commands are declared in one module per group (imported here so that they register, in
the order ``--help`` lists them); the shared parts are in ``mlcards.cli.base``.
"""

from mlcards.cli import study  # noqa: F401, I001 - registers the commands, in this order
from mlcards.cli import decks  # noqa: F401
from mlcards.cli import progress  # noqa: F401
from mlcards.cli import admin  # noqa: F401
from mlcards.cli import scheduling  # noqa: F401
from mlcards.cli import browse  # noqa: F401
from mlcards.cli.base import app, main

__all__ = ["app", "main"]
