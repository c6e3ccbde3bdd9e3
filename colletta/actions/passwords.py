"""Password hashing with bounded memory and equal work for known and unknown usernames.

Each argon2id hash holds `argon2_memory_kib` (64 MiB by default) while it runs: twenty logins
at once took the server from 111 MB to 491 MB. Hashes therefore run a few at a time, on
threads of their own so they never queue behind file I/O in the default executor.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")


class Passwords:
    def __init__(self, hasher: PasswordHasher, max_concurrent: int) -> None:
        self.hasher = hasher
        # The semaphore keeps waiting logins out of the executor's queue, so a client that
        # gives up while waiting costs no hash; the executor's size is the hard bound.
        self._slots = asyncio.Semaphore(max_concurrent)
        self._executor = ThreadPoolExecutor(max_concurrent, thread_name_prefix="argon2")
        self._dummy_hash: str | None = None

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        async with self._slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, work, *args)

    async def hash(self, password: str) -> str:
        return await self._run(self.hasher.hash, password)

    async def prepare(self) -> None:
        """Make the dummy hash now, so that not even the first unknown username costs more."""
        await self._dummy()

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            # Made with the configured parameters, so checking against it costs the same.
            self._dummy_hash = await self.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches; `None` (no such user) costs the same work and fails."""
        if password_hash is None:
            await self._check(await self._dummy(), password)
            return False
        return await self._check(password_hash, password)

    async def _check(self, password_hash: str, password: str) -> bool:
        try:
            return await self._run(self.hasher.verify, password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
