"""Failed attempts per client (a login code, a button server's token): the one throttle of the web page and the
Excel button server."""

from __future__ import annotations

import threading
import time
from collections import deque


class FailureThrottle:
    """Failures per client in a sliding ``window`` of seconds (thread-safe, memory bounded).

    After ``free`` failures within the window a client waits: until its oldest failure leaves the window, or,
    with ``base``, ``base`` seconds from its latest failure, doubling with each further one (at most
    ``window``). :meth:`succeeded` forgets a client's failures."""

    def __init__(
        self,
        free: int,
        window: float,
        base: float | None = None,
        clock=time.monotonic,
        max_clients: int = 10_000,
    ):
        self.free, self.window, self.base, self.clock = free, window, base, clock
        self.max_clients = max_clients
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Seconds the client must still wait before it may try again (0: go ahead)."""
        with self._lock:
            now = self.clock()
            recent = self._recent(client, now)
            if len(recent) < self.free:
                return 0.0
            if self.base is None:
                return max(0.0, recent[0] + self.window - now)
            pause = min(self.window, self.base * 2 ** (len(recent) - self.free))
            return max(0.0, recent[-1] + pause - now)

    def failed(self, client: str) -> None:
        with self._lock:
            now = self.clock()
            if client not in self._fails and len(self._fails) >= self.max_clients:
                self._forget(now)
            recent = self._recent(client, now)
            recent.append(now)
            self._fails[client] = recent

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._fails.pop(client, None)

    def _recent(self, client: str, now: float) -> deque[float]:
        recent = self._fails.get(client) or deque()
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if not recent:
            self._fails.pop(client, None)
        return recent

    def _forget(self, now: float) -> None:
        """A flood of addresses: the quiet clients go, then (still too many) the older half."""
        for key in [k for k, q in self._fails.items() if not q or q[-1] <= now - self.window]:
            del self._fails[key]
        if len(self._fails) >= self.max_clients:
            for key in list(self._fails)[: len(self._fails) // 2]:
                del self._fails[key]
