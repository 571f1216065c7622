"""Errors the domain raises about its inputs.

`InvalidInput` carries a stable machine-readable `code` (one of `REASON_CODES`, the dead-letter schema's
enum) and a human `detail` an operator can act on; adapters turn it into a dead letter.
"""

from __future__ import annotations

# The refusals that say who (or who not) stands behind an input (streams/domain/identity/): no signature,
# a signature that is not the signer's, a signer the registry does not know or has revoked, a signer whose
# roles do not allow it, a record sent again. Each is audited besides its dead letter.
REFUSAL_CODES = frozenset(
    {"unsigned", "bad_signature", "unknown_signer", "revoked_signer", "not_authorised", "replayed"}
)
REASON_CODES = frozenset(
    {
        *REFUSAL_CODES,
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


class Refused(InvalidInput):
    """Input whose signer is missing, unknown, revoked, forged, not allowed to do it, or replayed: a dead
    letter like any refusal, and an audit record besides (who claimed to do what), and no other effect."""

    def __init__(self, code: str, detail: str, *, claimed_by: str | None = None) -> None:
        if code not in REFUSAL_CODES:
            raise ValueError(f"{code!r} is not a refusal code")
        super().__init__(code, detail)
        self.claimed_by = claimed_by
