"""Small file helpers shared by the key store and the index: private and atomic writes.

Every file is born private: temporary files come from ``mkstemp`` in the
target's own directory (an unpredictable name, created exclusively with mode
0600, so a planted file or symlink is never written through) and get their
final mode by ``fchmod`` before a byte is written. Directories that hold
secrets are 0700 whatever the umask (issue 16).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 from the start; never overwrite.

    Opening with O_EXCL and the mode in one call leaves no moment in which
    another user could read a private key (issue 6).
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # the umask may have removed the owner's bits
        handle.write(data)


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` in one step so readers see the old or the new file, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def private_dir(path: Path) -> Path:
    """``path`` as a directory only its owner can enter (0700), created if missing."""
    # mode= keeps the new directory closed from its first moment; chmod then makes
    # it exactly 0700 whatever the umask, and closes one that existed already.
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path
