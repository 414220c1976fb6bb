"""The synced folder: one append-only JSON Lines file of events per device, moved by another
program (Syncthing, git, Dropbox, rsync) and only read and appended to here. No SQL.

Invariants this module keeps:

- A device appends only to its own file, ``mlcards-<device>.jsonl``, under an exclusive lock
  in the local data dir, whole ``\\n``-terminated lines, fsynced; an event whose ``seq`` the
  file already holds is never written again, so two processes never double an event. The
  own file is never rewritten; the one exception is a torn last line (a write cut by a
  crash), which the next append cuts off before it writes (the event is written again).
  Another device's file is never written, renamed or removed.
- Reading takes whole lines only: a last line without ``\\n`` (a transfer or a write in
  progress) is left for a later read. A complete line that is not a valid event, in any file
  (conflict copies included), is an error naming ``FILE:LINE`` (exit 65), and a file holding
  an event of a newer version is refused whole (exit 78); neither is ever changed here.
- Every value read is data: sizes, types and identifiers are checked before an event is
  handed on, lines are capped (read in chunks, so no line can exhaust memory), and anything
  from a file that goes into a message passes ``sanitize`` first.
- Reading streams batches; per file a mark (size, mtime, the offset and line number of the
  last whole line read, hashes of the 4 KiB at each end of what was read) lets a sync that
  finds nothing new read no file contents at all, an appended file be read from its offset,
  and a file changed before that offset (git rewrites files on a merge) be read whole again.
- A sync tool's conflict copy (Syncthing's ``.sync-conflict-``, Dropbox's "conflicted copy")
  is read as more events, and removed by ``tidy_conflicts`` only when every line of it is in
  its device's own file too and the caller knows every event. A device's file under any other
  name (``mlcards-<device> (1).jsonl``, ``mlcards-<device>-HOST.jsonl``) is read, never removed.

The same event can be handed on more than once (from a conflict copy and its device's file,
or again after a file is read whole): the caller keeps events by id.
"""

from mlcards.syncfolder.events import BATCH, MAX_LINE, FolderRead, SyncFolderError
from mlcards.syncfolder.reading import read_folder
from mlcards.syncfolder.writing import append_events, ensure_layout, last_seq, tidy_conflicts

__all__ = [
    "BATCH",
    "MAX_LINE",
    "FolderRead",
    "SyncFolderError",
    "append_events",
    "ensure_layout",
    "last_seq",
    "read_folder",
    "tidy_conflicts",
]
