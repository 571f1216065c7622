"""The worker's Faust credentials, from the one connection description (streams/connection.py).

Faust decides the security protocol from the credentials object: SASL credentials without an ssl_context
mean SASL_PLAINTEXT, passwords in the clear, with no warning. `faust_credentials` always passes the TLS
context for SASL_SSL, and then checks that what Faust will use is the protocol that was asked for; a
difference is refused at start (`SettingsError`), never run.
"""

from __future__ import annotations

import faust
from faust.types.auth import CredentialsT

from streams.connection import Connection
from streams.settings import SettingsError


def faust_credentials(connection: Connection) -> CredentialsT | None:
    """Faust's broker credentials for `connection` (None: PLAINTEXT)."""
    credentials: CredentialsT | None
    if connection.uses_sasl:
        credentials = faust.SASLCredentials(
            username=connection.sasl_username,
            password=connection.sasl_password,
            ssl_context=connection.ssl_context(),
            mechanism=connection.sasl_mechanism,
        )
    elif connection.uses_ssl:
        credentials = faust.SSLCredentials(connection.ssl_context())
    else:
        credentials = None
    used = "PLAINTEXT" if credentials is None else credentials.protocol.value
    if used != connection.security_protocol:
        raise SettingsError(
            f"Faust would connect with {used}, not the {connection.security_protocol} asked for; "
            "refusing to start"
        )
    return credentials
