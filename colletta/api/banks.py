"""Hash banks (`/api/v1/banks`): the operator creates, enables and disables banks, adds
entries and imports hash lists; moderators read them; anyone else gets 404."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from colletta.actions import banks
from colletta.api import models
from colletta.api.deps import JSON, CallerDep, Ctx, IdPath, IdQuery
from colletta.domain.banks import BANK_DESCRIPTION_MAX_CHARS, ENTRIES_PAGE_MAX
from colletta.errors import InvalidInput

router = APIRouter(prefix="/api/v1", tags=["banks"], responses=models.PROBLEM_RESPONSES)
BankId = IdPath
EntryId = IdPath
SignalTypeName = Literal["pdq", "md5", "sha256"]


class BankIn(models.Body):
    name: str = Field(min_length=1, max_length=64, description="a-z, 0-9, '_', '-', '.'")
    description: str = Field("", max_length=BANK_DESCRIPTION_MAX_CHARS)


class EntryIn(models.Body):
    signal_type: SignalTypeName
    value: str = Field(min_length=32, max_length=64, description="Lower- or upper-case hex.")


class Bank(BaseModel):
    id: models.IdOut
    name: str
    description: str
    enabled: bool
    created_at_ms: int
    entries: dict[str, int] = Field(
        description="Live entries by signal type; `inactive`: disabled or tombstoned."
    )


class Banks(BaseModel):
    banks: list[Bank]
    version: int = Field(description="Bumped by every change to any bank.")


class Entry(BaseModel):
    id: models.IdOut
    bank_id: models.IdOut
    signal_type: SignalTypeName
    value: str
    external_ref: str | None = Field(description="The id its list gave it (TCAP's).")
    enabled: bool
    tombstoned: bool
    added_at_ms: int


class Entries(BaseModel):
    entries: list[Entry]
    next_after: models.IdOut | None


class Imported(BaseModel):
    bank: Bank
    source: str
    added: int = Field(description="Entries new to the bank, or live again.")
    tombstoned: int = Field(description="Entries the list marked deleted that stop matching.")
    unchanged: int
    skipped: int = Field(description="Entries of a type not matched here (SHA-512, TMK).")


_LIST_BODY = {
    "requestBody": {
        "required": True,
        "description": "The hash list: CSV (a header row naming `signal_type,value` and "
        "optionally `external_id,deleted`), or TCAP's JSON (a page of its hash list API, an "
        "array of its entries, or JSON lines).",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "string"}},
        },
    }
}


@router.get("/banks", response_model=Banks)
async def list_banks(ctx: Ctx, caller: CallerDep) -> Response:
    return JSON(await banks.access_banks(ctx, caller))


@router.post("/banks", response_model=Bank, status_code=201)
async def create_bank(body: BankIn, ctx: Ctx, caller: CallerDep) -> Response:
    view = await banks.do_create_bank(ctx, caller, body.name, body.description)
    return JSON(view, status_code=201)


@router.post("/banks/{bank_id}/enable", response_model=Bank)
async def enable_bank(bank_id: BankId, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON(await banks.do_set_bank_enabled(ctx, caller, bank_id, True))


@router.post("/banks/{bank_id}/disable", response_model=Bank)
async def disable_bank(bank_id: BankId, ctx: Ctx, caller: CallerDep) -> Response:
    """Its entries stop matching on every node within seconds; they are kept."""
    return JSON(await banks.do_set_bank_enabled(ctx, caller, bank_id, False))


@router.get("/banks/{bank_id}/entries", response_model=Entries)
async def list_entries(
    bank_id: BankId,
    ctx: Ctx,
    caller: CallerDep,
    after: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=ENTRIES_PAGE_MAX)] = 100,
) -> Response:
    return JSON(await banks.access_bank_entries(ctx, caller, bank_id, after, limit))


@router.post("/banks/{bank_id}/entries", response_model=Imported)
async def add_entry(bank_id: BankId, body: EntryIn, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON(await banks.do_add_entry(ctx, caller, bank_id, body.signal_type, body.value))


@router.post("/banks/{bank_id}/import", response_model=Imported, openapi_extra=_LIST_BODY)
async def import_list(
    bank_id: BankId,
    request: Request,
    ctx: Ctx,
    caller: CallerDep,
    format: Annotated[Literal["csv", "tcap"], Query()],
) -> Response:
    """Entries are added (or become live again) and the list's tombstones applied, in one
    change. Bodies are limited to `max_body_bytes`: the SDK sends a long list in parts."""
    banks.check_bank_keeper(caller)  # before reading a body meant for the operator
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the list is not UTF-8 text", field="file") from None
    return JSON(await banks.do_import_list(ctx, caller, bank_id, format, text))


@router.post("/bank-entries/{entry_id}/disable", response_model=Entry)
async def disable_entry(entry_id: EntryId, ctx: Ctx, caller: CallerDep) -> Response:
    """One entry stops matching (a false positive); its bank goes on."""
    return JSON(await banks.do_set_entry_enabled(ctx, caller, entry_id, False))


@router.post("/bank-entries/{entry_id}/enable", response_model=Entry)
async def enable_entry(entry_id: EntryId, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON(await banks.do_set_entry_enabled(ctx, caller, entry_id, True))
