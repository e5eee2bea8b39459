"""Write files so that they are either wholly written or not touched: temporary files beside them,
renamed over them only when writing succeeded.

:func:`atomic_path` writes one file; :class:`AtomicWriter` writes the files of one output folder (a run, a
comparison) and puts them in place together: either every file is replaced or the folder is left as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scheduler.errors import OutputError

HINT = "close it if it is open in Excel or another program, or make it writable, and try again"


def reason(exc: OSError) -> str:
    """The operating system's words for an error (``Permission denied``), without the paths."""
    return exc.strerror or str(exc)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """``with atomic_path(out) as tmp: write to tmp`` — ``out`` is replaced only if the block succeeds."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here ({reason(exc)})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    usual_file_mode(tmp_path)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the file ({reason(exc)}); {HINT}; the file was left as it was") \
            from None
    finally:
        tmp_path.unlink(missing_ok=True)


def check_output_folder(folder: str | Path, names: tuple[str, ...] | frozenset[str] = ()) -> list[str]:
    """Before long work (a forecast and solve): make sure files can be written into ``folder`` — it is created if
    missing and a probe file is created and removed there — or raise :class:`OutputError`.

    Returns a warning for each of ``names`` already in the folder that cannot be opened for writing now (held
    open in Excel on Windows, or read-only): the new files may not be able to replace it at the end.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-check.", suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write into this output folder ({reason(exc)}); make it writable or "
                          f"choose another output folder (nothing was planned yet)") from None
    warnings = []
    for name in sorted(names):
        path = folder / name
        if not path.is_file():
            continue
        try:
            os.close(os.open(path, os.O_WRONLY))        # opened without truncating: nothing is changed
        except OSError as exc:
            warnings.append(f"{path} cannot be opened for writing now ({reason(exc)}): if it is open in Excel or "
                            f"another program, close it before the run ends, or the new files cannot replace it")
    return warnings


def usual_file_mode(path: Path) -> None:
    """mkstemp creates files readable by the owner only; give them the mode a plain open() would."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


class AtomicWriter:
    """Collect files as temporary files in the output folder; ``commit`` puts them all in place, or none.

    ``commit`` first moves every file it will replace aside (under a hidden temporary name), then renames the
    new files into place, then deletes the old ones. When a step fails (a file open in Excel on Windows cannot
    be moved, a read-only file, ...) the files already placed are taken back, the old ones restored and the
    temporary files removed, and :class:`OutputError` names the file, the reason and what to do.

    ``known_names`` are the files this kind of folder holds (a run's outputs): those there that were not written
    this time are left from an earlier run and are removed in the same commit (listed in ``removed``), so the
    folder never mixes two plans. Other files are never touched.
    """

    def __init__(self, outdir: str | Path, known_names: frozenset[str] | set[str] = frozenset()):
        self.outdir = Path(outdir)
        try:
            self.outdir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.outdir}: cannot create the output folder ({reason(exc)})") from None
        self._pending: list[tuple[Path, Path]] = []
        self.known_names = frozenset(known_names)
        self.removed: list[Path] = []

    def path_for(self, name: str) -> Path:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.outdir)
        os.close(fd)
        tmp_path = Path(tmp)
        usual_file_mode(tmp_path)
        self._pending.append((tmp_path, self.outdir / name))
        return tmp_path

    def write_text(self, name: str, text: str) -> None:
        self.path_for(name).write_text(text, encoding="utf-8")

    def write_csv(self, name: str, frame) -> None:
        frame.to_csv(self.path_for(name), index=False)

    def write_error(self, exc: OSError) -> OutputError:
        """The error to raise (after :meth:`abort`) when writing a temporary file failed (a full disk)."""
        return OutputError(f"{self.outdir}: cannot write the new files ({reason(exc)}); the folder was left as it was")

    def commit(self) -> list[Path]:
        finals = [final for _, final in self._pending]
        written = {final.name for final in finals}
        stale = [self.outdir / name for name in sorted(self.known_names - written) if (self.outdir / name).is_file()]
        aside: list[tuple[Path, Path]] = []        # (file, where its previous version waits)
        placed: list[Path] = []
        current = self.outdir
        try:
            for final in finals + stale:
                current = final
                if os.path.lexists(final):
                    fd, backup = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".old", dir=self.outdir)
                    os.close(fd)
                    try:
                        os.replace(final, backup)
                    except BaseException:
                        Path(backup).unlink(missing_ok=True)
                        raise
                    aside.append((final, Path(backup)))
            for tmp, final in self._pending:
                current = final
                os.replace(tmp, final)
                placed.append(final)
        except BaseException as exc:
            not_restored = self._roll_back(placed, aside)
            self.abort()
            if not isinstance(exc, OSError):
                raise
            raise OutputError(self._commit_message(current, exc, not_restored)) from None
        for _, backup in aside:
            try:
                backup.unlink()
            except OSError:
                pass            # the new files are in place; an old copy left under a hidden name is harmless
        self._pending.clear()
        self.removed = stale
        return finals

    def _roll_back(self, placed: list[Path], aside: list[tuple[Path, Path]]) -> list[tuple[Path, Path | None]]:
        """Take the placed files back and restore the ones moved aside; returns those that could not be."""
        failed: list[tuple[Path, Path | None]] = []
        had_old = {final for final, _ in aside}
        for final in reversed(placed):
            if final not in had_old:
                try:
                    final.unlink()
                except OSError:
                    failed.append((final, None))
        for final, backup in reversed(aside):
            try:
                os.replace(backup, final)
            except OSError:
                failed.append((final, backup))
        return failed

    def _commit_message(self, file: Path, exc: OSError, not_restored: list[tuple[Path, Path | None]]) -> str:
        text = f"{file}: cannot be written ({reason(exc)}); {HINT}"
        if not not_restored:
            return f"{text}; {self.outdir}/ was left as it was (none of the new files were put in place)"
        parts = [f"{final.name} is the new one" if backup is None else f"the previous {final.name} is in {backup.name}"
                 for final, backup in not_restored]
        return f"{text}; {self.outdir}/ could not all be put back: {', '.join(parts)}"

    def abort(self) -> None:
        for tmp, _ in self._pending:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
        self._pending.clear()
