"""Open an untrusted .xlsx safely: size limits before parsing, zip-bomb check, clear errors.

Limits (documented in docs/workbook.md, "Hostile and broken workbooks"):
- file size at most ``MAX_FILE_BYTES`` (50 MB);
- total uncompressed size at most ``MAX_UNCOMPRESSED_BYTES`` (500 MB);
- no member with a compression ratio above ``MAX_RATIO`` (200:1) once larger than 1 MB;
- at most ``MAX_MEMBERS`` (10,000) parts in the archive;
- no encrypted parts, no macros (``xl/vbaProject.bin``: save as a plain .xlsx).
XML is parsed by openpyxl through defusedxml (installed as a dependency), so entity-expansion
and external-entity attacks are refused; :func:`open_workbook_safely` refuses to open anything if
openpyxl is not using defusedxml.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from scheduler.errors import WorkbookError

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
MAX_RATIO = 200
MAX_MEMBERS = 10_000
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([^"]+)"')


def merged_ranges(wb, ws) -> list[str]:
    """The merged ranges ('B2:B7') of a sheet opened in openpyxl's read-only mode (which keeps no merge list):
    read from the sheet's XML part by a byte search (the part has passed :func:`check_workbook_file`). Only the
    first cell of a merged range holds its value; the others read as empty."""
    with wb._archive.open(ws._worksheet_path) as fh:
        return [m.decode("ascii", "replace") for m in _MERGE_RE.findall(fh.read())]


def check_workbook_file(path: str | Path) -> None:
    """Raise :class:`WorkbookError` unless ``path`` looks like a sane .xlsx archive."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise WorkbookError("workbook not found", file=name)
    size = path.stat().st_size
    if size == 0:
        raise WorkbookError("the file is empty; expected an .xlsx workbook", file=name)
    if size > MAX_FILE_BYTES:
        raise WorkbookError(
            f"the file is {size / 1e6:.1f} MB; workbooks above {MAX_FILE_BYTES // (1024 * 1024)} MB are refused", file=name
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == _OLE_MAGIC:
        raise WorkbookError(
            "the workbook is password-protected (encrypted) or in the old .xls format; "
            "save it as an unprotected .xlsx", file=name
        )
    if head[:2] != b"PK":
        raise WorkbookError("not an .xlsx workbook (no zip archive inside; is it a CSV or text file renamed?)", file=name)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if len(infos) > MAX_MEMBERS:
                raise WorkbookError(
                    f"the archive holds {len(infos)} parts; refused above {MAX_MEMBERS} (not a roster workbook)", file=name
                )
            if any(i.flag_bits & 0x1 for i in infos):
                raise WorkbookError("the workbook's parts are encrypted (password-protected); save it without a password",
                                    file=name)
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise WorkbookError("the workbook contains macros; save it as a plain .xlsx workbook (no macros)",
                                    file=name)
            total = 0
            for info in infos:
                total += info.file_size
                if info.file_size > 1_000_000 and info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                    raise WorkbookError(
                        f"member {info.filename!r} expands {info.file_size / info.compress_size:.0f}-fold; "
                        f"refused as a possible zip bomb (limit {MAX_RATIO}:1)", file=name
                    )
            if total > MAX_UNCOMPRESSED_BYTES:
                raise WorkbookError(
                    f"the workbook expands to {total / 1e6:.0f} MB; above the {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB "
                    "limit (possible zip bomb)", file=name
                )
            bad = zf.testzip()
            if bad is not None:
                raise WorkbookError(f"the workbook is damaged (member {bad!r} fails its checksum)", file=name)
    except zipfile.BadZipFile:
        raise WorkbookError("the workbook is truncated or damaged (not a readable zip archive)", file=name) from None
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise WorkbookError("a zip archive but not an Excel workbook (no xl/ part)", file=name)


def open_workbook_safely(path: str | Path, *, read_only: bool = True, data_only: bool = False):
    """Check then open with openpyxl. Formulas are kept as text (``data_only=False``): never evaluated."""
    import openpyxl
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:
        raise WorkbookError("defusedxml is not installed: untrusted workbooks are not opened without it "
                            "(pip install defusedxml)", file=str(path))
    check_workbook_file(path)
    try:
        return openpyxl.load_workbook(path, read_only=read_only, data_only=data_only)
    except WorkbookError:
        raise
    except Exception as exc:  # openpyxl raises many types for malformed parts
        if _defused(exc):
            raise WorkbookError("refused: the workbook's XML declares entities (a possible XML bomb or "
                                "external-entity attack)", file=str(path)) from None
        raise WorkbookError(f"the workbook cannot be read ({type(exc).__name__}: {exc})", file=str(path)) from None


def _defused(exc: BaseException) -> bool:
    """Whether defusedxml refused the XML somewhere in the exception chain."""
    from defusedxml import DefusedXmlException

    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DefusedXmlException):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
