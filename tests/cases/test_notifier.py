"""Stored notifications (the outbox) and their dispatch by SMTP to a real local SMTP server."""

import socket
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlmodel import Session, select

from cases.notifier import SmtpNotifier, dispatch_pending
from cases.submission import insert_case, new_case, validate_submission
from catalog.loader import get_catalog
from domain.records import ItemRecord
from domain.statuses import CaseStatus, EventKind, ItemStatus
from forms.prefill import Prefilled
from store import case_writes as cases
from store.db import session_scope
from store.models import Notification, Role
from store.users import add_user
from tests.helpers import newborn_form, unique


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []

    def handle_message(self, message) -> None:  # type: ignore[no-untyped-def]
        self.messages.append(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _case(engine, applicant_email: str) -> str:
    catalog = get_catalog()
    with Session(engine) as session:
        applicant = add_user(
            session, unique("applicant"), "pw", Role.applicant, email=applicant_email
        )
        add_user(
            session,
            unique("clerk"),
            "pw",
            Role.clerk,
            "public-security",
            email=f"{unique('police')}@example.org",
        )
        workflow_input = validate_submission(catalog, "newborn", newborn_form())
        case, items, _ = new_case(catalog, applicant.id, workflow_input, None, Prefilled())
        # running, as its workflow's first write leaves it: a case stored as submitted would be
        # started by the next test that starts the API on this database
        case.status = CaseStatus.running
        insert_case(session, case, items)
        session.commit()
        return case.id


def test_events_are_stored_once_with_their_notifications_and_mailed(engine, smtp):
    controller, inbox = smtp
    email = f"{unique('mother')}@example.org"
    case_id = _case(engine, email)
    at = datetime.now(UTC)
    opened = ItemRecord(
        case_id=case_id,
        item="household_registration",
        event=EventKind.task_opened,
        status=ItemStatus.awaiting_review,
        at=at,
    )
    done = ItemRecord(
        case_id=case_id,
        item="birth_medical_certificate",
        event=EventKind.done,
        status=ItemStatus.done,
        at=at,
        outputs={"birth_certificate_no": "Q1"},
    )
    for record in (opened, done, done):  # the retried write changes nothing
        with session_scope(engine) as session:
            cases.record_item(session, record, get_catalog())
    with Session(engine) as session:
        stored = session.exec(select(Notification).where(Notification.case_id == case_id)).all()
    assert sorted((n.kind, n.audience) for n in stored) == [
        (EventKind.done, "applicant"),
        (EventKind.task_opened, "department"),
    ]
    assert {n.text["zh"] for n in stored} == {
        "新的审核任务：出生登记（户口登记）",
        "已办结：出生医学证明首次签发",
    }

    notifier = SmtpNotifier(
        controller.hostname, controller.port, "onego@example.org", starttls=False
    )  # plain: STARTTLS and login are tested in tests/core/test_transport.py
    # Other tests' notifications may be pending in the shared database; ours are sent too.
    while dispatch_pending(engine, notifier):
        pass
    mine = [m for m in inbox.messages if email in m["To"]]
    assert len(mine) == 1
    subject = str(make_header(decode_header(mine[0]["Subject"])))
    assert "已办结" in subject and "Done" in subject
    with Session(engine) as session:
        assert all(
            n.sent_at
            for n in session.exec(select(Notification).where(Notification.case_id == case_id))
        )
    assert message_from_bytes(mine[0].as_bytes())
