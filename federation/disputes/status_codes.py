"""Appeal status codes: shown once, handed back to a retried filing, replaced for whoever lost one.

Only a code's SHA-256 is stored. A filing that carries an ``Idempotency-Key`` (the page sends a
hidden nonce) gets a code *derived* from the server's pepper, the filing's idempotency tag and a
generation number, so every retry of that filing, even eight racing at once, answers the same
working code without the code being kept anywhere. A filing without a key gets a random code.

The idempotency tag is ``HMAC(pepper, key + digest of the appeal's content)``, not of the key
alone nor of the key and client address: a stranger who guesses or sees a key learns nothing
unless they also send the very same identifiers, statement, contact and evidence, and a person
whose retry comes from another network (a phone moving from Wi-Fi to 4G) still finds the appeal.

A person who lost the code asks for a new one with the contact address they gave
(:func:`request_new_code`). Only if it matches the stored (encrypted) contact is the generation
bumped, so the old code stops working, and the new one returned as a message for the notifier.
A retried filing after that answers the new code: it is the one that works.
The answer and the work are the same whether or not the appeal exists or the contact matches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..errors import TooManyRequests
from ..events.service import record
from ..identifiers.secrets import IdentifierSecrets
from ..locks import hold
from ..notify import Message
from .contact import ContactBox
from .models import Appeal, AppealCodeRequest


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def idempotency_tag(
    identifier_secrets: IdentifierSecrets, key: str, identifier_tags: list[str], said: dict[str, Any]
) -> str:
    """The filing's idempotency tag: the client's key bound to everything the appeal says
    (``said``: statement, contact, language, evidence), whatever order its lists came in."""
    content = {
        **said,
        "identifiers": sorted(identifier_tags),
        "evidence": sorted(e["sha256"] for e in said["evidence"]),
    }
    document = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return identifier_secrets.keyed_tag("appeal-idempotency", f"{key}\0{hashlib.sha256(document.encode()).hexdigest()}")


def issue(appeal: Appeal, identifier_secrets: IdentifierSecrets) -> str:
    """A code for the appeal's current generation; its hash replaces the stored one."""
    token = current(appeal, identifier_secrets) if appeal.idempotency_tag else secrets.token_urlsafe(24)
    appeal.token_hash = token_hash(token)
    return token


def current(appeal: Appeal, identifier_secrets: IdentifierSecrets) -> str:
    """The working code of an appeal filed with an idempotency key, derived again for a retry."""
    if appeal.idempotency_tag is None:
        raise ValueError("only appeals filed with an idempotency key have a derivable code")
    generation = appeal.token_generation or 0
    digest = identifier_secrets.keyed_tag(f"appeal-status\0{generation}", appeal.idempotency_tag)
    return base64.urlsafe_b64encode(bytes.fromhex(digest)[:24]).decode("ascii")


@dataclass(frozen=True, slots=True)
class CodeRequestLimits:
    per_address_hourly: int = 5
    per_appeal_daily: int = 3

    @classmethod
    def from_config(cls, config: Any) -> CodeRequestLimits:
        return cls(
            int(config["APPEAL_CODE_REQUESTS_PER_ADDRESS_HOURLY"]), int(config["APPEAL_CODE_REQUESTS_PER_APPEAL_DAILY"])
        )


def _comparable(contact: str) -> str:
    return " ".join(contact.split()).casefold()


def request_new_code(
    session: Session,
    *,
    ref: str,
    contact: str,
    client_address: str,
    status_url: str,
    now: datetime,
    identifier_secrets: IdentifierSecrets,
    contact_box: ContactBox,
    limits: CodeRequestLimits,
) -> Message | None:
    """A new status code for the appeal's contact, if ``contact`` is that contact; else nothing, silently.

    Rate-limited per client address and per appeal number whether or not the number exists, so
    the limit says nothing either. Decided appeals have no contact left (erased once told): they
    get nothing, and their old code still shows the decision.
    """
    ref = ref[:32]
    client_tag = identifier_secrets.keyed_tag("client", client_address)
    hold(session, f"appeal-code-client:{client_tag}", f"appeal-code-ref:{ref}")  # count and insert as one step
    session.execute(delete(AppealCodeRequest).where(AppealCodeRequest.created_at < now - timedelta(days=1)))
    by_client = session.scalar(
        select(func.count())
        .select_from(AppealCodeRequest)
        .where(AppealCodeRequest.client_tag == client_tag, AppealCodeRequest.created_at > now - timedelta(hours=1))
    )
    if by_client >= limits.per_address_hourly:
        raise TooManyRequests("Too many requests from this address; try again later.", headers={"Retry-After": "3600"})
    by_ref = session.scalar(
        select(func.count())
        .select_from(AppealCodeRequest)
        .where(
            AppealCodeRequest.ref == ref,
            AppealCodeRequest.client_tag == client_tag,  # a stranger cannot use up the person's requests
            AppealCodeRequest.created_at > now - timedelta(days=1),
        )
    )
    if by_ref >= limits.per_appeal_daily:
        raise TooManyRequests("Too many requests for this appeal today.", headers={"Retry-After": "86400"})
    session.add(AppealCodeRequest(ref=ref, client_tag=client_tag, created_at=now))
    appeal = session.scalar(select(Appeal).where(Appeal.ref == ref).with_for_update())  # one new code at a time
    sealed = appeal.contact_encrypted if appeal is not None else None
    stored = contact_box.open(sealed or contact_box.seal("\0"))  # the same decryption either way
    matches = hmac.compare_digest(_comparable(stored).encode(), _comparable(contact).encode())
    session.flush()
    if appeal is None or sealed is None or not matches:
        return None
    appeal.token_generation = (appeal.token_generation or 0) + 1
    token = issue(appeal, identifier_secrets)
    record(session, "appeal:code_reissued", f"appeal:{appeal.ref}", actor="public", now=now, payload={"ref": ref})
    session.flush()
    words = MESSAGE[appeal.language if appeal.language in MESSAGE else "en"]
    body = words["body"].format(ref=appeal.ref, token=token, url=f"{status_url}?lang={appeal.language}")
    return Message(to=stored, subject=words["subject"], body=body, language=appeal.language)


MESSAGE = {
    "zh-CN": {
        "subject": "您的申诉查询码",
        "body": "您好：\n\n有人（应是您本人）为以下申诉申请了新的查询码。\n\n申诉编号：{ref}\n新查询码：{token}\n\n"
        "此前的查询码已失效。请在 {url} 用申诉编号和新查询码查看进度与决定。\n"
        "如果不是您本人申请，您的申诉不受影响，请使用上面的新查询码。\n",
    },
    "en": {
        "subject": "Your appeal status code",
        "body": "Hello,\n\nSomeone (you, we hope) asked for a new status code for this appeal.\n\n"
        "Appeal number: {ref}\nNew status code: {token}\n\n"
        "The previous code no longer works. Check the progress and decision at {url} with the appeal "
        "number and the new code.\nIf you did not ask for it, your appeal is not affected: use the new code above.\n",
    },
}
