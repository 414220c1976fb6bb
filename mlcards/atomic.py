"""The one way mlcards replaces a text file: whole or not at all.

The text goes to a temporary file with a unique name beside the target (``mkstemp``: two
writers never share one), is flushed and fsynced, and only then renamed over the target, so
a reader or a crash sees the old file or the new one, never half of one. On any failure the
temporary file is removed and the target is left as it was. Errors are the ``OSError`` of
the step that failed: each caller says in its own words what could not be written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TextIO


def _mode_for(path: Path) -> int:
    """An existing file keeps its permissions; a new one gets what ``open`` would give."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def atomic_writer(path: Path, mode: int | None = None) -> Iterator[TextIO]:
    """A UTF-8 text stream whose content replaces ``path`` once the block ends without an
    error (written as given: no newline translation). ``mode``: the new file's permissions
    (default: the replaced file's, else the umask's)."""
    import tempfile  # (here: its import costs every command start-up time)

    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temp = Path(name)
    try:
        with open(fd, "w", encoding="utf-8", newline="") as stream:
            os.chmod(temp, _mode_for(path) if mode is None else mode)
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        with suppress(OSError):  # a read-only file system says EROFS even for an absent file
            temp.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str, mode: int | None = None) -> None:
    """Replace ``path`` with ``text`` atomically (see ``atomic_writer``)."""
    with atomic_writer(path, mode) as stream:
        stream.write(text)
