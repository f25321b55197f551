"""Notifications leave onego through a notifier.

Every event's notifications are stored in the same transaction as the event (an outbox),
so the embedded default needs nothing more: pages show the stored messages. With SMTP
configured, the worker's dispatcher sends each unsent message by e-mail to its recipients
and marks it sent; a crash between send and mark can repeat a mail, never lose one.

Mail carries case numbers and names of items, so it leaves encrypted: STARTTLS by default
(a server that does not offer it gets nothing), or implicit TLS (SMTP_TLS), the server's
certificate checked against the system's CAs or SMTP_TLS_CA; with SMTP_USER the notifier
logs in, only ever over TLS.
"""

import asyncio
import logging
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from runtime.settings import Settings
from store.models import Audience, Notification, Role, User

log = logging.getLogger("onego.notifier")


class Notifier(Protocol):
    def send(self, notification: Notification, recipients: list[str]) -> None: ...


class SmtpNotifier:
    """Sends notifications as plain-text e-mails (zh-CN first, English below)."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        timeout: float = 10.0,
        *,
        starttls: bool = True,
        tls: bool = False,
        user: str = "",
        password: str = "",
        context: ssl.SSLContext | None = None,
    ):
        if user and not (starttls or tls):
            raise ValueError("SMTP login needs STARTTLS or TLS; SMTP 登录须使用 STARTTLS 或 TLS")
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout
        self.starttls, self.tls, self.user, self.password = starttls, tls, user, password
        self.context = context or ssl.create_default_context()

    @classmethod
    def from_settings(cls, settings: Settings) -> "SmtpNotifier":
        context = ssl.create_default_context(
            cafile=str(settings.smtp_tls_ca) if settings.smtp_tls_ca else None
        )
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            starttls=settings.smtp_starttls and not settings.smtp_tls,
            tls=settings.smtp_tls,
            user=settings.smtp_user,
            password=settings.smtp_password,
            context=context,
        )

    def _connect(self) -> smtplib.SMTP:
        if self.tls:
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self.context
            )
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                # raises SMTPNotSupportedError when the server does not offer STARTTLS:
                # the mail stays in the outbox rather than leave in clear
                smtp.starttls(context=self.context)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, notification: Notification, recipients: list[str]) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(recipients)
        message["Subject"] = f"[onego] {notification.text['zh']} / {notification.text['en']}"
        message.set_content(
            f"{notification.text['zh']}\n{notification.text['en']}\n\n"
            f"办件 / case: {notification.case_id}\n"
        )
        with self._connect() as smtp:
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


def recipients(session: Session, notification: Notification) -> list[str]:
    """E-mail addresses of whoever the notification is for."""
    if notification.audience is Audience.applicant:
        query = select(User).where(User.id == notification.applicant_id)
    else:
        role = Role.supervisor if notification.audience is Audience.supervisor else Role.clerk
        query = select(User).where(User.role == role, User.department == notification.department)
    return [u.email for u in session.exec(query) if u.email]


def dispatch_pending(engine: Engine, notifier: Notifier, limit: int = 100) -> int:
    """Send unsent notifications; returns how many were sent."""
    sent = 0
    with Session(engine) as session:
        pending = session.exec(
            select(Notification)
            .where(col(Notification.sent_at).is_(None))
            .order_by(col(Notification.id))
            .limit(limit)
        ).all()
        for notification in pending:
            addresses = recipients(session, notification)
            if addresses:
                notifier.send(notification, addresses)
                sent += 1
            notification.sent_at = datetime.now(UTC)
            session.add(notification)
            session.commit()
    return sent


async def run_dispatcher(engine: Engine, notifier: Notifier, interval: float = 5.0) -> None:
    """Send what the outbox holds, forever (the worker runs it when SMTP is configured)."""
    while True:
        try:
            await asyncio.to_thread(dispatch_pending, engine, notifier)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("mail not sent, will retry: %s", exc)
        await asyncio.sleep(interval)
