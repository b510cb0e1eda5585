"""Seeded, opt-in fault injection for the local endpoint.

Each DynamoDB request may, by the configured per-operation rates: get a
ThrottlingException, an HTTP 500, a connection cut mid-answer, extra latency, or (for
UpdateTable only, without applying it) a spurious LimitExceededException or
ResourceInUseException. A fault never changes state: a faulted UpdateTable is not applied,
except ``lost`` (UpdateTable only): applied, and then answered with an HTTP 500, as when
the answer is lost on the way back. Injected answers carry ``x-multigsi-fault: <kind>``.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field

from multigsi.local.dynamodb import messages

THROTTLED = "Rate of requests exceeds the allowed throughput."
INTERNAL = "Internal server error"
IN_USE = "Attempt to change a resource which is still in use: Table is being updated: {table}"


class FaultSpecError(ValueError):
    pass


@dataclass(frozen=True)
class FaultRates:
    throttle: float = 0.0
    error500: float = 0.0
    reset: float = 0.0
    latency: float = 0.0  # the probability of adding latency_seconds
    latency_seconds: float = 0.2
    limit: float = 0.0  # UpdateTable only
    inuse: float = 0.0  # UpdateTable only
    lost: float = 0.0  # UpdateTable only: applied, then answered 500

    @classmethod
    def parse(cls, text: str) -> FaultRates:
        """``throttle=0.05,error500=0.02,reset=0.01,latency=0.1:0.3,limit=0.05,inuse=0.02,lost=0.05``"""
        values: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, _, value = part.partition("=")
            if name not in cls.__dataclass_fields__ or name == "latency_seconds" or not value:
                raise FaultSpecError(
                    f"{part!r}: expected NAME=RATE with NAME one of throttle, error500, reset, latency, limit, inuse, lost"
                )
            rate, _, seconds = value.partition(":")
            try:
                values[name] = float(rate)
                if seconds:
                    values["latency_seconds"] = float(seconds)
            except ValueError:
                raise FaultSpecError(f"{part!r}: {value!r} is not a number") from None
            if not 0 <= values[name] <= 1:
                raise FaultSpecError(f"{part!r}: a rate is between 0 and 1")
        return cls(**values)


@dataclass(frozen=True)
class Fault:
    kind: str  # throttle | error500 | reset | limit | inuse | lost
    code: str = ""
    message: str = ""
    status: int = 400


@dataclass
class FaultInjector:
    rates: FaultRates
    seed: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    _rng: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def latency(self) -> float:
        with self._lock:
            if self.rates.latency and self._rng.random() < self.rates.latency:
                self.counts["latency"] += 1
                return self.rates.latency_seconds
        return 0.0

    def choose(self, operation: str, table: str) -> Fault | None:
        with self._lock:
            draw = self._rng.random()
            choices = [
                (self.rates.throttle, Fault("throttle", "ThrottlingException", THROTTLED)),
                (self.rates.error500, Fault("error500", "InternalServerError", INTERNAL, 500)),
                (self.rates.reset, Fault("reset")),
            ]
            if operation == "UpdateTable":
                choices += [
                    (self.rates.limit, Fault("limit", "LimitExceededException", messages.ONE_AT_A_TIME)),
                    (self.rates.inuse, Fault("inuse", "ResourceInUseException", IN_USE.format(table=table))),
                    (self.rates.lost, Fault("lost", "InternalServerError", INTERNAL, 500)),
                ]
            for rate, fault in choices:
                if draw < rate:
                    self.counts[fault.kind] += 1
                    return fault
                draw -= rate
        return None
