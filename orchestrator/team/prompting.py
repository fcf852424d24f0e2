"""What a team task adds to its session's system prompt (orchestrator.prompts.compose_prompt calls
`agent_parts`): the owning agent's own instructions. Memories and decisions join here too."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import Card
from orchestrator.team.execution import is_team_card


def agent_parts(session: Session, card: Card) -> list[str]:
    """The owning agent's instructions, memories (its own and the shared ones) and the accepted
    decisions, as orchestrator.team.briefing assembles them for context and prompt-preview too."""
    if not card.assigned_agent_id or not is_team_card(session, card):
        return []
    from orchestrator.team.briefing import parts_for_agent

    return list(parts_for_agent(session, card.project_id, card.assigned_agent_id).values())
