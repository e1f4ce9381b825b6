"""Own tracking numbers: prefix + 8-digit sequence + check digit.

The check digit is the UPU S10 one (weights 8 6 4 2 3 5 9 7, modulus 11), so a mistyped digit
on the tracking page is caught before we look anything up.
"""

from __future__ import annotations

import re

_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_SEQUENCE_DIGITS = 8
_PATTERN = re.compile(r"^([A-Z]{2,4})(\d{8})(\d)$")


def check_digit(serial: str) -> int:
    if len(serial) != _SEQUENCE_DIGITS or not serial.isdigit():
        raise ValueError(f"serial must be {_SEQUENCE_DIGITS} digits, got {serial!r}")
    remainder = 11 - sum(int(d) * w for d, w in zip(serial, _WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(remainder, remainder)


def tracking_number(prefix: str, sequence: int) -> str:
    prefix = prefix.upper()
    if not re.fullmatch(r"[A-Z]{2,4}", prefix):
        raise ValueError(f"tracking prefix must be 2-4 letters, got {prefix!r}")
    if not 0 < sequence < 10**_SEQUENCE_DIGITS:
        raise ValueError(f"sequence out of range: {sequence}")
    serial = f"{sequence:0{_SEQUENCE_DIGITS}d}"
    return f"{prefix}{serial}{check_digit(serial)}"


def is_valid(number: str) -> bool:
    match = _PATTERN.match(number.strip().upper())
    return bool(match) and check_digit(match.group(2)) == int(match.group(3))  # type: ignore[union-attr]
