"""Write a file so that it is either wholly written or not touched: a temporary file beside it,
renamed over it only when writing succeeded."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scheduler.errors import SchedulerError


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """``with atomic_path(out) as tmp: write to tmp`` — ``out`` is replaced only if the block succeeds."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise SchedulerError(f"{path}: cannot write here ({exc.strerror})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    usual_file_mode(tmp_path)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except OSError as exc:
        raise SchedulerError(f"{path}: cannot write the file ({exc.strerror})") from None
    finally:
        tmp_path.unlink(missing_ok=True)


def usual_file_mode(path: Path) -> None:
    """mkstemp creates files readable by the owner only; give them the mode a plain open() would."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)
