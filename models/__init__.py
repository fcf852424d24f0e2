"""Persistence only: typed tables, the engine and session factories, the event outbox."""

from models.agents import (
    ACTIVE_SESSION_STATUSES,
    ENDED_SESSION_STATUSES,
    AgentMessage,
    AgentSession,
    PreSession,
    Script,
    ScriptRun,
    Turn,
)
from models.base import Base, iso, new_id, utcnow
from models.boards import (
    Board,
    BoardTemplate,
    CardType,
    Column,
    ColumnTransition,
    CustomField,
    Project,
)
from models.cards import PRIORITY_NAMES, Attachment, Card, CardHistory, Comment, Todo
from models.db import make_engine, make_session_factory
from models.events import Event, Webhook, WebhookDelivery, publish
from models.identity import (
    ApiKey,
    Credential,
    Organization,
    OrgMember,
    ProjectInvitation,
    ProjectMember,
    User,
)
from models.settings import Setting

__all__ = [
    "ACTIVE_SESSION_STATUSES",
    "ENDED_SESSION_STATUSES",
    "PRIORITY_NAMES",
    "AgentMessage",
    "AgentSession",
    "ApiKey",
    "Attachment",
    "Base",
    "Board",
    "BoardTemplate",
    "Card",
    "CardHistory",
    "CardType",
    "Column",
    "ColumnTransition",
    "Comment",
    "Credential",
    "CustomField",
    "Event",
    "OrgMember",
    "Organization",
    "PreSession",
    "Project",
    "ProjectInvitation",
    "ProjectMember",
    "Script",
    "ScriptRun",
    "Setting",
    "Todo",
    "Turn",
    "User",
    "Webhook",
    "WebhookDelivery",
    "iso",
    "make_engine",
    "make_session_factory",
    "new_id",
    "publish",
    "utcnow",
]
