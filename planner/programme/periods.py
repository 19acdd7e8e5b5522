"""Batch dates and batch seeds of a programme.

Batches either cut ``[plan]`` start..end into ``batches`` equal periods (the remainder days go
to the first batches) or start on the listed ``batch_dates``, each ending the day before the
next one starts and the last on ``plan.end``.

Seed rule (published with the annual plan): batch K (1-based) draws with the seed
``f"{plan.seed}/batch-{K}"``, or with ``batch_seeds[K-1]`` when the scenario lists each
batch's own public seed. The fractional part of a frequency (point 3) uses the seed
``f"{plan.seed}/extra"``. Each batch's draw is the ordinary ticket rule with its seed, so
``planner verify`` checks it like any plan. Both seeds are the ``batch`` and ``extra``
purposes of :mod:`planner.common.randomness`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from planner.common import randomness
from planner.plan.scenario import Scenario

SEED_RULE = ('batch K draws with seed f"{plan.seed}/batch-{K}" (or [programme] batch_seeds[K-1]); '
             'ticket = sha256(f"{batch seed}:{enterprise_id}") / 2**256, the n lowest per '
             'stratum; the fractional part of a frequency: ticket under f"{plan.seed}/extra" '
             '< fraction')


@dataclass(frozen=True)
class Batch:
    """One batch of the programme."""

    number: int
    start: dt.date
    end: dt.date
    seed: str
    plan_id: str

    def to_dict(self) -> dict:
        """Return the batch as a JSON-ready dict."""
        return {"batch": self.number, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "seed": self.seed, "plan_id": self.plan_id}


def batch_seed(scenario: Scenario, number: int) -> str:
    """Return the public seed of batch ``number`` (1-based)."""
    p = scenario.programme
    if p is not None and p.batch_seeds:
        return p.batch_seeds[number - 1]
    return randomness.derived_seed(scenario.plan.seed, "batch", number)


def extra_seed(scenario: Scenario) -> str:
    """Return the seed that draws the fractional part of each enterprise's frequency."""
    return randomness.derived_seed(scenario.plan.seed, "extra")


def batch_plan_id(scenario: Scenario, number: int) -> str:
    """Return the plan id of batch ``number``: the programme's id with ``-B{number}``."""
    return f"{scenario.plan.id}-B{number}"


def batches(scenario: Scenario) -> list[Batch]:
    """Return the programme's batches in order.

    Parameters
    ----------
    scenario : Scenario
        A scenario with a ``[programme]`` table.

    Returns
    -------
    list of Batch
        Contiguous periods covering ``plan.start`` .. ``plan.end``.
    """
    p = scenario.programme
    start, end = scenario.plan.start, scenario.plan.end
    if p.batch_dates:
        starts = list(p.batch_dates)
    else:
        days = (end - start).days + 1
        size, extra = divmod(days, p.batches)
        starts, day = [], start
        for i in range(p.batches):
            starts.append(day)
            day += dt.timedelta(days=size + (1 if i < extra else 0))
    ends = [s - dt.timedelta(days=1) for s in starts[1:]] + [end]
    return [Batch(i + 1, s, e, batch_seed(scenario, i + 1), batch_plan_id(scenario, i + 1))
            for i, (s, e) in enumerate(zip(starts, ends, strict=True))]
