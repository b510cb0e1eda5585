"""Seeded faults for the local CloudFormation + Lambda harness.

- ``put_failure``: a response PUT answers HTTP 500;
- ``lost_hand_off``: Lambda accepts a hand-off invocation (202) and never runs it;
- ``duplicate``: CloudFormation's event is delivered twice;
- ``kill``: an invocation dies at a random AWS call (as on a crash or timeout), without
  answering; Lambda retries a failed asynchronous invocation up to twice;
- ``skew_seconds``: each invocation's wall clock is off by up to this much either way.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3

from multigsi.cloudformation.custom_resource.handler import CustomResourceHandler, Services
from multigsi.engine.clients import DEADLINE_CLIENT_CONFIG
from multigsi.engine.clock import SystemClock


class InvocationKilled(BaseException):
    """The runtime killed the invocation: not an Exception, so the handler cannot catch it."""


@dataclass
class HarnessFaults:
    put_failure: float = 0.0
    lost_hand_off: float = 0.0
    duplicate: float = 0.0
    kill: float = 0.0
    skew_seconds: float = 0.0
    seed: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    _rng: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def happens(self, kind: str) -> bool:
        rate = getattr(self, kind)
        with self._lock:
            if rate and self._rng.random() < rate:
                self.counts[kind] += 1
                return True
        return False

    def handler(self, event: Any, context: Any) -> Any:
        """One invocation of the custom resource, with this invocation's skew and fate."""
        with self._lock:
            skew = self._rng.uniform(-self.skew_seconds, self.skew_seconds) if self.skew_seconds else 0.0
            kill_after = self._rng.randint(1, 8) if self.kill and self._rng.random() < self.kill else None
        if kill_after is not None:
            with self._lock:
                self.counts["kill"] += 1
        calls = [0]

        def make_client(name: str) -> Any:
            client = boto3.client(name, config=DEADLINE_CLIENT_CONFIG)
            if kill_after is not None:

                def count(**_: Any) -> None:
                    calls[0] += 1
                    if calls[0] >= kill_after:
                        raise InvocationKilled(f"killed at AWS call {calls[0]}")

                client.meta.events.register("before-call", count)
            return client

        handler = CustomResourceHandler(services=Services(make_client), clock=SystemClock(skew=skew))
        return handler.handle(event, context)
