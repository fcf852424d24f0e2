"""Running team tasks here: only tasks owned by a `byok` agent start sessions (with that agent's
engine, model, credential and system prompt); a finished session sends its task to review."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import AgentSession, Board, Card, Column, Project, TeamAgent, TeamAuditLog
from orchestrator.access import Actor

# Seed 004's engine names → Switchyard's engines (DESIGN.md "Engines for seed 004's names").
ENGINE_FOR_TEAM = {"claude-api": "anthropic", "gemini": "openai", "claude-code": "claude-code",
                   "codex": "codex", "custom": "command"}


def is_team_card(session: Session, card: Card) -> bool:
    board = session.get(Board, card.board_id)
    return board is not None and board.purpose == "team"


def runner_for(session: Session, card: Card) -> TeamAgent | None:
    """The `byok` agent that Switchyard runs this team task as, or None."""
    if not card.assigned_agent_id or not is_team_card(session, card):
        return None
    from orchestrator.team.agents import find_agent  # agents imports credentials, which imports us

    agent = find_agent(session, card.project_id, card.assigned_agent_id)
    return agent if agent is not None and agent.execution_mode == "byok" else None


def left_to_client(session: Session, card: Card) -> bool:
    """A team task not owned by a `byok` agent is its client's to run: no session starts here."""
    return is_team_card(session, card) and runner_for(session, card) is None


def session_engine(agent: TeamAgent) -> str:
    return ENGINE_FOR_TEAM.get(agent.engine, agent.engine)


def record_spawn(session: Session, agent: TeamAgent, agent_session: AgentSession) -> None:
    """The audit log names every session Switchyard starts for a team agent."""
    session.add(TeamAuditLog(project_id=agent.project_id, action="agent.spawned", actor=agent.name,
                             detail={"session_id": agent_session.id, "task_id": agent_session.card_id,
                                     "engine": agent_session.engine}))


def apply_outcome(session: Session, row: AgentSession, card: Card) -> bool:
    """A completed session on an in_progress team task: the task goes to review with a report
    from the session's summary and commits. True when the card was a team task."""
    if not is_team_card(session, card):
        return False
    column = session.get(Column, row.column_id) if row.column_id else None
    if column is None or column.key != "in_progress" or card.column_id != column.id:
        return True
    from orchestrator.team.review import submit_report
    from orchestrator.team.workspaces import Team

    project = session.get(Project, card.project_id)
    assert project is not None
    name = card.assigned_agent_id or "agent"
    commits = [row.head_commit[:12]] if row.head_commit and row.head_commit != row.base_commit else []
    team = Team(project, Actor(kind="agent", role="super_admin", name=name), name)
    submit_report(session, team, card, {"summary": row.summary or "Session completed.",
                                        "commits": ",".join(commits), "notes": f"session {row.id}"})
    return True
