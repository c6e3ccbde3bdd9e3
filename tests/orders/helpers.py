"""What the removal-order tests share: the operator, a group with an image post, an order."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from colletta.actions.context import Context
from tests.conftest import Person
from tests.pots.worker_helpers import operator
from tests.test_expiry import post
from tests.test_media import send_with, upload

__all__ = ["Scene", "jpeg", "operator", "order_body", "stored_files"]


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (seed % 256, 90, 30)).save(out, "JPEG")
    return out.getvalue()


def stored_files(root: Path) -> set[str]:
    return {p.name for p in root.rglob("*") if p.is_file() and p.parent.name != "tmp"}


def order_body(*items: str, **extra: Any) -> dict[str, Any]:
    return {
        "authority": "Polizia Postale, Roma",
        "reference": f"TCO/{os.urandom(3).hex()}",
        "reasons": "Terrorist content: glorification of an attack (Art. 2(7)(a)).",
        "items": list(items),
        "received_at_ms": extra.pop("received_at_ms", 0),
        **extra,
    }


@dataclass
class Scene:
    """A group of an uploader and a reader: an image post to remove and a post to keep."""

    chat_id: str
    bad: dict[str, Any]  # the message carrying the image
    media_id: str
    kept: dict[str, Any]


async def image_post(uploader: Person, chat_id: str, seed: int = 1) -> tuple[dict[str, Any], str]:
    media = (await upload(uploader, chat_id, jpeg(seed), "flag.jpg")).json()
    message = (await send_with(uploader, chat_id, [media["id"]], text="caption")).json()
    return message, media["id"]


async def scene(uploader: Person, chat_id: str) -> Scene:
    bad, media_id = await image_post(uploader, chat_id)
    kept = await post(uploader, chat_id, "an ordinary message")
    return Scene(chat_id, bad, media_id, kept)


async def operator_of(http: httpx.AsyncClient, ctx: Context) -> Person:
    return await operator(http, ctx)
