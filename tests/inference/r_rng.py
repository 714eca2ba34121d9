"""R's default random numbers (Mersenne-Twister, Inversion normals), written from R's src/main/RNG.c
and snorm.c, so that published R examples that simulate their data can be rebuilt in Python."""
from __future__ import annotations
import numpy as np
from scipy.special import ndtri

_I2_32M1 = 2.328306437080797e-10  # 1/(2^32 - 1), R's fixup bound
_BIG = 134217728  # 2^27, Inversion's extra precision


class RRandom:
    def __init__(self, seed: int):
        s = seed & 0xFFFFFFFF
        for _ in range(50):  # initial scrambling (RNG_Init)
            s = (69069 * s + 1) & 0xFFFFFFFF
        key = np.empty(625, dtype=np.uint32)
        for j in range(625):
            s = (69069 * s + 1) & 0xFFFFFFFF
            key[j] = s
        # FixupSeeds: dummy[0] = mti = 624, the state is the remaining 624 words
        self._bg = np.random.MT19937()
        self._bg.state = {"bit_generator": "MT19937", "state": {"key": key[1:], "pos": 624}}

    def unif_rand(self, n: int) -> np.ndarray:
        v = self._bg.random_raw(n).astype(np.float64) * 2.3283064365386963e-10
        return np.clip(v, _I2_32M1, 1.0 - _I2_32M1)  # fixup: strictly inside (0, 1)

    def runif(self, n: int, a: float = 0.0, b: float = 1.0) -> np.ndarray:
        return a + (b - a) * self.unif_rand(n)

    def rnorm(self, n: int, mean: float = 0.0, sd: float = 1.0) -> np.ndarray:
        out = np.empty(n)
        for i in range(n):
            u1, u2 = self.unif_rand(2)
            u = np.floor(_BIG * u1) + u2
            out[i] = ndtri(u / _BIG)
        return mean + sd * out
