"""Due-process settings, read from configuration once per app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .appeals import AppealLimits
from .contact import ContactBox, load_contact_box
from .evidence_files import UploadSpool
from .service import Deadlines
from .status_codes import CodeRequestLimits


@dataclass(frozen=True, slots=True)
class DueProcess:
    deadlines: Deadlines
    limits: AppealLimits
    code_limits: CodeRequestLimits
    contact_box: ContactBox
    upload_dir: Path
    upload_max_bytes: int
    #: Days after its decision that an appeal keeps the person's statement, hashes and address tag.
    appeal_retention_days: int = 365

    @classmethod
    def from_config(cls, config: Any, instance_path: str) -> DueProcess:
        return cls(
            deadlines=Deadlines.from_config(config),
            limits=AppealLimits.from_config(config),
            code_limits=CodeRequestLimits.from_config(config),
            contact_box=load_contact_box(config.get("CONTACT_KEY"), instance_path),
            upload_dir=Path(config.get("APPEAL_UPLOAD_DIR") or Path(instance_path) / "appeal-files"),
            upload_max_bytes=int(config["APPEAL_UPLOAD_MAX_BYTES"]),
            appeal_retention_days=int(config["APPEAL_RETENTION_DAYS"]),
        )

    def __post_init__(self) -> None:
        if self.appeal_retention_days < self.limits.repeat_days:  # the repeat rule reads what is erased
            raise ValueError("FEDERATION_APPEAL_RETENTION_DAYS must be at least FEDERATION_APPEAL_REPEAT_DAYS")

    def spool(self) -> UploadSpool:
        """Where a request's uploads wait until its appeal is filed (``evidence_files.UploadSpool``)."""
        return UploadSpool(self.upload_dir, max_bytes=self.upload_max_bytes)
