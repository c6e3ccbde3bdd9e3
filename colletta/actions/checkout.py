"""The sandbox's checkout page: the payer sees a payment and confirms or declines it."""

from __future__ import annotations

from colletta.actions.context import Context
from colletta.errors import NotFound
from colletta.payments.sandbox import NAME, Checkout, Decision, SandboxProvider


def _sandbox(ctx: Context) -> SandboxProvider:
    provider = ctx.providers.get(NAME)
    if not isinstance(provider, SandboxProvider):  # a server taking real money
        raise NotFound("no such payment")
    return provider


def access_sandbox_checkout(ctx: Context, token: str) -> Checkout:
    """The payment behind a checkout token; NotFound if tampered with, Gone if expired."""
    return _sandbox(ctx).open_checkout(token)


def do_decide_sandbox_checkout(ctx: Context, token: str, *, confirm: bool) -> Decision:
    """The payer's answer; the provider's webhook follows later, as from a real one."""
    return _sandbox(ctx).decide(token, confirm=confirm)
