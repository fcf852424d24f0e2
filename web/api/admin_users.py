"""Admin Users (admins and super admins), and the user search any signed-in person may use."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import User
from orchestrator import admin_users, users
from web.context import actor, db
from web.responses import created, iso, no_content, ok
from web.schemas.admin_users import AdminUserCreate, AdminUserUpdate, UserListQuery, UserSearchQuery
from web.schemas.common import IdPath

bp = APIBlueprint("admin_users", __name__, url_prefix="/api", abp_tags=[Tag(name="Admin Users")],
                  abp_security=[{"bearer": []}])


def admin_user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.display_name,
        "role": user.role,
        "authProvider": user.auth_provider,
        "avatarUrl": user.avatar_url,
        "isSuperAdmin": user.role == "super_admin",
        "mustChangePassword": user.must_change_password,
        "lastLoginAt": iso(user.last_login_at),
        "createdAt": iso(user.created_at),
    }


@bp.get("/admin/users")
def list_users(query: UserListQuery):  # type: ignore[no-untyped-def]
    found, total = admin_users.list_users(db(), actor(), query.search, query.offset, query.limit)
    return ok({"users": [admin_user_json(u) for u in found], "total": total})


@bp.post("/admin/users")
def create_user(body: AdminUserCreate):  # type: ignore[no-untyped-def]
    user, password = admin_users.create_user(db(), actor(), body.email, body.name, body.role)
    return created({"user": admin_user_json(user), "generatedPassword": password})


@bp.patch("/admin/users/<id>")
def update_user(path: IdPath, body: AdminUserUpdate):  # type: ignore[no-untyped-def]
    return ok(admin_user_json(admin_users.update_user(db(), actor(), path.id, body.changes())))


@bp.delete("/admin/users/<id>")
def delete_user(path: IdPath):  # type: ignore[no-untyped-def]
    admin_users.delete_user(db(), actor(), path.id)
    return no_content()


@bp.get("/admin/users/<id>/check-delete")
def check_delete(path: IdPath):  # type: ignore[no-untyped-def]
    return ok(admin_users.deletion_impact(db(), actor(), path.id))


@bp.post("/admin/users/<id>/reset-password")
def reset_password(path: IdPath):  # type: ignore[no-untyped-def]
    return ok({"generatedPassword": admin_users.reset_password(db(), actor(), path.id)})


@bp.get("/users/search")
def search_users(query: UserSearchQuery):  # type: ignore[no-untyped-def]
    return ok([{"id": u.id, "email": u.email, "displayName": u.display_name}
               for u in users.search_users(db(), query.q)])

