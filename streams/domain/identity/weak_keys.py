"""Ed25519 public keys that are points of small order (the identity, and the points of order 2, 4 and 8).

For such a key a signature can be made without any private key (OpenSSL, under `cryptography`, verifies
the all-zero key with the all-zero signature over any message), so neither the registry nor the root may
hold one. Pure arithmetic on the curve (RFC 8032 §5.1.3 decoding): [8]P is the identity exactly for those.
"""

from __future__ import annotations

_P = 2**255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _decode(encoded: bytes) -> tuple[int, int] | None:
    y = int.from_bytes(encoded, "little") & ((1 << 255) - 1)
    sign = encoded[31] >> 7
    if y >= _P:
        return None
    u, v = (y * y - 1) % _P, (_D * y * y + 1) % _P
    x = (u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P)) % _P
    if (v * x * x - u) % _P != 0:
        x = (x * _SQRT_M1) % _P
        if (v * x * x - u) % _P != 0:
            return None  # not on the curve
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = _P - x
    return x, y


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = _D * x1 * x2 * y1 * y2 % _P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, _P - 2, _P) % _P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, _P - 2, _P) % _P
    return x3, y3


def is_weak_public_key(encoded: bytes) -> bool:
    """True for a 32-byte key that is not a point of the curve or is one of small order."""
    if len(encoded) != 32:
        return True
    point = _decode(encoded)
    if point is None:
        return True
    for _ in range(3):
        point = _add(point, point)
    return point == (0, 1)
