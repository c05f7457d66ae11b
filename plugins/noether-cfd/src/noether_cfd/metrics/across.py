"""Agreement of predicted and true coefficients across a test set: R², Spearman rank correlation, MAE."""

from __future__ import annotations

import numpy as np
from scipy import stats


def r2_score(predicted: np.ndarray, true: np.ndarray) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot`` (``nan`` when the true values do not vary)."""
    p, t = np.asarray(predicted, dtype=np.float64), np.asarray(true, dtype=np.float64)
    total = float(((t - t.mean()) ** 2).sum())
    if total == 0.0:
        return float("nan")
    return 1.0 - float(((t - p) ** 2).sum()) / total


def spearman(predicted: np.ndarray, true: np.ndarray) -> float:
    """Spearman's rank correlation (``nan`` with fewer than 2 samples or constant values)."""
    p, t = np.asarray(predicted, dtype=np.float64), np.asarray(true, dtype=np.float64)
    if len(t) < 2 or np.ptp(t) == 0 or np.ptp(p) == 0:
        return float("nan")
    return float(stats.spearmanr(p, t).statistic)


def mean_absolute(predicted: np.ndarray, true: np.ndarray) -> float:
    """Mean absolute difference."""
    return float(np.abs(np.asarray(predicted, dtype=np.float64) - np.asarray(true, dtype=np.float64)).mean())


def agreement(predicted: np.ndarray, true: np.ndarray) -> dict[str, float]:
    """``r2``, ``spearman`` and ``mae`` of one coefficient across the samples."""
    return {"r2": r2_score(predicted, true), "spearman": spearman(predicted, true),
            "mae": mean_absolute(predicted, true)}
