"""Sampling the model file's duration Distributions, vectorised in blocks per stream."""

from __future__ import annotations

import math

import numpy as np

from l2csim.params import Distribution
from l2csim.sim.streams import Buffered


def block_sampler(dist: Distribution, rng: np.random.Generator):
    """A function size -> array of non-negative draws of `dist` (hours)."""
    p = dist.params
    kind = dist.kind
    if kind == "fixed":
        value = max(0.0, p["value"])
        return lambda size: np.full(size, value)
    if kind == "exponential":
        mean = p["mean"]
        return lambda size: rng.exponential(mean, size)
    if kind == "lognormal":
        mu, sigma = p["mu"], p["sigma"]
        return lambda size: rng.lognormal(mu, sigma, size)
    if kind == "gamma":
        shape, scale = p["shape"], p["scale"]
        return lambda size: rng.gamma(shape, scale, size)
    if kind == "weibull":
        shape, scale = p["shape"], p["scale"]
        return lambda size: scale * rng.weibull(shape, size)
    grid_q = np.asarray(dist.quantiles, dtype=float)
    grid_p = np.linspace(0.0, 1.0, len(grid_q))
    return lambda size: np.maximum(np.interp(rng.random(size), grid_p, grid_q), 0.0)


def sampler(dist: Distribution, rng: np.random.Generator) -> Buffered:
    """A buffered stream of draws of `dist`."""
    return Buffered(block_sampler(dist, rng))


def lognormal_value(mean: float, sigma: float, z: float) -> float:
    """A lognormal draw with the given mean from a standard-normal z (order values)."""
    return mean * math.exp(sigma * z - 0.5 * sigma * sigma)


def cumulative_shares(weights: list[float]) -> list[float]:
    """Running shares of positive weights, the last exactly 1: a draw u in [0, 1) picks
    `bisect_right(shares, u)` (routing's successors, a tier's promise counts)."""
    total = sum(weights)
    shares, running = [], 0.0
    for w in weights:
        running += w / total
        shares.append(running)
    shares[-1] = 1.0
    return shares
