"""Every concern's models, imported in one place.

Alembic's autogenerate and the model/migration drift test need the whole
schema on the metadata, whatever the app happened to import so far.
"""

from .alerts.models import Alert
from .database import Base
from .disputes.models import Appeal, AppealCodeRequest, AppealIdentifier, Dispute
from .entries.models import Entry, EntryHold, EntryIdentifier, Evidence, ReinsertionGuard, ReinsertionGuardHash
from .events.feed import Change, ChangeCounter
from .events.models import Event
from .lookups.models import LookupRecord, RuleDocument
from .members.models import Member, MemberKey, SpentAssertion
from .protective.models import ProtectiveRegistration, ProtectiveRegistrationHash
from .warninglists.models import Warninglist, WarninglistHash
from .webhooks.models import Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "Alert",
    "Appeal",
    "AppealCodeRequest",
    "AppealIdentifier",
    "Base",
    "Change",
    "ChangeCounter",
    "Dispute",
    "Entry",
    "EntryHold",
    "EntryIdentifier",
    "Event",
    "Evidence",
    "LookupRecord",
    "ReinsertionGuard",
    "ReinsertionGuardHash",
    "RuleDocument",
    "Member",
    "MemberKey",
    "ProtectiveRegistration",
    "ProtectiveRegistrationHash",
    "SpentAssertion",
    "Warninglist",
    "WarninglistHash",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
]
