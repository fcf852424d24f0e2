"""Seed 004's assistant routes. The two that ask a model end the request's transaction first, so
the model call never holds the database write lock, and write what it produced in a new one."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator.team import agents
from orchestrator.team import assistant as team_assistant
from orchestrator.team.tasks import SHOWN_FOR
from orchestrator.team.workspaces import Team
from web.context import db, runtime
from web.schemas.team_more import Sprint0Body, SuggestAgentsBody, TranslateBody
from web.v1.context import bare, team

bp = APIBlueprint("v1_assistant", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="Agent team: assistant")],
                  abp_security=[{"bearer": []}])


def _model(current: Team) -> team_assistant.AssistantModel:
    providers = runtime().settings.providers
    env_keys = {"anthropic": providers.anthropic_api_key, "openai": providers.openai_api_key}
    model = team_assistant.assistant_model(db(), runtime().keyring, env_keys, current)
    db().commit()  # nothing written yet: end the transaction before the model call
    return model


@bp.get("/assistant/templates")
def templates():  # type: ignore[no-untyped-def]
    team()
    return bare(team_assistant.templates())


@bp.post("/assistant/suggest-agents")
def suggest_agents(body: SuggestAgentsBody):  # type: ignore[no-untyped-def]
    team()
    return bare(team_assistant.suggest_agents(body.project_type))


@bp.post("/assistant/translate-task")
def translate_task(body: TranslateBody):  # type: ignore[no-untyped-def]
    current = team()
    names = [a.name for a in agents.list_agents(db(), current)]
    prompt = team_assistant.translate_prompt(body.instruction, names)
    answer = team_assistant.ask_json(_model(current), team_assistant.TRANSLATE_SYSTEM, prompt)
    return bare({"task": team_assistant.task_from_answer(answer, names)})


@bp.post("/assistant/generate-sprint0")
def generate_sprint0(body: Sprint0Body):  # type: ignore[no-untyped-def]
    current = team()
    names = body.selected_agents or [a.name for a in agents.list_agents(db(), current)] or ["manager", "builder"]
    prompt = team_assistant.sprint0_prompt(body.project_name or current.project.name, names, body.template_key,
                                           body.language or "en")
    answer = team_assistant.ask_json(_model(current), team_assistant.SPRINT0_SYSTEM, prompt)
    made = team_assistant.create_sprint0_tasks(db(), team(), answer, names)
    return bare({"tasks": [{"id": c.id, "title": c.title, "description": c.prompt, "owner": c.assigned_agent_id,
                            "priority": SHOWN_FOR[c.priority]} for c in made], "agents": names}, 201)
