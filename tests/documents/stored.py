"""Rows of a case as the read model holds them, written directly (no workflow runs): the
documents, receipts and certificates read nothing else."""

import io
import random
import string
import uuid
from datetime import UTC, datetime

from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session

from catalog.loader import get_catalog
from domain.statuses import ItemStatus
from store.models import Case, CaseItem

PDF = b"%PDF-1.7\n% onego test material: 4f1c-plaintext-marker\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64 + b"This program"


def unique_number(sequence: int = 42) -> str:
    """A case number no other test uses (its place code is random; the database is shared)."""
    place = "".join(random.choices(string.ascii_uppercase, k=6))
    return f"{place}-20261201-{sequence:06d}"


def image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


def stored_case(
    engine: Engine,
    applicant_id: int,
    scenario: str = "newborn",
    status: ItemStatus = ItemStatus.pending,
    number: str | None = None,
) -> Case:
    """A case of `scenario` with every item of its spec, each in `status`."""
    spec = get_catalog().spec(scenario)
    assert spec is not None
    case = Case(
        id=str(uuid.uuid4()),
        scenario=scenario,
        scenario_version=spec.version,
        applicant_id=applicant_id,
        request_hash="0" * 64,
        form={},
        submitted_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        materials_baseline=10,
        materials_provided=2,
        fields_baseline=30,
        fields_typed=10,
        baseline_days=20.0,
        number=number,
    )
    with Session(engine, expire_on_commit=False) as session:
        session.add(case)
        session.flush()
        for position, item in enumerate(spec.items):
            session.add(
                CaseItem(
                    case_id=case.id,
                    item=item.code,
                    position=position,
                    department=item.department,
                    mode=item.mode.value,
                    status=status,
                )
            )
        session.commit()
    return case
