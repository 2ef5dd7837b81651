"""Evidence files an appellant uploads: size-capped, checked, stored under their SHA-256 once filed.

A listed person has no member to hold their proof, so the federation keeps it
(an ID video, screenshots) in local storage, named by digest. A declared
digest that differs from the file's is refused: the digest is what the
review, the dispute and the ledger refer to.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from ..errors import FederationError, ValidationFailed, field_error

CHUNK = 64 * 1024


class FileTooLarge(FederationError):
    status, code = 413, "file_too_large"


@dataclass(frozen=True, slots=True)
class StoredFile:
    sha256: str
    size: int


class Upload(Protocol):
    """A received file (werkzeug's ``FileStorage``)."""

    stream: BinaryIO

    def close(self) -> None: ...


#: Prefix of files being received: they are not evidence until their appeal is filed.
SPOOL_PREFIX = ".upload-"


class UploadSpool:
    """Uploads held aside until their appeal is filed, then moved into place; otherwise deleted.

    A file written before the appeal passed its checks would let anyone fill the disk with
    appeals that are refused (rate-limited, invalid): nothing lands under its digest until
    :meth:`keep`, which the filing calls once the appeal is accepted. Used as a context manager,
    whatever was not kept is deleted on exit. Spooled files live in the upload folder itself (a
    rename into place is atomic), under a dot name that ``erase_unneeded`` clears if a worker died.
    """

    def __init__(self, folder: Path, *, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self._pending: list[tuple[str, str]] = []

    def __enter__(self) -> UploadSpool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.discard()

    def add(self, stream: BinaryIO, *, pointer: str, declared: str | None = None) -> StoredFile:
        """Receive ``stream`` (at most ``max_bytes``, matching ``declared`` if given) into the spool."""
        self.folder.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, temp_name = tempfile.mkstemp(dir=self.folder, prefix=SPOOL_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FileTooLarge(f"{pointer}: files are at most {self.max_bytes} bytes.")
                    digest.update(chunk)
                    out.write(chunk)
            _check(pointer, size, digest.hexdigest(), declared)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        self._pending.append((temp_name, digest.hexdigest()))
        return StoredFile(digest.hexdigest(), size)

    def add_upload(self, upload: Upload, *, pointer: str, declared: str | None = None) -> StoredFile:
        """Spool an uploaded file, then close it: large uploads are spooled to disk by the form parser."""
        try:
            return self.add(upload.stream, pointer=pointer, declared=declared)
        finally:
            upload.close()

    def keep(self) -> None:
        """The appeal was accepted: move every spooled file to ``folder/<sha256>``."""
        while self._pending:
            temp_name, sha256 = self._pending.pop()
            os.replace(temp_name, self.folder / sha256)

    def discard(self) -> None:
        while self._pending:
            Path(self._pending.pop()[0]).unlink(missing_ok=True)


def _check(pointer: str, size: int, sha256: str, declared: str | None) -> None:
    if size == 0:
        raise ValidationFailed(
            "An uploaded file is empty.", errors=[field_error(pointer, "The file is empty.", code="file.empty")]
        )
    if declared and declared != sha256:
        raise ValidationFailed(
            "An uploaded file does not match its declared SHA-256.",
            errors=[
                field_error(
                    pointer, f"The file's SHA-256 is {sha256}, not the one declared.", code="file.digest_mismatch"
                )
            ],
        )


def erase_unneeded(folder: Path, still_needed: set[str], *, older_than_seconds: float = 3600) -> int:
    """Delete stored files no open appeal refers to (decided, or never filed); returns how many.

    An ID video is personal data: it is kept while a reviewer may need it and erased once the
    appeal closes, like the contact address. Files younger than ``older_than_seconds`` are
    spared: their appeal may be being filed right now.
    """
    if not folder.is_dir():
        return 0
    erased, cutoff = 0, time.time() - older_than_seconds
    for path in folder.iterdir():
        stale_spool = path.name.startswith(SPOOL_PREFIX)  # left by a worker that died mid-request
        if (path.name.startswith(".") and not stale_spool) or path.name in still_needed:
            continue
        if path.stat().st_mtime > cutoff:
            continue
        path.unlink(missing_ok=True)
        erased += 1
    return erased
