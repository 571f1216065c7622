"""Who stands behind an input: signatures, the operators' registry, people's roles and replay windows.

Pure policy (issue 15.4): the Ed25519 arithmetic is passed in as a `Verify` (streams/signing.py has the
`cryptography` one), so everything here is decided on bytes, state and times given to it.
"""
