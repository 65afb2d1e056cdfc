"""A small L2-regularised logistic regression, fitted by Newton's method.

The answer service's two learned parts (how to rank candidates, whether to trust the best one)
each have under a dozen features and a few thousand rows: Newton's method converges in a few
steps and the coefficients stay readable (`describe`). scikit-learn would do the same fit but
brings scipy with it (about 100 MB) into an install that is meant to stay small.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

Matrix = NDArray[np.float64]


class LogisticModel(BaseModel):
    """P(y = 1 | x) = sigmoid(bias + sum(weight_i * (x_i - mean_i) / scale_i))."""

    model_config = ConfigDict(frozen=True)

    features: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def logit(self, rows: Matrix) -> NDArray[np.float64]:
        standard = (rows - np.asarray(self.means)) / np.asarray(self.scales)
        return standard @ np.asarray(self.weights) + self.bias  # type: ignore[no-any-return]

    def probability(self, rows: Matrix) -> NDArray[np.float64]:
        return 1.0 / (1.0 + np.exp(-np.clip(self.logit(rows), -40.0, 40.0)))

    def describe(self) -> str:
        """One line per feature: its weight on the standardised scale (how much it counts)."""
        parts = [f"{name} {weight:+.2f}" for name, weight in zip(self.features, self.weights, strict=True)]
        return ", ".join(parts) + f"; bias {self.bias:+.2f}"


def fit_logistic(
    features: Sequence[str],
    rows: Matrix,
    labels: NDArray[np.float64],
    l2: float = 1.0,
    iterations: int = 50,
    centre: bool = True,
) -> LogisticModel:
    """Fit on standardised features (so the L2 penalty treats them alike); never raises on
    degenerate data (one class only, constant columns): the penalty keeps the weights finite.
    `centre=False`: features are scaled but not shifted, and no bias is fitted (a pairwise
    ranker: only differences are seen, and only the order of its logits matters)."""
    n, k = rows.shape
    if n == 0:
        return LogisticModel(
            features=tuple(features), means=(0.0,) * k, scales=(1.0,) * k, weights=(0.0,) * k, bias=0.0
        )
    means = rows.mean(axis=0) if centre else np.zeros(k)
    scales = np.sqrt(((rows - means) ** 2).mean(axis=0))
    scales[scales < 1e-9] = 1.0
    x = np.hstack([np.ones((n, 1)) if centre else np.zeros((n, 1)), (rows - means) / scales])
    w = np.ones(n)
    beta = np.zeros(k + 1)
    penalty = np.full(k + 1, l2)
    penalty[0] = 1e-6 if centre else 1.0  # the bias is not shrunk (and without one, its column is 0)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -40.0, 40.0)))
        gradient = x.T @ (w * (p - labels)) + penalty * beta
        hessian = (x.T * (w * p * (1.0 - p))) @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return LogisticModel(
        features=tuple(features),
        means=tuple(float(v) for v in means),
        scales=tuple(float(v) for v in scales),
        weights=tuple(float(v) for v in beta[1:]),
        bias=float(beta[0]),
    )
