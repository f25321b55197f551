"""Files under the data directory readable by their owner only (0600, folders 0700).

The data folder holds the read model (onego.db and its -wal/-shm files), the span store
(spans.db), the Temporal dev server's history (temporal.db), the JWT key and the data keys:
every one of them holds personal data or a key to it (or, the spans, what a case did when).
`onego run` sets the process umask to 077 before it creates anything, so the files its
children create (the dev server's included) start private, and tightens what an older version
left readable.
"""

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def private_folder(path: Path) -> None:
    """`path` and its missing parents created, `path` itself owner-only (0700)."""
    path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    path.chmod(PRIVATE_FOLDER)


def private_file(path: Path) -> None:
    """An empty file created owner-only (0600) unless it exists; its folder as well."""
    path.parent.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))


def tighten(folder: Path) -> int:
    """Remove group and other access from everything under `folder` (itself included);
    returns how many entries were changed. Symbolic links are left alone."""
    changed = 0
    for entry in [folder, *folder.rglob("*")]:
        if entry.is_symlink():
            continue
        mode = stat.S_IMODE(entry.stat().st_mode)
        if mode & 0o077:
            entry.chmod(mode & 0o700)
            changed += 1
    return changed
