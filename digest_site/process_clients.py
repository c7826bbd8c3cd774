"""Network clients a process keeps for its later requests, one per connection setting.

Building an HTTP client costs tens of milliseconds (httpx loads the certificate store, even for a
plain-http server), and a new client opens new connections; a kept one reuses its pool. A worker
drafting a day made two per draft (the LLM's and arXiv's) before they were kept here.

A forked child builds its own (django-q2 forks its workers): a connection is a socket, and two
processes writing to one corrupt each other's requests. The parent's clients stay referenced in the
child, never used nor closed there (closing a TLS connection writes to the socket the parent still
uses).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Client = TypeVar("Client")


class ProcessClients(Generic[Client]):
    """`get(key, build)`: the client this process built for `key`, or a new one from `build()`."""

    def __init__(self, *, limit: int = 8) -> None:
        # More settings than one process ever uses; a test run changes them from test to test.
        self.limit = limit
        self._clients: dict[Hashable, Client] = {}
        self._lock = threading.Lock()  # translate_day --sync drafts from several threads
        self._left_by_parent: list[Client] = []
        os.register_at_fork(after_in_child=self._forget_after_fork)

    def get(self, key: Hashable, build: Callable[[], Client]) -> Client:
        client = self._clients.get(key)
        if client is not None:
            return client
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                if len(self._clients) >= self.limit:  # the settings changed: the oldest is not used any more
                    self._clients.pop(next(iter(self._clients)))
                client = self._clients[key] = build()
        return client

    def _forget_after_fork(self) -> None:
        self._left_by_parent.extend(self._clients.values())
        self._clients = {}
        self._lock = threading.Lock()
