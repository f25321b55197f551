"""Case numbers read aloud and printed on receipts: CQ-20261201-000042 (place code, day,
sequence of the day), allocated in the database.

One row per (place, day) of `case_number_day` holds the last sequence given; allocating is
one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` (SQLite 3.35+ and PostgreSQL): the row
is locked until the caller's transaction ends, so concurrent submissions get distinct,
gapless numbers, and a submission rolled back gives its number back.
"""

import re
import uuid
from datetime import date

from sqlmodel import Session, select

from runtime.settings import get_settings
from store.db import insert
from store.models import Case, CaseNumberDay

NUMBER = re.compile(r"^(?P<place>[A-Z]{2,6})-(?P<day>\d{8})-(?P<seq>\d{6,})$")
DAY_TABLE = CaseNumberDay.__table__  # type: ignore[attr-defined]


def format_number(place: str, day: date, sequence: int) -> str:
    return f"{place}-{day:%Y%m%d}-{sequence:06d}"


def allocate_case_number(session: Session, day: date, place: str | None = None) -> str:
    """The next number of `day` (in the service's time zone, chosen by the caller) for the
    place code of the settings (CASE_NUMBER_PLACE) unless `place` is given. It belongs to
    the caller's transaction: commit it with the case."""
    place = place or get_settings().case_number_place
    statement = (
        insert(session.get_bind(), DAY_TABLE)  # type: ignore[arg-type]
        .values(place=place, day=day, last=1)
        .on_conflict_do_update(
            index_elements=["place", "day"], set_={"last": DAY_TABLE.c["last"] + 1}
        )
        .returning(DAY_TABLE.c["last"])
    )
    sequence = session.connection().execute(statement).scalar_one()
    return format_number(place, day, sequence)


ID_LENGTH = 64  # the case table's id column


def resolve_case_ref(session: Session, ref: str) -> Case | None:
    """The case a reference names: its number (CQ-20261201-000042) or its id (a UUID in any
    case and spelling, or the id as stored, e.g. a synthetic case's); None for no such case."""
    ref = ref.strip()
    if NUMBER.match(ref.upper()):
        return session.exec(select(Case).where(Case.number == ref.upper())).first()
    try:
        case_id = str(uuid.UUID(ref))
    except ValueError:
        case_id = ref
    return session.get(Case, case_id) if 0 < len(case_id) <= ID_LENGTH else None
