"""How long to wait between looks at a table while something is in flight.

The policy is a parameter of the reconcile loop (the benchmark plugs the peers' policies
into the same loop). multigsi's own spends at most one DescribeTable per second of waiting,
counted over the whole apply of a table (the read right after a step is the step's own),
and is never worse than steady one-second polling. The design, from first principles:

- Lag is the time from an operation's end to the poll that sees it. If the end is equally
  likely anywhere (nothing known), any schedule at r polls a second gives
  P(lag ≤ x) ≤ r·x: at one poll a second, p50 ≥ 0.5 s and p95 ≥ 0.95 s, which steady
  polling achieves. Without information, plain polling is optimal; a gap longer than 1 s
  anywhere an end (or a failure) can land raises p95 above polling's, since a build that
  fails at a random moment, or an estimate that is wrong, can end in that gap. So: never a
  gap over 1 s once an index backfills, whatever the estimate says.
- Faster polling somewhere must be funded by slower polling elsewhere, where no end can
  land. The one such place DynamoDB documents is resource allocation: an index is CREATING
  with Backfilling false and cannot become ACTIVE before backfilling starts (DOMAIN.md).
  While every index in flight allocates, poll every 2 s (jittered): that banks half a
  read per second of allocation. The risk is bounded: a backfill shorter than 2 s would be
  seen up to 2 s late; a failure during allocation likewise.
- The bank is the only honest surplus, and it is spent, not hoarded: it carries from one
  wait to the next of the same table, and the budget holds at every poll (polls ≤ seconds
  waited), so the rate over an apply never exceeds one a second.
- Where to spend it: where the end is likely. Inside the estimate's window
  [eta - spread, eta + spread], everything in hand is spread evenly to the window's close
  (or to the Lindy horizon, below, if sooner), down to a poll every 0.25 s. Before the
  window opens: every second (not slower: a failure can come then). An estimate the table
  contradicts (past its window) means the end is overdue: spend the bank over the next
  60 s. No estimate (no metric yet, none at all, deletes, throughput updates): expect the
  wait to last as long again as it has (at least 60 s) and spend evenly over that.
- Phase: the first interval of each wait is drawn in [0, 1 s) when reads are in hand (a
  table's waits start at its own steps, which are already spread by the ends they follow
  and the loop's jitter before a first step), so tables never poll in lockstep; without
  reads in hand it is 1 s, exactly plain polling's.

Many tables sharing one call budget (``share``): when the budget cannot give every table in
flight a read a second, a table's budget is its share (reads per second), and every rule
above holds with that rate in place of one a second: steady polling becomes one look per
share, the bank is earned at the share's rate and spent where this table's end is likely.
The tables together then ask for what the budget can grant, so no read queues long behind
the others', and no table goes longer than about one share without a look.

What this cannot do, at one read a second: beat 0.5 s at p50 without information, or reach
a 0.25 s p50 (a 0.5 s gap) over a window wider than the bank (at most half the allocation
time in reads). The benchmark measures both (docs/benchmarks.md, "The wait policy"), and
tests/unit/test_wait_policy.py checks on a seeded sweep that it never loses to plain
polling on lag p95.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Protocol

from multigsi.engine.progress import Estimate

POLL_INTERVAL = 1.0  # steady polling: one DescribeTable a second
BUDGET = 1.0 / POLL_INTERVAL  # polls per second of waiting (the read right after a step is the step's)
ALLOCATING_POLL_INTERVAL = 2.0  # while every index in flight is still allocating: none can end
NEAR_POLL_INTERVAL = 0.25  # the fastest: inside the estimate's window, with reads in hand
SPEND_HORIZON = 60.0  # overdue, or the shortest horizon the bank is spread over
LINDY = 1.0  # no usable estimate: expect the wait to last as long again as it has lasted
JITTER = 0.1  # ± share of the allocating interval, so tables drift apart


class WaitPolicy(Protocol):
    # How many settled reads in a row before acting on them (1: act on the first).
    confirmations: int

    def interval(self, waited: float, estimate: Estimate | None, *, allocating: bool = False) -> float:
        """Seconds to sleep before the next look.

        ``waited``: seconds since this wait began (0 at its first call); ``estimate``:
        when the slowest in-flight index should finish, or None when unknown; ``allocating``:
        every index in flight is still allocating (IndexStatus CREATING, Backfilling false),
        so none can become ACTIVE before it has started backfilling.
        """
        ...


class MultigsiWaitPolicy:
    """One per table per apply: its read budget carries over from one wait to the next."""

    confirmations = 1

    def __init__(self, rng: random.Random | None = None, share: Callable[[], float] | None = None) -> None:
        """``share``: this table's reads per second now, when it shares a budget with others
        (at most BUDGET counts)."""
        self.rng = rng or random.Random()
        self.share = share
        self._budget = BUDGET
        self._bank = 0.0  # reads in hand: seconds waited (all waits) minus polls made
        self._last = 0.0  # `waited` at the previous call of this wait
        self._first = True  # the next interval is the first of its wait

    @property
    def bank(self) -> float:
        """Reads earned and not yet spent (never negative once a poll is paid for)."""
        return self._bank

    @property
    def poll_interval(self) -> float:
        """Steady polling at this table's budget: one look a second, or one per share."""
        return 1.0 / self._budget

    def interval(self, waited: float, estimate: Estimate | None, *, allocating: bool = False) -> float:
        if waited <= 0.0 or waited < self._last:  # a new wait: this call follows the step's own read
            self._last, self._first = 0.0, True
        else:  # this call follows a poll: earn the time since the last one, pay for the poll
            self._bank += self._budget * (waited - self._last) - 1.0
            self._last, self._first = waited, False
        if self.share is not None:
            self._budget = max(1e-3, min(BUDGET, self.share()))
        return max(self._earliest(), self._wanted(estimate, allocating))

    def _earliest(self) -> float:
        """The next poll may not overdraw the budget: bank + budget * interval - 1 ≥ 0."""
        return max(0.0, (1.0 - self._bank) / self._budget)

    def _wanted(self, estimate: Estimate | None, allocating: bool) -> float:
        if allocating:
            # Nothing can end before backfilling starts: poll slowly, bank the difference.
            slow = max(ALLOCATING_POLL_INTERVAL, self.poll_interval)
            return slow * self.rng.uniform(1 - JITTER, 1 + JITTER)
        if self._first:
            # A phase inside [0, 1 s): tables that stepped together drift apart at once, and
            # an operation that ends early is seen as soon as steady polling would (or sooner).
            return self.poll_interval * self.rng.random()
        lindy = max(SPEND_HORIZON, LINDY * self._last)  # as long again as it has lasted
        if estimate is None:
            return self._spend_over(lindy)
        opens, closes = estimate.eta - estimate.spread, estimate.eta + estimate.spread
        if closes < 0:  # contradicted: overdue, the end is close whatever the estimate said
            return self._spend_over(SPEND_HORIZON)
        if opens > 0:
            return self.poll_interval  # before the window: still every second (a build may fail)
        return self._spend_over(min(closes, lindy))  # inside the window

    def _spend_over(self, horizon: float) -> float:
        """The interval that spends the bank evenly over ``horizon`` seconds, on top of the
        budget earned meanwhile: never slower than steady polling, never faster than NEAR."""
        if horizon <= 0 or self._bank <= 0:
            return self.poll_interval
        spread_out = horizon / (self._bank + self._budget * horizon)
        return min(self.poll_interval, max(NEAR_POLL_INTERVAL, spread_out))
