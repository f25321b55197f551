"""Notifications leave onego through a notifier.

Every event's notifications are stored in the same transaction as the event (an outbox),
so the embedded default needs nothing more: pages show the stored messages. With SMTP
configured, the worker's dispatcher sends each unsent message by e-mail to its recipients
and marks it sent; a crash between send and mark can repeat a mail, never lose one.
"""

import asyncio
import logging
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.models import Audience, Notification, Role, User

log = logging.getLogger("onego.notifier")


class Notifier(Protocol):
    def send(self, notification: Notification, recipients: list[str]) -> None: ...


class SmtpNotifier:
    """Sends notifications as plain-text e-mails (zh-CN first, English below)."""

    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0):
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def send(self, notification: Notification, recipients: list[str]) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(recipients)
        message["Subject"] = f"[onego] {notification.text['zh']} / {notification.text['en']}"
        message.set_content(
            f"{notification.text['zh']}\n{notification.text['en']}\n\n"
            f"办件 / case: {notification.case_id}\n"
        )
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
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
