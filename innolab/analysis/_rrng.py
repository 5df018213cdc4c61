"""R's default random number generator, reproduced draw for draw.

COINr (R) samples its uncertainty analysis with R's default generator: Mersenne-Twister seeded by
``set.seed`` (an initial scrambling of the seed by a linear congruential recurrence), ``runif``
with 32-bit resolution, and ``sample`` by rejection sampling. Reproducing the stream lets innolab
check its results against COINr's runs of the same set-up exactly, not only within Monte Carlo
noise (``../shared/reference/coinr-asem/ALGORITHMS.md`` section 7.1). numpy's ``MT19937`` bit
generator produces the raw 32-bit words; this module adds R's seeding and conversions.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError

__all__ = ["RStream"]

_MASK32 = 0xFFFFFFFF
_2POW_M32 = 2.3283064365386963e-10  # 2**-32: R MT_genrand scale, [0, 1)
_TINY = 1.1641532182693481e-10  # 2**-33: what R's fixup returns for an exact 0 (ALGORITHMS 7.1)


def _r_seed_key(seed: int) -> np.ndarray:
    """The 624-word MT19937 state R builds for ``set.seed(seed)``."""
    s = int(seed) & _MASK32
    for _ in range(50):
        s = (69069 * s + 1) & _MASK32
    words = np.empty(625, dtype=np.uint32)
    for j in range(625):
        s = (69069 * s + 1) & _MASK32
        words[j] = s
    return words[1:]  # word 0 is R's position slot, overwritten by 624


class RStream:
    """A stream of R's random numbers after ``set.seed(seed)``.

    Examples
    --------
    >>> r = RStream(42)
    >>> np.round(r.runif(3), 12).tolist()
    [0.914806043496, 0.937075413298, 0.286139534786]
    """

    def __init__(self, seed: int):
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ParameterError("seed", f"must be an integer, got {seed!r}")
        self.seed = int(seed)
        bg = np.random.MT19937(0)
        bg.state = {
            "bit_generator": "MT19937",
            "state": {"key": _r_seed_key(self.seed), "pos": 624},
        }
        self._bg = bg
        self.drawn = 0  # number of 32-bit words consumed (for tests and provenance)

    def _raw(self, n: int) -> np.ndarray:
        self.drawn += n
        if n == 0:
            return np.empty(0, dtype=np.uint64)
        return np.asarray(self._bg.random_raw(n), dtype=np.uint64)

    def runif(self, n: int) -> np.ndarray:
        """``runif(n)``: ``n`` uniforms in (0, 1) with R's 32-bit resolution."""
        u = self._raw(int(n)).astype(float) * _2POW_M32
        u = np.where(u <= 0.0, _TINY, u)
        return np.where(1.0 - u <= 0.0, 1.0 - _TINY, u)

    def unif_index(self, n: int, size: int) -> np.ndarray:
        """``size`` draws of R's ``R_unif_index(n)`` (0-based integers below ``n``): rejection
        sampling from integers below the next power of two, 16 bits per uniform.

        Rejected candidates are simply skipped, so the accepted draws are the candidates below
        ``n`` in stream order; a block of candidates is drawn at once and the stream is then
        rewound past the unused ones by regenerating only what was consumed.

        Examples
        --------
        >>> RStream(1).unif_index(10, 5).tolist()
        [8, 3, 6, 0, 1]
        """
        n, size = int(n), int(size)
        if n <= 0:
            raise ParameterError("n", f"must be >= 1, got {n}")
        if size <= 0:
            return np.empty(0, dtype=np.int64)
        bits = math.ceil(math.log2(n)) if n > 1 else 0
        per = bits // 16 + 1  # uniforms per candidate
        mask = (1 << bits) - 1
        # probability of acceptance is > 1/2, so ~2 candidates per draw suffice; start there
        state = self._bg.state
        drawn0 = self.drawn
        need = size
        taken: list[np.ndarray] = []
        consumed = 0
        chunk = int(size * (1 << bits) / n * 1.1) + 16
        while need > 0:
            u = self.runif(chunk * per).reshape(chunk, per)
            v = np.zeros(chunk, dtype=np.int64)
            for k in range(per):
                v = v * 65536 + np.floor(u[:, k] * 65536).astype(np.int64)
            v &= mask
            ok = np.flatnonzero(v < n)
            if len(ok) >= need:
                last = ok[need - 1]
                taken.append(v[ok[:need]])
                consumed += (last + 1) * per
                need = 0
            else:
                taken.append(v[ok])
                consumed += chunk * per
                need -= len(ok)
        # rewind and advance by exactly what R would have consumed
        self._bg.state = state
        self.drawn = drawn0
        self._raw(consumed)
        return np.concatenate(taken)

    def sample(self, values: np.ndarray) -> np.ndarray:
        """``sample(values, replace = TRUE)``: a bootstrap resample of ``values``."""
        values = np.asarray(values)
        return values[self.unif_index(len(values), len(values))]
