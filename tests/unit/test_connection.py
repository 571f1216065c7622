"""streams/connection.py: one checked connection description for every client; a configuration that cannot
be what was meant is one clear line at start, never a silent downgrade."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest

from streams.connection import ConnectionConfigError, connection
from streams.settings import Settings, SettingsError

BOOT = "b1:9093,b2:9093"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throwaway CA and a client certificate it signed (openssl, as an operator would make them)."""
    where = tmp_path_factory.mktemp("tls")
    ca_key, ca, key, csr, cert = (
        where / n for n in ("ca.key", "ca.pem", "client.key", "client.csr", "client.pem")
    )
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        str(ca_key),
        "-out",
        str(ca),
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
    )
    run(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=operator"
    )
    run(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca),
        "-CAkey",
        str(ca_key),
        "-CAcreateserial",
        "-out",
        str(cert),
        "-days",
        "2",
    )
    return {"ca": ca, "key": key, "cert": cert}


def test_plaintext_is_the_default_and_needs_nothing() -> None:
    found = connection(bootstrap=BOOT)
    assert found.security_protocol == "PLAINTEXT" and found.is_plaintext and found.ssl_context() is None
    assert found.client_kwargs() == {
        "bootstrap_servers": ["b1:9093", "b2:9093"],
        "security_protocol": "PLAINTEXT",
    }


def test_sasl_ssl_gives_every_client_a_verifying_tls_context_and_scram(tls_files: dict[str, Path]) -> None:
    found = connection(
        bootstrap=BOOT,
        security_protocol="sasl_ssl",
        sasl_username="gateway",
        sasl_password="s3cret",
        ssl_cafile=str(tls_files["ca"]),
    )
    kwargs = found.client_kwargs()
    assert kwargs["security_protocol"] == "SASL_SSL" and kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert kwargs["sasl_plain_username"] == "gateway" and kwargs["sasl_plain_password"] == "s3cret"
    context = kwargs["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert "s3cret" not in repr(found) and "s3cret" not in found.describe()


def test_the_password_can_come_from_a_file(tmp_path: Path, tls_files: dict[str, Path]) -> None:
    secret = tmp_path / "password"
    secret.write_text("from-a-file\n")
    found = connection(
        bootstrap=BOOT,
        security_protocol="SASL_SSL",
        sasl_username="operator",
        sasl_password_file=str(secret),
        ssl_cafile=str(tls_files["ca"]),
    )
    assert found.sasl_password == "from-a-file"


def test_mutual_tls_loads_the_client_certificate(tls_files: dict[str, Path]) -> None:
    found = connection(
        bootstrap=BOOT,
        security_protocol="SSL",
        ssl_cafile=str(tls_files["ca"]),
        ssl_certfile=str(tls_files["cert"]),
        ssl_keyfile=str(tls_files["key"]),
    )
    assert found.describe().endswith("(SSL, mutual TLS)")


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"security_protocol": "TLS"}, "KAFKA_SECURITY_PROTOCOL='TLS' is none of"),
        (
            {"security_protocol": "SASL_SSL", "sasl_username": "u", "sasl_password": "p"},
            "needs KAFKA_SSL_CAFILE",
        ),
        ({"security_protocol": "SSL"}, "needs KAFKA_SSL_CAFILE"),
        ({"security_protocol": "SASL_PLAINTEXT", "sasl_password": "p"}, "needs KAFKA_SASL_USERNAME"),
        ({"security_protocol": "SASL_PLAINTEXT", "sasl_username": "u"}, "needs KAFKA_SASL_PASSWORD"),
        (
            {
                "security_protocol": "SASL_PLAINTEXT",
                "sasl_username": "u",
                "sasl_password": "p",
                "sasl_mechanism": "MD5",
            },
            "KAFKA_SASL_MECHANISM='MD5' is none of",
        ),
        (
            {
                "security_protocol": "SASL_PLAINTEXT",
                "sasl_username": "u",
                "sasl_password": "p",
                "sasl_password_file": "/x",
            },
            "not both",
        ),
        ({"ssl_cafile": "/etc/ca.pem"}, "does not use TLS"),
        ({"security_protocol": "SSL", "ssl_cafile": "/no/such/ca.pem"}, "is not a readable file"),
    ],
)
def test_a_configuration_that_cannot_be_meant_is_one_line(given: dict[str, str], says: str) -> None:
    with pytest.raises(ConnectionConfigError, match=".*") as raised:
        connection(bootstrap=BOOT, **given)
    assert says in str(raised.value) and "\n" not in str(raised.value)


def test_a_client_certificate_without_its_key_is_refused(tls_files: dict[str, Path]) -> None:
    with pytest.raises(ConnectionConfigError, match="both KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE"):
        connection(
            bootstrap=BOOT,
            security_protocol="SSL",
            ssl_cafile=str(tls_files["ca"]),
            ssl_certfile=str(tls_files["cert"]),
        )


def test_a_ca_file_that_is_no_certificate_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "ca.pem"
    junk.write_text("not a certificate")
    with pytest.raises(ConnectionConfigError, match="do not make a TLS context"):
        connection(bootstrap=BOOT, security_protocol="SSL", ssl_cafile=str(junk))


def test_settings_read_the_kafka_variables_and_refuse_a_bad_combination_at_start(
    tls_files: dict[str, Path],
) -> None:
    env = {
        "KAFKA_BOOTSTRAP": BOOT,
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_USERNAME": "worker",
        "KAFKA_SASL_PASSWORD": "pw",
        "KAFKA_SSL_CAFILE": str(tls_files["ca"]),
    }
    settings = Settings.from_env(env)
    assert settings.connection().security_protocol == "SASL_SSL"
    assert "pw" not in repr(settings)
    with pytest.raises(SettingsError, match="needs KAFKA_SSL_CAFILE"):
        Settings.from_env({**env, "KAFKA_SSL_CAFILE": ""})
