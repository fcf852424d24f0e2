"""/api/keys (tb_ keys), /api/auth/logout, /api/site/status and the GitHub sign-in routes."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator.errors import NotFound, NotSupported
from orchestrator.team import keys, site
from web.context import actor, db
from web.guards import public
from web.schemas.v1 import IdPath, KeyCreate, WorkspaceIdPath
from web.v1.auth import team_grant
from web.v1.context import bare, keyring

bp = APIBlueprint("v1_keys", __name__, url_prefix="/api", abp_tags=[Tag(name="Agent team: keys and site")],
                  abp_security=[{"bearer": []}])
GITHUB = "GitHub is not configured on this Switchyard; connect repositories by their local path"


def _own_workspace(workspace_id: str) -> None:
    """A `tb_` key never reaches another workspace's keys."""
    grant = team_grant()
    if grant is not None and grant.project_id != workspace_id:
        raise NotFound.of("workspace", workspace_id)


@bp.post("/keys")
def create_key(body: KeyCreate):  # type: ignore[no-untyped-def]
    _own_workspace(body.workspace_id)
    return bare(keys.create_key(db(), keyring(), actor(), body.workspace_id, body.agent_name), 201)


@bp.get("/keys/<workspace_id>")
def list_keys(path: WorkspaceIdPath):  # type: ignore[no-untyped-def]
    _own_workspace(path.workspace_id)
    return bare(keys.list_keys(db(), actor(), path.workspace_id))


@bp.delete("/keys/<id>")
def revoke_key(path: IdPath):  # type: ignore[no-untyped-def]
    grant = team_grant()
    if grant is not None:
        _own_key(path.id, grant.project_id)
    return bare(keys.revoke_key(db(), actor(), path.id))


def _own_key(key_id: str, project_id: str) -> None:
    from models import ApiKey

    key = db().get(ApiKey, key_id)
    if key is None or key.project_id != project_id:
        raise NotFound.of("API key", key_id)


@bp.post("/auth/logout")
@public
def logout():  # type: ignore[no-untyped-def]
    grant = team_grant()
    if grant is not None:
        keys.revoke_own_key(db(), grant)
    return bare({"ok": True})


@bp.get("/site/status")
@public
def site_status():  # type: ignore[no-untyped-def]
    return bare(site.site_status(db()))


@bp.get("/auth/github")
@public
def github_login():  # type: ignore[no-untyped-def]
    raise NotSupported(GITHUB, code="github_not_configured")


@bp.get("/auth/github/callback")
@public
def github_callback():  # type: ignore[no-untyped-def]
    raise NotSupported(GITHUB, code="github_not_configured")


@bp.get("/auth/github/installed")
@public
def github_installed():  # type: ignore[no-untyped-def]
    raise NotSupported(GITHUB, code="github_not_configured")
