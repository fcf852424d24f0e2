from __future__ import annotations

from pydantic import BaseModel

from web.schemas.common import Ident


class BackupPath(BaseModel):
    filename: Ident
