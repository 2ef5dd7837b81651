"""Evidence files an appellant uploads: size-capped, stored under their SHA-256, checked.

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
from typing import BinaryIO

from ..errors import FederationError, ValidationFailed, field_error

CHUNK = 64 * 1024


class FileTooLarge(FederationError):
    status, code = 413, "file_too_large"


@dataclass(frozen=True, slots=True)
class StoredFile:
    sha256: str
    size: int


def store_upload(stream: BinaryIO, folder: Path, *, max_bytes: int, pointer: str, declared: str | None) -> StoredFile:
    """Copy ``stream`` into ``folder/<sha256>`` (atomically), refusing it above ``max_bytes``."""
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FileTooLarge(f"{pointer}: files are at most {max_bytes} bytes.")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationFailed(
                "An uploaded file is empty.", errors=[field_error(pointer, "The file is empty.", code="file.empty")]
            )
        sha256 = digest.hexdigest()
        if declared and declared != sha256:
            raise ValidationFailed(
                "An uploaded file does not match its declared SHA-256.",
                errors=[
                    field_error(
                        pointer, f"The file's SHA-256 is {sha256}, not the one declared.", code="file.digest_mismatch"
                    )
                ],
            )
        os.replace(temp_name, folder / sha256)
        return StoredFile(sha256, size)
    finally:
        Path(temp_name).unlink(missing_ok=True)


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
        if path.name.startswith(".") or path.name in still_needed or path.stat().st_mtime > cutoff:
            continue
        path.unlink(missing_ok=True)
        erased += 1
    return erased
