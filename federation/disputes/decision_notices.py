"""Telling the person the decision: the message their contact address was kept for.

An appellant gives a contact so they can be told the outcome without having to come back and
check. When a reviewer (or the system, when every listing was withdrawn) decides an appeal, the
contact is kept until ``federation tick`` has handed the decision to the notifier, then erased
in the same transaction: at most one tick (a minute under ``make run``) after the decision.
The message carries the appeal number, the outcome and the reviewer's reason, in the appeal's
language, and the address of the status page; never what matched or who listed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..events.service import record
from ..notify import Message
from .contact import ContactBox
from .models import APPEAL_OPEN_STATES, Appeal


def due_notices(
    session: Session, *, contact_box: ContactBox, status_url: str, now: datetime, actor: str = "system:tick"
) -> list[Message]:
    """The decision messages not sent yet; their contacts are erased. Post them after the commit."""
    decided = session.scalars(
        select(Appeal)
        .where(Appeal.state.not_in(APPEAL_OPEN_STATES), Appeal.contact_encrypted.is_not(None))
        .order_by(Appeal.id)
    )
    messages = []
    for appeal in decided:
        contact = contact_box.open(appeal.contact_encrypted)
        appeal.contact_encrypted = None  # its purpose served
        words = MESSAGE[appeal.language if appeal.language in MESSAGE else "en"]
        body = words["body"].format(
            ref=appeal.ref,
            outcome=words[appeal.state],
            reason=appeal.decision_reason or "",
            url=f"{status_url}?lang={appeal.language}",
        )
        messages.append(Message(to=contact, subject=words["subject"], body=body, language=appeal.language))
        record(session, "appeal:notified", f"appeal:{appeal.ref}", actor=actor, now=now, payload={"ref": appeal.ref})
    session.flush()
    return messages


MESSAGE = {
    "zh-CN": {
        "subject": "您的申诉已有决定",
        "body": "您好：\n\n您的申诉（编号 {ref}）已有决定：{outcome}\n\n理由：{reason}\n\n"
        "您可以在 {url} 用申诉编号和查询码查看详情。您的联系方式在发出本通知后已删除。\n",
        "upheld": "申诉成立，相关记录已移出名单。",
        "rejected": "申诉未获支持，相关记录保留。",
        "closed_no_match": "名单中没有与您提供的信息相符的记录，申诉已结案。",
    },
    "en": {
        "subject": "A decision on your appeal",
        "body": "Hello,\n\nYour appeal (number {ref}) has been decided: {outcome}\n\nReason: {reason}\n\n"
        "You can read it at {url} with the appeal number and your status code. Your contact address was "
        "erased once this notice was sent.\n",
        "upheld": "the appeal succeeded and the listings were removed.",
        "rejected": "the appeal was not upheld and the listings remain.",
        "closed_no_match": "nothing on the list matched what you gave, and the appeal is closed.",
    },
}
