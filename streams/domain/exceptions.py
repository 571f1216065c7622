"""Errors the domain raises about its inputs.

`InvalidInput` carries a stable machine-readable `code` (one of `REASON_CODES`, the dead-letter schema's
enum) and a human `detail` an operator can act on; adapters turn it into a dead letter.
"""

from __future__ import annotations

REASON_CODES = frozenset(
    {
        "oversized",
        "malformed_json",
        "not_an_object",
        "missing_field",
        "unknown_field",
        "wrong_type",
        "invalid_value",
        "plate_format",
        "key_mismatch",
        "processing_error",
    }
)


class InvalidInput(ValueError):
    """An input message that citygate refuses, with the reason why."""

    def __init__(self, code: str, detail: str) -> None:
        if code not in REASON_CODES:
            raise ValueError(f"unknown dead-letter reason code {code!r}")
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
