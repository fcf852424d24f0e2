"""The agents registry of seed 004 (H2's memories, progress and prompt routes live beside it)."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator.team import agents
from web.context import db
from web.schemas.v1 import AgentConfig, AgentCreate, AgentsQuery, AgentStatus, NamePath
from web.v1.context import bare, keyring, team

bp = APIBlueprint("v1_agents", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="Agent team: agents")],
                  abp_security=[{"bearer": []}])


@bp.get("/agents")
def list_agents(query: AgentsQuery):  # type: ignore[no-untyped-def]
    return bare([agents.agent_json(a) for a in agents.list_agents(db(), team(), query.all)])


@bp.post("/agents")
def create_agent(body: AgentCreate):  # type: ignore[no-untyped-def]
    return bare(agents.agent_json(agents.create_agent(db(), team(), body.model_dump(exclude_none=True))), 201)


@bp.put("/agents")
def report_status(body: AgentStatus):  # type: ignore[no-untyped-def]
    return bare(agents.agent_json(agents.report_status(db(), team(), body.model_dump(exclude_none=True))))


@bp.put("/agents/<name>/config")
def configure_agent(path: NamePath, body: AgentConfig):  # type: ignore[no-untyped-def]
    agent = agents.configure(db(), keyring(), team(), path.name, body.model_dump(exclude_unset=True))
    return bare(agents.agent_json(agent))


@bp.delete("/agents/<name>")
def delete_agent(path: NamePath):  # type: ignore[no-untyped-def]
    agents.delete_agent(db(), team(), path.name)
    return bare({"ok": True, "name": path.name})
