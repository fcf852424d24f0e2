from __future__ import annotations

from flask_openapi3 import FileStorage
from pydantic import BaseModel, ConfigDict

from web.schemas.common import Ident


class UploadForm(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    file: FileStorage


class AttachmentPath(BaseModel):
    attachmentId: Ident
