"""/api/ext/v1 boards and lanes (seed 000)."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator.ext import boards
from orchestrator.ext.shapes import board_json, lane_json
from web.context import db
from web.ext.auth import EXT_PREFIX, key_grant
from web.responses import created, no_content, ok
from web.schemas.ext import ExtBoardCreate, ExtBoardPath, ExtLaneCreate, ExtLanePath, ExtLaneUpdate

bp = APIBlueprint("ext_boards", __name__, url_prefix=EXT_PREFIX, abp_tags=[Tag(name="External API: boards")],
                  abp_security=[{"bearer": []}])


@bp.get("/boards")
def list_boards():  # type: ignore[no-untyped-def]
    return ok([{**board_json(board), "permission": permission}
               for board, permission in boards.list_boards(db(), key_grant())])


@bp.post("/boards")
def create_board(body: ExtBoardCreate):  # type: ignore[no-untyped-def]
    return created(board_json(boards.create_board(db(), key_grant(), body.name, body.projectId)))


@bp.get("/boards/<boardId>")
def get_board(path: ExtBoardPath):  # type: ignore[no-untyped-def]
    board, lanes = boards.board_lanes(db(), key_grant(), path.boardId)
    return ok({**board_json(board),
               "lanes": [{"id": lane.id, "name": lane.name, "type": lane.column_type, "taskCount": count}
                         for lane, count in lanes]})


@bp.delete("/boards/<boardId>")
def delete_board(path: ExtBoardPath):  # type: ignore[no-untyped-def]
    boards.delete_board(db(), key_grant(), path.boardId)
    return no_content()


@bp.get("/boards/<boardId>/lanes")
def list_lanes(path: ExtBoardPath):  # type: ignore[no-untyped-def]
    return ok([lane_json(lane) for lane in boards.list_lanes(db(), key_grant(), path.boardId)])


@bp.post("/boards/<boardId>/lanes")
def create_lane(path: ExtBoardPath, body: ExtLaneCreate):  # type: ignore[no-untyped-def]
    lane = boards.create_lane(db(), key_grant(), path.boardId, body.changes())
    return created({"id": lane.id, "name": lane.name})


@bp.patch("/boards/<boardId>/lanes/<laneId>")
def update_lane(path: ExtLanePath, body: ExtLaneUpdate):  # type: ignore[no-untyped-def]
    changes = body.changes()
    lane = boards.update_lane(db(), key_grant(), path.boardId, path.laneId, changes)
    shown = {"id": lane.id, "name": lane.name}
    if "position" in changes:
        shown["position"] = lane.position
    return ok(shown)


@bp.delete("/boards/<boardId>/lanes/<laneId>")
def delete_lane(path: ExtLanePath):  # type: ignore[no-untyped-def]
    boards.delete_lane(db(), key_grant(), path.boardId, path.laneId)
    return no_content()
