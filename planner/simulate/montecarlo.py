"""The discovery-rate model: how many problems a per-class allocation finds, exactly and by simulation.

The model
---------
Class ``c`` has ``N_c`` eligible enterprises. Its problem rate ``p_c`` is either given, or
uncertain with a Beta posterior (see :mod:`planner.simulate.prevalence`). In each replication:

1. ``p_c`` is drawn from its posterior (a given rate stays fixed);
2. each enterprise of the class violates independently with probability ``p_c``, so the
   class holds ``K_c ~ Binomial(N_c, p_c)`` violators;
3. drawing ``n_c`` of the class at random without replacement finds
   ``X_c ~ Hypergeometric(N_c, K_c, n_c)`` of them.

Exact figures (closed form): ``E[X_c | K_c] = n_c K_c / N_c`` (the hypergeometric
expectation), hence ``E[X_c] = n_c E[p_c]``; unconditionally ``X_c`` is Binomial(n_c, p_c)
for a given rate and Beta-binomial for a Beta posterior, whose variance
:func:`variance_found` gives. A uniform random draw of ``n`` from the whole population (no
regard to class) finds ``E[X] = n * sum(N_c E[p_c]) / sum(N_c)``.

How it is simulated (vectorised, no loop per enterprise)
--------------------------------------------------------
Steps 2 and 3 are drawn together: put each class's enterprises in a random order and
inspect the first ``n_c``. The number of violators among the first ``n`` is then a
binomial process in ``n``, so for the sorted distinct counts ``u_1 < ... < u_m`` that any
allocation asks of the class, the violators in each stretch ``(u_{j-1}, u_j]`` and in the
rest of the class are independent ``Binomial(u_j - u_{j-1}, p_c)`` draws, and their running
sum gives ``X_c(u_j)`` for every ``j`` and ``K_c`` at the end - one array call per class over
(stretches x replications), whatever the number of ratio sets. Conditionally on ``K_c``,
``X_c(n_c)`` is exactly hypergeometric, as in step 3. Every allocation is evaluated on the
same replicated world (common random numbers), so two ratio sets are compared on the same
draws and more inspections in a class never find fewer problems.

A uniform draw of ``n`` across classes finds ``Hypergeometric(sum N_c, sum K_c, n)`` given
the replication's violators (one ``Generator.hypergeometric`` call over totals x reps).

All randomness comes from the ``simulate`` streams of :mod:`planner.common.randomness`
(children of one ``SeedSequence`` made from the plan's seed), so the same inputs give the same
numbers.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from planner.common import randomness


@dataclass(frozen=True)
class PrevalenceModel:
    """Per-class problem rates: fixed, or uncertain with a Beta posterior.

    Attributes
    ----------
    classes : tuple of str
        Class labels, lowest risk first.
    mean : numpy.ndarray
        Expected rate per class, shape ``(K,)``.
    alpha, beta : numpy.ndarray
        Beta posterior parameters per class; NaN where the rate is fixed (given).
    """

    classes: tuple[str, ...]
    mean: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray

    @classmethod
    def fixed(cls, classes, rates) -> PrevalenceModel:
        """Return a model with known rates.

        Parameters
        ----------
        classes : sequence of str
            Class labels.
        rates : sequence of float
            Rate per class in 0..1.

        Returns
        -------
        PrevalenceModel
            The model.
        """
        rates = np.asarray(rates, dtype=float)
        nan = np.full(len(rates), np.nan)
        return cls(tuple(classes), rates, nan, nan.copy())

    @classmethod
    def from_parts(cls, classes, mean, alpha, beta) -> PrevalenceModel:
        """Return a model mixing Beta posteriors (alpha, beta) and fixed rates (NaN alpha).

        Parameters
        ----------
        classes : sequence of str
            Class labels.
        mean : sequence of float
            Fixed rate where ``alpha`` is NaN (ignored elsewhere).
        alpha, beta : sequence of float
            Posterior parameters, NaN for a fixed rate.

        Returns
        -------
        PrevalenceModel
            The model, with ``mean`` the posterior mean where a posterior is given.
        """
        alpha = np.asarray(alpha, dtype=float)
        beta = np.asarray(beta, dtype=float)
        mean = np.asarray(mean, dtype=float)
        uncertain = ~np.isnan(alpha)
        with np.errstate(invalid="ignore"):
            mean = np.where(uncertain, alpha / (alpha + beta), mean)
        return cls(tuple(classes), mean, alpha, beta)

    @property
    def uncertain(self) -> np.ndarray:
        """Mask of the classes whose rate has a posterior."""
        return ~np.isnan(self.alpha)

    def draw(self, rng: np.random.Generator, reps: int) -> np.ndarray:
        """Draw the rates of ``reps`` replications.

        Parameters
        ----------
        rng : numpy.random.Generator
            The stream to draw from.
        reps : int
            Replications.

        Returns
        -------
        numpy.ndarray
            Shape ``(reps, K)``.
        """
        rates = np.broadcast_to(self.mean, (reps, len(self.classes))).copy()
        if self.uncertain.any():
            cols = np.flatnonzero(self.uncertain)
            rates[:, cols] = rng.beta(self.alpha[cols], self.beta[cols], size=(reps, len(cols)))
        return rates


@dataclass(frozen=True)
class Draws:
    """Replicated problems found.

    Attributes
    ----------
    found : numpy.ndarray
        ``(A, reps)``: problems found by each per-class allocation in each replication.
    found_by_class_mean : numpy.ndarray
        ``(A, K)``: mean over replications of the problems found per class.
    uniform_found : numpy.ndarray
        ``(U, reps)``: problems found by a uniform draw of each total.
    violators : numpy.ndarray
        ``(reps,)``: violators in the whole population per replication.
    violators_by_class : numpy.ndarray
        ``(reps, K)``: violators per class per replication.
    """

    found: np.ndarray
    found_by_class_mean: np.ndarray
    uniform_found: np.ndarray
    violators: np.ndarray
    violators_by_class: np.ndarray


def seed_sequence(seed: str) -> np.random.SeedSequence:
    """Return the root ``SeedSequence`` of the simulation's streams for a plan seed.

    Parameters
    ----------
    seed : str
        The plan's seed.

    Returns
    -------
    numpy.random.SeedSequence
        Entropy: SHA-256 of ``"simulate:{seed}"`` (the ``simulate`` purpose of
        :mod:`planner.common.randomness`).
    """
    return randomness.seed_sequence(seed, "simulate")


def simulate_found(
    population: np.ndarray,
    prevalence: PrevalenceModel,
    allocations: np.ndarray,
    uniform_totals: np.ndarray,
    *,
    reps: int,
    seed: np.random.SeedSequence,
) -> Draws:
    """Replicate the problems found by per-class allocations and by uniform draws.

    Parameters
    ----------
    population : numpy.ndarray
        ``(K,)`` eligible enterprises per class.
    prevalence : PrevalenceModel
        Rates per class (same class order).
    allocations : numpy.ndarray
        ``(A, K)`` inspections per class, each ``0 <= n_c <= N_c``.
    uniform_totals : numpy.ndarray
        ``(U,)`` totals drawn uniformly from the whole population.
    reps : int
        Replications.
    seed : numpy.random.SeedSequence
        Root of the random streams (see :func:`seed_sequence`).

    Returns
    -------
    Draws
        The replicated counts.
    """
    population = np.asarray(population, dtype=np.int64)
    allocations = np.asarray(allocations, dtype=np.int64).reshape(-1, len(population))
    uniform_totals = np.asarray(uniform_totals, dtype=np.int64).reshape(-1)
    n_classes = len(population)
    # Stream 0: the prevalence; 1 + c: class c; the last: the uniform draws.
    streams = [randomness.child(seed, i) for i in range(n_classes + 2)]
    rates = prevalence.draw(np.random.Generator(np.random.PCG64(streams[0])), reps)

    def one_class(c: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.Generator(np.random.PCG64(streams[1 + c]))
        counts = np.unique(allocations[:, c])
        stretches = np.diff(np.concatenate(([0], counts, [population[c]])))
        running = np.cumsum(rng.binomial(stretches[:, None], rates[None, :, c]), axis=0)
        pick = np.searchsorted(counts, allocations[:, c])
        return running[:-1][pick], running[:-1].mean(axis=1)[pick], running[-1]

    # Each class has its own stream, and numpy draws without holding the GIL, so the
    # classes run in parallel threads with the same result as one after the other.
    workers = max(1, min(n_classes, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        per_class = list(pool.map(one_class, range(n_classes)))
    found = np.zeros((len(allocations), reps), dtype=np.int64)
    for at_count, _, _ in per_class:
        found += at_count
    by_class = np.column_stack([mean for _, mean, _ in per_class]).reshape(
        len(allocations), n_classes)
    violators_by_class = np.column_stack([k for _, _, k in per_class]).reshape(reps, n_classes)

    violators = violators_by_class.sum(axis=1)
    rng = np.random.Generator(np.random.PCG64(streams[-1]))
    total = int(population.sum())
    uniform_found = rng.hypergeometric(
        violators[None, :], (total - violators)[None, :], uniform_totals[:, None]
    ) if len(uniform_totals) else np.zeros((0, reps), dtype=np.int64)
    return Draws(found, by_class, uniform_found, violators, violators_by_class)


def expected_found(allocations: np.ndarray, prevalence: PrevalenceModel) -> np.ndarray:
    """Exact expected problems found per class: ``n_c * E[p_c]`` (= ``n_c E[K_c] / N_c``).

    Parameters
    ----------
    allocations : numpy.ndarray
        ``(A, K)`` inspections per class.
    prevalence : PrevalenceModel
        Rates per class.

    Returns
    -------
    numpy.ndarray
        ``(A, K)`` expected problems found.
    """
    return np.asarray(allocations, dtype=float) * prevalence.mean[None, :]


def expected_found_uniform(
    totals: np.ndarray, population: np.ndarray, prevalence: PrevalenceModel
) -> np.ndarray:
    """Exact expected problems found by uniform draws, per class: ``n N_c / N * E[p_c]``.

    Parameters
    ----------
    totals : numpy.ndarray
        ``(U,)`` inspections in all.
    population : numpy.ndarray
        ``(K,)`` eligible enterprises per class.
    prevalence : PrevalenceModel
        Rates per class.

    Returns
    -------
    numpy.ndarray
        ``(U, K)`` expected problems found per class (their sum is the total).
    """
    population = np.asarray(population, dtype=float)
    share = population / population.sum() if population.sum() else population
    return np.asarray(totals, dtype=float)[:, None] * share[None, :] * prevalence.mean[None, :]


def variance_found(allocations: np.ndarray, prevalence: PrevalenceModel) -> np.ndarray:
    """Exact variance of the problems found per class.

    ``X_c`` is Binomial(n_c, p_c) for a fixed rate and Beta-binomial(n_c, a, b) for a
    Beta posterior: ``n a b (a + b + n) / ((a + b)^2 (a + b + 1))``.

    Parameters
    ----------
    allocations : numpy.ndarray
        ``(A, K)`` inspections per class.
    prevalence : PrevalenceModel
        Rates per class.

    Returns
    -------
    numpy.ndarray
        ``(A, K)`` variances (classes are independent, so a total's variance is their sum).
    """
    n = np.asarray(allocations, dtype=float)
    p = prevalence.mean[None, :]
    fixed = n * p * (1 - p)
    a = prevalence.alpha[None, :]
    b = prevalence.beta[None, :]
    with np.errstate(invalid="ignore"):
        mixed = n * a * b * (a + b + n) / ((a + b) ** 2 * (a + b + 1))
    return np.where(prevalence.uncertain[None, :], mixed, fixed)


def tail_quantiles(values: np.ndarray, interval: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed interval of each row of replicated values (inverted-CDF quantiles).

    Parameters
    ----------
    values : numpy.ndarray
        ``(M, reps)``.
    interval : float
        Probability inside the interval, e.g. 0.9 (5 % and 95 % quantiles).

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper bounds, each ``(M,)``.
    """
    reps = values.shape[1]
    tail = (1 - interval) / 2
    lo = max(int(np.ceil(tail * reps)) - 1, 0)
    hi = min(int(np.ceil((1 - tail) * reps)) - 1, reps - 1)
    parted = np.partition(values, (lo, hi), axis=1)
    return parted[:, lo], parted[:, hi]
