"""Where command output goes: stdout, or a file replaced atomically once fully written."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from mlcards.errors import InputNotFoundError, OutputError


@contextmanager
def open_output(path: Path | None) -> Iterator[TextIO]:
    """stdout, or a temp file beside ``path`` that replaces it only once fully written.

    On any failure (or Ctrl-C) the temp file is removed and an existing ``path`` is left
    byte-for-byte as it was.
    """
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    import tempfile

    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputNotFoundError(f"{folder}: no such folder for the output file")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder, not a file")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here: {exc.strerror}") from None
    tmp = Path(tmp_name)
    try:
        if path.exists():
            mode = path.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with open(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
