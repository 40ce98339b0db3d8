"""Counter-based random numbers in plain tensor ops (SplitMix64 + Box–Muller), for compiled blocks of steps.

Why: `torch.randn` with our own generator cannot be fused into a compiled kernel, and on a CPU drawing
the 2·10⁶ normals of one ULA step of 10⁶ chains costs more than the rest of the step. Here random word
`i` of the stream with key `k` is a pure function of (k, i): the SplitMix64 output of seed `k` at
position `i` (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators"; it passes
TestU01's BigCrush), written in int64 tensor ops, so `torch.compile` fuses the generation into the
step's own kernel and no buffer of random numbers is ever written or read. Each 64-bit word gives two
24-bit uniforms (float32 resolution, never 0 or 1), and two uniforms give two normals by Box–Muller.
Normals are therefore bounded by √(2·25·ln 2) ≈ 5.9 (a tail of probability 4·10⁻⁹ is cut).
"""
from __future__ import annotations

import math

import torch

Tensor = torch.Tensor

_MASK64 = (1 << 64) - 1


def to_int64(c: int) -> int:
    """An unsigned 64-bit integer as the int64 with the same bits."""
    return c - (1 << 64) if c >= 1 << 63 else c


GAMMA = to_int64(0x9E3779B97F4A7C15)  # SplitMix64's increment (odd; 2^64 / golden ratio)
_M1 = to_int64(0xBF58476D1CE4E5B9)
_M2 = to_int64(0x94D049BB133111EB)
_U24 = 1.0 / (1 << 24)


def _srl(z: Tensor, s: int) -> Tensor:
    """Logical right shift of int64 bits (torch's >> is arithmetic: mask the copied sign bits)."""
    return (z >> s) & ((1 << (64 - s)) - 1)


def splitmix64(key: Tensor, pos: Tensor) -> Tensor:
    """SplitMix64 words (int64 bits) at positions `pos` (int64, any shape) of the stream seeded by `key` (int64 scalar)."""
    z = pos * GAMMA + key  # int64 arithmetic wraps modulo 2^64, as the generator's uint64 does
    z = (z ^ _srl(z, 30)) * _M1
    z = (z ^ _srl(z, 27)) * _M2
    return z ^ _srl(z, 31)


def reference_splitmix64(key: int, pos: int) -> int:
    """The same word in plain Python integers (unsigned), for tests."""
    z = (pos * (GAMMA & _MASK64) + key) & _MASK64
    z = ((z ^ (z >> 30)) * (_M1 & _MASK64)) & _MASK64
    z = ((z ^ (z >> 27)) * (_M2 & _MASK64)) & _MASK64
    return z ^ (z >> 31)


def uniforms(word: Tensor, dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
    """Two uniforms in (0, 1) from the high and the middle 24 bits of each word."""
    hi = (_srl(word, 40).to(dtype) + 0.5) * _U24
    mid = (((word >> 16) & 0xFFFFFF).to(dtype) + 0.5) * _U24
    return hi, mid


def normal_pairs(word: Tensor, dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
    """Two independent standard normals per word (Box–Muller)."""
    u1, u2 = uniforms(word, dtype)
    r = torch.sqrt(-2.0 * torch.log(u1))
    angle = (2.0 * math.pi) * u2
    return r * torch.cos(angle), r * torch.sin(angle)


def words_per_draw(dim: int, with_uniform: bool) -> int:
    """64-bit words one transition of one chain uses: ⌈dim/2⌉ for its normals, one more for its uniform."""
    return (dim + 1) // 2 + int(with_uniform)


def draw(key: Tensor, first_word: Tensor, dim: int, with_uniform: bool,
         dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor | None]:
    """Normals (n, dim) and, if asked, uniforms (n,) of one transition from consecutive words.

    first_word: (n,) int64, the stream position of each chain's first word; the chain then uses
    `words_per_draw(dim, with_uniform)` consecutive positions.
    """
    n_pairs = (dim + 1) // 2
    if n_pairs == 1:
        z0, z1 = normal_pairs(splitmix64(key, first_word), dtype)
        # Coordinate-major like the chains (see samplers.base._draw): mixing layouts makes the
        # compiler write every intermediate to memory instead of fusing the steps.
        normal = torch.stack((z0, z1), 0)[:dim].T
    else:
        offsets = torch.arange(n_pairs, dtype=torch.int64, device=first_word.device)
        z0, z1 = normal_pairs(splitmix64(key, first_word.unsqueeze(-1) + offsets), dtype)
        normal = torch.stack((z0.T, z1.T), 1).reshape(2 * n_pairs, first_word.shape[0])[:dim].T
    if not with_uniform:
        return normal, None
    u, _ = uniforms(splitmix64(key, first_word + n_pairs), dtype)
    return normal, u


def draw_columns(key: Tensor, first_word: Tensor, dim: int, with_uniform: bool,
                 dtype: torch.dtype = torch.float32) -> tuple[list[Tensor], Tensor | None]:
    """`draw` as `dim` normal columns (n,) each: nothing is stacked, so a compiled step stays one loop."""
    normals: list[Tensor] = []
    for pair in range((dim + 1) // 2):
        normals.extend(normal_pairs(splitmix64(key, first_word + pair), dtype))
    u = uniforms(splitmix64(key, first_word + (dim + 1) // 2), dtype)[0] if with_uniform else None
    return normals[:dim], u
