"""Running one session: claim, prepare (credential, worktree, prompt), run the agent, finish.
A session that cannot start (no credential, no worktree) fails with the DomainError's code.

Git work and the model loop happen outside database transactions, so a long step never holds
SQLite's write lock. Running a session twice is harmless: only the lease owner proceeds.
"""

from __future__ import annotations

import logging
import shlex
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from models import AgentSession, Card, Column, Project, publish, utcnow
from orchestrator import live
from orchestrator.agent_sessions import queue_session, set_status
from orchestrator.card_notes import AgentBoard
from orchestrator.chat_sessions import run_chat_session, session_kind
from orchestrator.credentials import ResolvedCredential, resolve_credential
from orchestrator.errors import DomainError
from orchestrator.notifications import notify
from orchestrator.pricing import cost_of
from orchestrator.prompts import compose_prompt
from orchestrator.runtime import Runtime
from orchestrator.team import execution as team_execution
from orchestrator.usage import usage_where
from workers import worktree
from workers.agent import Agent, Limits, Outcome, Pricer
from workers.commands import agent_environment
from workers.engines.api_clients import API_ENGINES, api_client
from workers.engines.base import Message, ModelClient, Usage, UserMessage, work_order
from workers.engines.claude_code import ClaudeCode
from workers.engines.cli import CLI_ENGINES, CliRun, EngineBase, run_cli
from workers.engines.codex import Codex
from workers.engines.command import COMMAND_ENGINES, CommandRun, run_command_agent
from workers.paths import slugify
from workers.recording import SessionRecorder, load_history
from workers.tools import Toolbox

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    session_id: str
    card_id: str
    credential: ResolvedCredential
    model: str | None
    worktree: Path
    base_branch: str
    commit_message: str
    system: str
    first_message: str | None
    history: list[Message]
    plan_mode: bool
    limits: Limits
    engine_session_id: str | None = None  # a CLI agent's own session, resumed by the next run
    command: tuple[str, str] | None = None  # a team `custom` agent's (name, command_template)


def run_session(runtime: Runtime, session_id: str, owner: str, cancel: threading.Event) -> None:
    """The whole life of one claimed session in this process."""
    if session_kind(runtime, session_id) != "card":  # a pre-session or the project assistant
        run_chat_session(runtime, session_id, owner, cancel)
        return
    try:
        prepared = prepare(runtime, session_id, owner)
    except DomainError as failure:  # the session cannot start: it fails, saying why
        finish(runtime, session_id, Outcome("failed", error_code=failure.code, error_message=failure.message))
        return
    if prepared is None:
        return
    recorder = SessionRecorder(runtime.sessions, session_id, prepared.credential.engine, owner,
                               runtime.settings.agents.lease_seconds, cancel, text_sink=live.text_sink(runtime))
    if prepared.first_message is not None:
        recorder.record_user(prepared.first_message)
        prepared.history.append(UserMessage(prepared.first_message))
    try:
        outcome = _run_engine(runtime, prepared, recorder, cancel)
    except Exception as exc:  # a bug must not leave the session running forever
        log.exception("session_id=%s crashed", session_id)
        outcome = Outcome("failed", error_code="internal_error", error_message=f"the session crashed: {exc}")
    finish(runtime, session_id, outcome, prepared)


def prepare(runtime: Runtime, session_id: str, owner: str) -> Prepared | None:
    settings = runtime.settings
    with runtime.transaction() as db:
        row = db.get(AgentSession, session_id)
        if row is None or row.status != "starting" or row.lease_owner != owner:
            return None
        card, column = db.get(Card, row.card_id), db.get(Column, row.column_id)
        project = db.get(Project, row.project_id)
        if card is None or column is None or project is None:
            raise DomainError("the card or its column was deleted", code="card_gone")
        env_keys = {"anthropic": settings.providers.anthropic_api_key, "openai": settings.providers.openai_api_key}
        credential = resolve_credential(db, runtime.keyring, env_keys, card, column, project)
        if credential.engine not in (*API_ENGINES, *CLI_ENGINES, *COMMAND_ENGINES):
            raise DomainError(f"the {credential.engine} engine is not available yet", code="engine_not_available")
        command = _agent_command(db, card) if credential.engine in COMMAND_ENGINES else None
        slug = f"{card.short_id}-{slugify(card.title)}"
        branch = card.branch or f"switchyard/{slug}"
        path = Path(card.worktree_path) if card.worktree_path else settings.data_dir / "worktrees" / project.id / slug
        repo_path, base_branch, include = project.path, project.base_branch, list(project.worktree_include)
        history = load_history(db, session_id)
        budget = _budget(db, card, column)
        deadline = time.monotonic() + column.timeout_seconds if column.timeout_seconds else None
        plan_mode, model = row.plan_mode, row.model or column.model or credential.model
        commit_message = f"{column.name}: {card.title}"
        engine_session_id = row.engine_session_id
    try:
        tree = worktree.ensure_worktree(repo_path, path, branch, base_branch, include)
    except worktree.WorktreeError as exc:
        raise DomainError(f"could not prepare the card's worktree: {exc}", code="worktree_error") from None
    with runtime.transaction() as db:
        row, card, column = db.get(AgentSession, session_id), db.get(Card, card.id), db.get(Column, column.id)
        card.branch, card.worktree_path = tree.branch, str(tree.path)
        row.branch, row.worktree_path, row.base_commit = tree.branch, str(tree.path), tree.base_commit
        row.engine, row.model, row.credential_id = credential.engine, model, credential.credential_id
        row.started_at, row.heartbeat_at = row.started_at or utcnow(), utcnow()
        prompt = compose_prompt(db, card, column, plan_mode=row.plan_mode)
        set_status(db, row, "running")
        publish(db, "session.started", row.project_id, {"sessionId": row.id, "cardId": row.card_id}, row.card_id)
    limits = Limits(max_turns=settings.agents.max_turns, budget_usd=budget, deadline=deadline,
                    max_retries=settings.agents.provider_retries, backoff_base=settings.agents.retry_base_seconds)
    return Prepared(session_id=session_id, card_id=card.id, credential=credential, model=model, worktree=tree.path,
                    base_branch=base_branch, commit_message=commit_message, system=prompt.system,
                    first_message=None if history else prompt.user, history=history, plan_mode=plan_mode,
                    limits=limits, engine_session_id=engine_session_id, command=command)


def finish(runtime: Runtime, session_id: str, outcome: Outcome, prepared: Prepared | None = None) -> None:
    """Commit the agent's work on the card's branch, then record how the session ended."""
    head, stats = None, None
    if prepared is not None:
        try:
            head = worktree.commit_all(prepared.worktree, prepared.commit_message)
            stats = worktree.diff(prepared.worktree, prepared.base_branch)["stats"]
        except Exception:  # the outcome matters more than the stats; the diff endpoint recomputes
            log.exception("session_id=%s: committing the worktree failed", session_id)
    with runtime.transaction() as db:
        row = db.get(AgentSession, session_id)
        if row is None:
            return
        row.summary = outcome.summary or row.summary
        row.plan = outcome.plan or row.plan
        row.error_code, row.error_message = outcome.error_code, outcome.error_message
        row.head_commit = head or row.head_commit
        row.diff_stats = stats or row.diff_stats
        row.cancel_requested = False
        set_status(db, row, outcome.status)
        _notify_outcome(db, row, outcome)
        if outcome.status == "awaiting_plan_approval":
            publish(db, "plan.submitted", row.project_id, {"sessionId": row.id, "cardId": row.card_id}, row.card_id)
            publish(db, "approval.waiting", row.project_id,
                    {"kind": "plan", "sessionId": row.id, "cardId": row.card_id}, row.card_id)
        else:
            _queue_for_new_column(db, row)
            publish(db, "session.ended", row.project_id,
                    {"sessionId": row.id, "cardId": row.card_id, "status": outcome.status,
                     "error": {"code": outcome.error_code, "message": outcome.error_message}
                     if outcome.error_code else None}, row.card_id)
    log.info("session_id=%s ended: %s %s", session_id, outcome.status, outcome.error_code or "")


NOTIFIED_OUTCOMES = {"completed": ("sessionCompleted", "the agent's session completed"),
                     "failed": ("sessionFailed", "the agent's session failed"),
                     "awaiting_plan_approval": ("planSubmitted", "the agent's plan is waiting for your approval")}


def _notify_outcome(db: Session, row: AgentSession, outcome: Outcome) -> None:
    card = db.get(Card, row.card_id) if row.card_id else None
    if card is None or outcome.status not in NOTIFIED_OUTCOMES:
        return
    kind, message = NOTIFIED_OUTCOMES[outcome.status]
    if outcome.error_message:
        message = f"{message}: {outcome.error_message}"
    notify(db, kind, card, message, sessionId=row.id)


def _queue_for_new_column(db: Session, row: AgentSession) -> None:
    """A card moved on while this session ran: now that it has stopped, the new stage starts."""
    card = db.get(Card, row.card_id) if row.card_id else None
    if card is not None and card.column_id != row.column_id:
        column = db.get(Column, card.column_id)
        if column is not None:
            queue_session(db, card, column)


def _budget(db: Session, card: Card, column: Column) -> float | None:
    """The tighter of the column's per-session budget and what remains of the card's."""
    limits = [column.budget_usd] if column.budget_usd else []
    if card.budget_usd:
        spent = usage_where(db, AgentSession.card_id == card.id)["costUsd"]
        limits.append(max(card.budget_usd - spent, 0.0))
    return min(limits) if limits else None


def _run_engine(runtime: Runtime, prepared: Prepared, recorder: SessionRecorder, cancel: threading.Event) -> Outcome:
    """The API engines run Switchyard's own tool loop; the CLI agents run theirs, as subprocesses."""
    def price(model: str, usage: Usage) -> tuple[float, bool]:
        return cost_of(model, usage, runtime.settings.pricing)

    if prepared.credential.engine in CLI_ENGINES:
        return run_cli(*_cli_run(runtime, prepared, recorder, price))
    if prepared.command is not None:
        return run_command_agent(_command_run(runtime, prepared), recorder)
    agent = Agent(model=_client(prepared), tools=_toolbox(runtime, prepared, cancel), recorder=recorder,
                  limits=prepared.limits, plan_mode=prepared.plan_mode, price=price)
    return agent.run(prepared.system, prepared.history)


def _cli_run(runtime: Runtime, prepared: Prepared, recorder: SessionRecorder,
             price: Pricer) -> tuple[CliRun, EngineBase]:
    """The CLI's home is the card's, outside its worktree, so a later run can resume the CLI's session."""
    agents, credential = runtime.settings.agents, prepared.credential
    claude = credential.engine == "claude-code"
    home = runtime.settings.data_dir / "cli-homes" / prepared.card_id
    run = CliRun(command=shlex.split(agents.claude_command if claude else agents.codex_command),
                 setting="agents.claude_command" if claude else "agents.codex_command",
                 worktree=prepared.worktree, home=home, api_key=credential.secret, base_url=credential.base_url,
                 model=prepared.model, system=prepared.system, history=prepared.history,
                 resume_id=prepared.engine_session_id, limits=prepared.limits)
    if claude:
        return run, ClaudeCode(recorder, price, prepared.plan_mode)
    return run, Codex(recorder, price, prepared.plan_mode, home, prepared.model)


def _agent_command(db: Session, card: Card) -> tuple[str, str]:
    """Only a team's `custom` agent has a command; a column cannot name one."""
    runner = team_execution.runner_for(db, card)
    if runner is None:
        raise DomainError("the command engine runs a team agent's command_template; "
                          "this card has no byok team agent", code="bad_config")
    if not runner.command_template:
        raise DomainError(f"agent {runner.name!r} has no command_template: a project owner or editor "
                          f"sets one with PUT /api/v1/agents/{runner.name}/config", code="bad_config")
    return runner.name, runner.command_template


def _command_run(runtime: Runtime, prepared: Prepared) -> CommandRun:
    assert prepared.command is not None
    credential, user = prepared.credential, work_order(prepared.history)
    return CommandRun(template=prepared.command[1], agent_name=prepared.command[0], worktree=prepared.worktree,
                      home=runtime.settings.data_dir / "cli-homes" / prepared.card_id, api_key=credential.secret,
                      base_url=credential.base_url, model=prepared.model, prompt=f"{prepared.system}\n\n{user}",
                      plan_mode=prepared.plan_mode, limits=prepared.limits,
                      max_output=runtime.settings.agents.max_command_output)


def _client(prepared: Prepared) -> ModelClient:
    credential = prepared.credential
    return api_client(credential.engine, credential.secret, prepared.model, credential.base_url)


def _toolbox(runtime: Runtime, prepared: Prepared, cancel: threading.Event) -> Toolbox:
    agents = runtime.settings.agents
    board = AgentBoard(runtime, prepared.card_id, prepared.session_id)
    return Toolbox(root=prepared.worktree, board=board, env=agent_environment(prepared.worktree),
                   command_timeout=agents.command_timeout, max_output=agents.max_command_output, cancel=cancel)

