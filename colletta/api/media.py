"""Media: upload as a raw body (streamed to disk), download with ranges."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Header, Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from colletta.actions import media
from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.api import models
from colletta.api.deps import JSON, CallerDep, ChatId, Ctx, MediaId

router = APIRouter(prefix="/api/v1/chats/{chat_id}/media", tags=["media"])
UPLOAD_PATH = re.compile(r"/api/v1/chats/[0-9]+/media/?")
_RANGE = re.compile(r"bytes=([0-9]{0,19})-([0-9]{0,19})")
_BINARY_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "",
    status_code=201,
    response_model=models.Media,
    responses=models.PROBLEM_RESPONSES,
    openapi_extra=_BINARY_BODY,
)
async def upload(
    chat_id: ChatId,
    request: Request,
    ctx: Ctx,
    caller: CallerDep,
    content_disposition: str | None = Header(
        None,
        max_length=2048,
        description="`attachment; filename*=UTF-8''<name>`: the name shown to recipients.",
    ),
) -> Response:
    """The request body is the file. Its type is read from its bytes; images are re-encoded
    without EXIF or GPS. Attach the returned id to a message within a day.

    The file name travels in a header, not in the URL, so that access logs never hold it.
    Refused with 413 `media_too_large` (bytes, or pixels read from the image header) or
    `quota_exceeded`, 429 `rate_limited` and 507 `insufficient_storage` (with Retry-After)."""
    filename = _filename(content_disposition)
    view = await media.do_upload_media(ctx, caller, chat_id, request.stream(), filename)
    return JSON(view, status_code=201)


def _filename(content_disposition: str | None) -> str | None:
    if not content_disposition:
        return None
    parsed = EmailMessage()
    parsed["content-disposition"] = content_disposition
    return parsed.get_filename()


@router.get(
    "/{media_id}",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        206: {"description": "The requested byte range"},
        **models.PROBLEM_RESPONSES,
    },
)
async def download(
    chat_id: ChatId, media_id: MediaId, request: Request, ctx: Ctx, caller: CallerDep
) -> Response:
    """The file, with `Range` support. Images are shown inline, other files as attachments.
    View-once media opens once per recipient and is then gone."""
    file = await media.access_media_file(ctx, caller, chat_id, media_id, thumbnail=False)
    return await serve_media_file(ctx, caller, request, file)


@router.get(
    "/{media_id}/thumbnail",
    response_class=StreamingResponse,
    responses={200: {"content": {"image/webp": {}}}, **models.PROBLEM_RESPONSES},
)
async def thumbnail(
    chat_id: ChatId, media_id: MediaId, request: Request, ctx: Ctx, caller: CallerDep
) -> Response:
    file = await media.access_media_file(ctx, caller, chat_id, media_id, thumbnail=True)
    return await serve_media_file(ctx, caller, request, file)


async def serve_media_file(
    ctx: Context, caller: Caller, request: Request, file: media.MediaFile
) -> Response:
    """The file's bytes (a `Range` of them), shown inline if an image; a view-once file once."""
    start, end = 0, None
    status = 200
    parsed = None if file.view_once else _parse_range(request.headers.get("range"), file.size_bytes)
    if parsed is not None:
        start, end = parsed
        status = 206
    chunks = await media.read_media(ctx, file, start, end)  # range errors raise here (416)
    last = file.size_bytes - 1 if end is None else min(end, file.size_bytes - 1)
    headers = {
        # A view-once file is served whole, once: no ranges to resume from.
        "Accept-Ranges": "none" if file.view_once else "bytes",
        "Content-Length": str(max(0, last - start + 1)),
        "Content-Disposition": _disposition(file),
    }
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{last}/{file.size_bytes}"
    if file.view_once:
        await media.do_open_view_once(ctx, caller, file)
        return _ViewOnceResponse(ctx, file, chunks, media_type=file.mime, headers=headers)
    return StreamingResponse(chunks, status_code=status, media_type=file.mime, headers=headers)


class _ViewOnceResponse(StreamingResponse):
    """Purges the view-once message once the download ends, however it ends: a background
    task would not run when the client drops the connection mid-file."""

    def __init__(self, ctx: Context, file: media.MediaFile, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ctx, self._file = ctx, file

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await media.do_finish_view_once(self._ctx, self._file)


def _parse_range(header: str | None, size_bytes: int) -> tuple[int, int | None] | None:
    """One `bytes=` range as (start, end inclusive); None for no or an unusable header, which
    serves the whole file (RFC 9110 lets a server ignore Range)."""
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None or (not match[1] and not match[2]):
        return None
    if not match[1]:  # the last N bytes
        suffix = int(match[2])
        return (max(0, size_bytes - suffix), None) if suffix else (size_bytes, None)
    start = int(match[1])
    end = int(match[2]) if match[2] else None
    return start, end


def _disposition(file: media.MediaFile) -> str:
    kind = "inline" if file.media.kind == "image" else "attachment"
    return f"{kind}; filename*=UTF-8''{quote(file.media.filename, safe='')}"
