"""How every citygate client connects to Kafka: one description, checked once, handed to each client library.

The worker's Faust app, its own aiokafka consumers (hits, watchlist replica, followers, retro scan) and every
tool on kafka-python (console, simulate, scenario, tail, admin) read the same `KAFKA_*` variables
(streams/settings.py) and get their arguments from here, so no client can be left on PLAINTEXT by accident.

A configuration that cannot be what was meant is refused at start with one line (`ConnectionError_`), never
quietly weakened: SSL without a CA file, SASL without a username or password, a client certificate without
its key. Faust in particular picks SASL_PLAINTEXT for SASL credentials that carry no ssl_context; the worker
builds its credentials from `Connection.ssl_context()` and checks the protocol Faust ends up with
(streams/worker/app.py).
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")


class ConnectionConfigError(ValueError):
    """The KAFKA_* variables describe no connection citygate can make; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Connection:
    """Where the cluster is and how to authenticate to it (validated: build with `connection()`)."""

    bootstrap: str
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"
    sasl_username: str = ""
    sasl_password: str = field(default="", repr=False)
    ssl_cafile: str = ""
    ssl_certfile: str = ""
    ssl_keyfile: str = ""

    @property
    def servers(self) -> list[str]:
        return [server.strip() for server in self.bootstrap.split(",") if server.strip()]

    @property
    def uses_ssl(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    @property
    def is_plaintext(self) -> bool:
        """Nothing on the wire is encrypted (PLAINTEXT, SASL_PLAINTEXT): fine for a laptop only."""
        return not self.uses_ssl

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context of SSL and SASL_SSL (server verified against the CA, hostname checked; the
        client certificate for mutual TLS when given); None for the plaintext protocols."""
        if not self.uses_ssl:
            return None
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ssl_cafile)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.ssl_certfile:
            context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile or None)
        return context

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for any aiokafka or kafka-python client (both take the same names)."""
        found: dict[str, Any] = {
            "bootstrap_servers": self.servers,
            "security_protocol": self.security_protocol,
        }
        if self.uses_ssl:
            found["ssl_context"] = self.ssl_context()
        if self.uses_sasl:
            found.update(
                sasl_mechanism=self.sasl_mechanism,
                sasl_plain_username=self.sasl_username,
                sasl_plain_password=self.sasl_password,
            )
        return found

    def tool_client_kwargs(self) -> dict[str, Any]:
        """`client_kwargs` for the tools' kafka-python clients, which give up reaching the cluster after
        `TOOL_BOOTSTRAP_TIMEOUT_S` (an operator waits for an answer; the worker's clients keep retrying)."""
        return {**self.client_kwargs(), "bootstrap_timeout_ms": int(TOOL_BOOTSTRAP_TIMEOUT_S * 1000)}

    def describe(self) -> str:
        """One line for a log: the protocol, mechanism and user, never the password."""
        parts = [self.security_protocol]
        if self.uses_sasl:
            parts.append(f"{self.sasl_mechanism} as {self.sasl_username}")
        if self.uses_ssl:
            parts.append("mutual TLS" if self.ssl_certfile else "TLS")
        return f"{self.bootstrap} ({', '.join(parts)})"


# How long a tool waits to reach the cluster before it gives up with one line (the clients' default is 30 s).
TOOL_BOOTSTRAP_TIMEOUT_S = 10.0
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$")


def check_bootstrap(bootstrap: str) -> list[str]:
    """The `host:port` servers of a bootstrap list; `ConnectionConfigError` (one line, with an example)
    for anything a client would only fail on after its timeout: a scheme, no port, a port that is not a
    number in 1..65535, a host with characters no host name has."""
    servers = [server.strip() for server in bootstrap.split(",") if server.strip()]
    if not servers:
        raise ConnectionConfigError("KAFKA_BOOTSTRAP is empty: give the brokers as host:port[,host:port…]")
    for server in servers:
        example = "give host:port[,host:port…], e.g. localhost:9092"
        if "://" in server:
            raise ConnectionConfigError(f"KAFKA_BOOTSTRAP server {server!r} has a scheme: {example}")
        host, colon, port = server.rpartition(":")
        if not colon or not host:
            raise ConnectionConfigError(f"KAFKA_BOOTSTRAP server {server!r} has no port: {example}")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConnectionConfigError(
                f"KAFKA_BOOTSTRAP server {server!r}: port {port!r} is not a number in 1..65535; {example}"
            )
        if not _HOST.match(host):
            raise ConnectionConfigError(
                f"KAFKA_BOOTSTRAP server {server!r}: {host!r} is not a host name; {example}"
            )
    return servers


def connection(
    *,
    bootstrap: str,
    security_protocol: str = "PLAINTEXT",
    sasl_mechanism: str = "SCRAM-SHA-512",
    sasl_username: str = "",
    sasl_password: str = "",
    sasl_password_file: str = "",
    ssl_cafile: str = "",
    ssl_certfile: str = "",
    ssl_keyfile: str = "",
) -> Connection:
    """A checked `Connection`; `ConnectionConfigError` naming the variable at fault if it cannot be."""
    protocol = security_protocol.strip().upper() or "PLAINTEXT"
    if protocol not in PROTOCOLS:
        raise ConnectionConfigError(
            f"KAFKA_SECURITY_PROTOCOL={security_protocol!r} is none of {', '.join(PROTOCOLS)}"
        )
    check_bootstrap(bootstrap)
    mechanism = sasl_mechanism.strip().upper() or "SCRAM-SHA-512"
    password = sasl_password
    if protocol.startswith("SASL_"):
        if mechanism not in MECHANISMS:
            raise ConnectionConfigError(
                f"KAFKA_SASL_MECHANISM={sasl_mechanism!r} is none of {', '.join(MECHANISMS)}"
            )
        if not sasl_username:
            raise ConnectionConfigError(f"KAFKA_SECURITY_PROTOCOL={protocol} needs KAFKA_SASL_USERNAME")
        if sasl_password and sasl_password_file:
            raise ConnectionConfigError("give KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both")
        if sasl_password_file:
            password = _read_secret(sasl_password_file)
        if not password:
            raise ConnectionConfigError(
                f"KAFKA_SECURITY_PROTOCOL={protocol} needs KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE"
            )
    if protocol in ("SSL", "SASL_SSL"):
        if not ssl_cafile:
            raise ConnectionConfigError(
                f"KAFKA_SECURITY_PROTOCOL={protocol} needs KAFKA_SSL_CAFILE (the CA that signed the brokers' "
                "certificates): citygate does not connect to a broker it cannot verify"
            )
        _readable("KAFKA_SSL_CAFILE", ssl_cafile)
        if bool(ssl_certfile) != bool(ssl_keyfile):
            raise ConnectionConfigError("mutual TLS needs both KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE")
        for name, path in (("KAFKA_SSL_CERTFILE", ssl_certfile), ("KAFKA_SSL_KEYFILE", ssl_keyfile)):
            if path:
                _readable(name, path)
    elif ssl_cafile or ssl_certfile or ssl_keyfile:
        raise ConnectionConfigError(
            f"KAFKA_SSL_* files are set but KAFKA_SECURITY_PROTOCOL={protocol} does not use TLS "
            "(SSL or SASL_SSL): say which you mean"
        )
    found = Connection(
        bootstrap=bootstrap,
        security_protocol=protocol,
        sasl_mechanism=mechanism,
        sasl_username=sasl_username if protocol.startswith("SASL_") else "",
        sasl_password=password if protocol.startswith("SASL_") else "",
        ssl_cafile=ssl_cafile,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )
    if found.uses_ssl:
        try:
            found.ssl_context()
        except (ssl.SSLError, OSError) as exc:
            raise ConnectionConfigError(f"the KAFKA_SSL_* files do not make a TLS context: {exc}") from None
    return found


def _readable(name: str, path: str) -> None:
    if not Path(path).is_file():
        raise ConnectionConfigError(f"{name}={path} is not a readable file")


def _read_secret(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConnectionConfigError(
            f"KAFKA_SASL_PASSWORD_FILE={path} cannot be read: {exc.strerror}"
        ) from None
