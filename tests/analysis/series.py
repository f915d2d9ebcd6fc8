"""Generated RR series with known scaling, for the analysis tests and benchmarks."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def fgn(n: int, hurst: float, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """Fractional Gaussian noise (Davies-Harte circulant embedding): DFA α = hurst."""
    k = np.arange(n + 1, dtype=np.float64)
    h2 = 2 * hurst
    g = 0.5 * (np.abs(k - 1) ** h2 - 2 * k**h2 + (k + 1) ** h2)
    c = np.concatenate([g, g[-2:0:-1]])
    lam = np.maximum(np.fft.fft(c).real, 0.0)
    z = rng.standard_normal(len(c)) + 1j * rng.standard_normal(len(c))
    return np.asarray(np.fft.fft(np.sqrt(lam / len(c)) * z).real[:n], dtype=np.float64)


def rr(
    noise: npt.NDArray[np.float64], mean_ms: float = 700.0, sd_ms: float = 20.0
) -> npt.NDArray[np.float64]:
    """An RR series (ms) with the noise's correlation structure."""
    x = (noise - noise.mean()) / noise.std()
    return np.asarray(mean_ms + sd_ms * x, dtype=np.float64)
