"""The wait for a check process: jobs take turns by client address, so one client's many uploads wait behind each
other, never in front of everyone else's.

A job runs once it holds one of the check processes' slots (its time limit starts then, never while it waits).
When a slot frees, it goes to the next client in turn (round-robin over the clients waiting), and within a client
to its oldest job. Past ``capacity`` jobs waiting in all, a new one is refused at once (503 with ``Retry-After``).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from contextlib import asynccontextmanager

from fastapi import HTTPException


class FairQueue:
    """``slots`` jobs at a time, the others waiting in turn by client (at most ``capacity`` waiting)."""

    def __init__(self, slots: int, capacity: int):
        self.free, self.capacity = slots, capacity
        self.waiting: OrderedDict[str, deque[asyncio.Future]] = OrderedDict()

    @property
    def queued(self) -> int:
        return sum(len(jobs) for jobs in self.waiting.values())

    @asynccontextmanager
    async def turn(self, client: str):
        """Hold a slot for the body of the ``async with``: at once when one is free and nobody waits, else when this
        client's turn comes."""
        if self.free > 0 and not self.waiting:
            self.free -= 1
        else:
            if self.queued >= self.capacity:
                raise HTTPException(503, "服务繁忙，请稍后重试 / the service is busy; try again in a few seconds",
                                    headers={"Retry-After": "5"})
            given = asyncio.get_running_loop().create_future()
            self.waiting.setdefault(client, deque()).append(given)
            try:
                await given
            except asyncio.CancelledError:  # the client went away while it waited
                if given.done() and not given.cancelled():
                    self._release()  # the slot had just been handed to it: pass it on
                else:
                    self._forget(client, given)
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        """The slot goes to the next client in turn (its oldest job), or back to the free ones."""
        while self.waiting:
            client, jobs = next(iter(self.waiting.items()))
            given = jobs.popleft()
            if jobs:
                self.waiting.move_to_end(client)  # its next job waits for every other client's turn
            else:
                del self.waiting[client]
            if not given.done():
                given.set_result(None)
                return
        self.free += 1

    def _forget(self, client: str, given: asyncio.Future) -> None:
        jobs = self.waiting.get(client)
        if jobs is not None and given in jobs:
            jobs.remove(given)
            if not jobs:
                del self.waiting[client]
