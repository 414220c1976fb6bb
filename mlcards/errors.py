"""Domain errors. Each class carries the exit code the CLI maps it to (see README, Exit codes)."""

from __future__ import annotations


class MlcardsError(Exception):
    """Base for every error a user may see as a one-line message instead of a traceback."""

    exit_code = 1


class UsageError(MlcardsError):
    exit_code = 2


class DeckError(MlcardsError):
    """A deck file is invalid. ``problems`` holds every ``FILE:LINE: message`` found."""

    exit_code = 65

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class InputNotFoundError(MlcardsError):
    exit_code = 66


class StoreError(MlcardsError):
    """The database cannot be read or written (corrupt, read-only, disk full...)."""

    exit_code = 74


class BusyError(StoreError):
    exit_code = 75


class DatabaseTooNewError(StoreError):
    exit_code = 78


class NotATerminalError(MlcardsError):
    exit_code = 1


class OutputError(MlcardsError):
    """An output file cannot be written (folder read-only, disk full...)."""

    exit_code = 73


class UndoRefused(MlcardsError):
    """An answer is no longer its card's latest (another session answered it since)."""

    exit_code = 1


class MissingExtraError(MlcardsError):
    """A feature needs an optional package that is not installed (FSRS: ``mlcards[fsrs]``;
    ``mlcards optimize``: ``mlcards[optimize]``)."""

    exit_code = 69
