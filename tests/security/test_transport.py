"""Transport: the Temporal client over TLS and mutual TLS (a real TLS endpoint in front of
the dev server), mail over STARTTLS or implicit TLS with a login (a real aiosmtpd server
that refuses anything else), and no mail or password ever sent in clear."""

import asyncio
import contextlib
import datetime
import ipaddress
import smtplib
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from temporalio.service import TLSConfig
from temporalio.testing import WorkflowEnvironment

from cases.notifier import SmtpNotifier
from domain.statuses import EventKind
from runtime.settings import Settings
from runtime.temporal import connect, tls_config
from store.models import Audience, Notification

pytestmark = pytest.mark.timeout(60)


# -- certificates made for the test: a CA, a server and a client ------------------------


@dataclass
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    stranger_cert: Path  # signed by another CA
    stranger_key: Path

    def server_context(self, client_auth: bool = False) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.server_cert, self.server_key)
        if client_auth:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(self.ca)
        return context


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _issue(
    folder: Path,
    name: str,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    server: bool = False,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(issuer[0].subject if issuer else _name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key()),
            critical=False,
        )
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
    )
    if issuer is None:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    elif server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    cert = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    (folder / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / f"{name}.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca = _issue(folder, "ca", None)
    _issue(folder, "server", ca, server=True)
    _issue(folder, "client", ca)
    _issue(folder, "stranger", _issue(folder, "other-ca", None))
    return Pki(
        *(folder / f for f in ("ca.pem", "server.pem", "server.key", "client.pem")),
        folder / "client.key",
        folder / "stranger.pem",
        folder / "stranger.key",
    )


# -- Temporal ------------------------------------------------------------------------------


def test_no_tls_setting_means_plain_grpc() -> None:
    assert tls_config(Settings()) is False


def test_tls_settings_build_the_tls_config(pki: Pki) -> None:
    settings = Settings(
        temporal_tls_ca=pki.ca,
        temporal_tls_cert=pki.client_cert,
        temporal_tls_key=pki.client_key,
        temporal_tls_server_name="temporal.internal",
    )
    config = tls_config(settings)
    assert isinstance(config, TLSConfig)
    assert config.server_root_ca_cert == pki.ca.read_bytes()
    assert config.client_cert == pki.client_cert.read_bytes()
    assert config.client_private_key == pki.client_key.read_bytes()
    assert config.domain == "temporal.internal"
    # an API key is a bearer credential: it implies TLS (the system's CAs)
    keyed = tls_config(Settings(temporal_api_key="k"))
    assert isinstance(keyed, TLSConfig) and keyed.server_root_ca_cert is None
    with pytest.raises(ValueError, match="TEMPORAL_TLS_KEY"):
        tls_config(Settings(temporal_tls_cert=pki.client_cert))


@contextlib.asynccontextmanager
async def tls_front(target: str, context: ssl.SSLContext) -> AsyncIterator[str]:
    """A TLS endpoint (HTTP/2 by ALPN, as gRPC asks) relaying bytes to `target`."""
    context.set_alpn_protocols(["h2"])
    host, _, port = target.rpartition(":")

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(relay, "127.0.0.1", 0, ssl=context)
    try:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


def _target(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


async def test_temporal_over_mutual_tls(
    dev_env: WorkflowEnvironment, pki: Pki, tmp_path: Path
) -> None:
    async with tls_front(_target(dev_env), pki.server_context(client_auth=True)) as address:
        base = Settings(
            temporal_address=address, data_dir=tmp_path, temporal_tls_server_name="localhost"
        )
        trusted = base.model_copy(
            update={
                "temporal_tls_ca": pki.ca,
                "temporal_tls_cert": pki.client_cert,
                "temporal_tls_key": pki.client_key,
            }
        )
        client = await connect(trusted)
        assert await client.service_client.check_health()
        # without a client certificate, with one of another CA, or trusting only the system's
        # CAs, the connection is refused
        refused = [
            base.model_copy(update={"temporal_tls_ca": pki.ca}),
            base.model_copy(
                update={
                    "temporal_tls_ca": pki.ca,
                    "temporal_tls_cert": pki.stranger_cert,
                    "temporal_tls_key": pki.stranger_key,
                }
            ),
            base.model_copy(
                update={"temporal_tls_cert": pki.client_cert, "temporal_tls_key": pki.client_key}
            ),
        ]
        for settings in refused:
            with pytest.raises(RuntimeError):
                client = await connect(settings)
                await client.service_client.check_health()


async def test_plain_dev_server_still_connects(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    client = await connect(Settings(temporal_address=_target(dev_env), data_dir=tmp_path))
    assert await client.service_client.check_health()


# -- SMTP ----------------------------------------------------------------------------------


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []
        self.logins: list[tuple[str, bool]] = []  # (user, over TLS)

    def handle_message(self, message) -> None:  # type: ignore[no-untyped-def]
        self.messages.append(message)

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:  # type: ignore[no-untyped-def]
        assert isinstance(auth_data, LoginPassword)
        over_tls = session.ssl is not None or server.transport.get_extra_info("ssl_object")
        self.logins.append((auth_data.login.decode(), bool(over_tls)))
        ok = auth_data.login == b"onego" and auth_data.password == b"mail-secret"
        return AuthResult(success=ok)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def smtp_server(**options: object) -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=_free_port(), authenticator=inbox.authenticate, **options
    )
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def _notification() -> Notification:
    return Notification(
        event_id=1,
        case_id="case-1",
        audience=Audience.applicant,
        kind=EventKind.task_opened,
        text={"zh": "已办结", "en": "done"},
    )


def _mail_settings(controller: Controller, pki: Pki, **changes: object) -> Settings:
    return Settings(
        smtp_host="127.0.0.1",
        smtp_port=controller.port,
        smtp_tls_ca=pki.ca,
        smtp_user="onego",
        smtp_password="mail-secret",
        **changes,  # type: ignore[arg-type]
    )


def test_mail_goes_out_over_starttls_with_a_login(pki: Pki) -> None:
    # the server refuses MAIL before STARTTLS, AUTH in clear and mail without AUTH
    with smtp_server(
        tls_context=pki.server_context(),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
    ) as (controller, inbox):
        SmtpNotifier.from_settings(_mail_settings(controller, pki)).send(
            _notification(), ["parent@example.org"]
        )
        assert inbox.logins == [("onego", True)]
        assert len(inbox.messages) == 1
        # a notifier told not to use STARTTLS gets nothing through that server
        plain = SmtpNotifier("127.0.0.1", controller.port, "onego@example.org", starttls=False)
        with pytest.raises(smtplib.SMTPException):
            plain.send(_notification(), ["parent@example.org"])
        assert len(inbox.messages) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_mail_over_implicit_tls(pki: Pki) -> None:
    # (aiosmtpd's auth_require_tls knows STARTTLS only: the whole connection is TLS here)
    with smtp_server(
        ssl_context=pki.server_context(), auth_required=True, auth_require_tls=False
    ) as (controller, inbox):
        settings = _mail_settings(controller, pki, smtp_tls=True)
        SmtpNotifier.from_settings(settings).send(_notification(), ["parent@example.org"])
        assert inbox.logins == [("onego", True)]
        assert len(inbox.messages) == 1


def test_no_mail_and_no_password_in_clear(pki: Pki) -> None:
    # a server without STARTTLS: nothing is sent (the mail stays in the outbox)
    with smtp_server(auth_require_tls=False) as (controller, inbox):
        notifier = SmtpNotifier.from_settings(_mail_settings(controller, pki))
        with pytest.raises(smtplib.SMTPNotSupportedError):
            notifier.send(_notification(), ["parent@example.org"])
        assert inbox.messages == [] and inbox.logins == []
    # an untrusted certificate: refused before any login
    with smtp_server(tls_context=pki.server_context(), require_starttls=True) as (
        controller,
        inbox,
    ):
        untrusted = _mail_settings(controller, pki).model_copy(update={"smtp_tls_ca": None})
        with pytest.raises(ssl.SSLCertVerificationError):
            SmtpNotifier.from_settings(untrusted).send(_notification(), ["parent@example.org"])
        assert inbox.messages == [] and inbox.logins == []
    # a login without TLS is refused before connecting
    with pytest.raises(ValueError, match="STARTTLS"):
        SmtpNotifier("127.0.0.1", 25, "onego@example.org", starttls=False, user="onego")
