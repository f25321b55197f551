"""The run's applicants and the registries that know some of them.

Every case has its own applicant (a family with a newborn, a business), created for the run
with a valid resident ID number and credit code. Nobody signs in as them: they share one
argon2 hash of a random password that is thrown away.

Which applicants the shared registries hold decides which materials are fetched and which
are asked (forms/prefill.py). `RunRegistries` answers for the run's applicants: a known one
gets the embedded registries' sample record (registries/data), an unknown one nothing.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from stdnum.cn import ric, uscc

from forms.prefill import Identity
from registries.embedded import load_records
from security.tokens import hash_password
from store.models import Role, User

DIVISION = "500103"  # 渝中区, listed in python-stdnum's GB/T 2260 data
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True)
class Applicant:
    id: int
    identity: Identity
    known: bool  # the registries hold this applicant's records


def resident_id(rng: random.Random, sequence: int) -> str:
    # 渝中区 has had its code since Chongqing became a municipality (1997)
    birth = date(1997, 7, 1) + timedelta(days=rng.randrange(8 * 365))
    body = f"{DIVISION}{birth:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(rng: random.Random) -> str:
    body = "91" + DIVISION + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def create_applicants(
    engine: Engine, count: int, hit_rate: float, rng: random.Random, prefix: str
) -> list[Applicant]:
    """`count` applicants, inserted in one statement; a `hit_rate` share known to registries."""
    password_hash = hash_password(secrets.token_urlsafe(24))
    rows: list[dict[str, Any]] = []
    identities: list[tuple[Identity, bool]] = []
    for n in range(count):
        identity = Identity(resident_id=resident_id(rng, n), credit_code=credit_code(rng))
        identities.append((identity, rng.random() < hit_rate))
        rows.append(
            {
                "username": f"{prefix}-{n:06d}",
                "password_hash": password_hash,
                "role": Role.applicant.name,
                "display_name": f"模拟申请人 simulated applicant {n}",
                "resident_id": identity.resident_id,
                "credit_code": identity.credit_code,
            }
        )
    table = User.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(insert(table), rows)
        ids: dict[str, int] = dict(
            connection.execute(
                select(table.c.username, table.c.id).where(table.c.username.like(f"{prefix}-%"))
            ).all()
        )
    return [
        Applicant(ids[row["username"]], identity, known)
        for row, (identity, known) in zip(rows, identities, strict=True)
    ]


class RunRegistries:
    """Registries of the run: the sample record of each registry for known applicants."""

    def __init__(self, applicants: list[Applicant]):
        self._known = {
            key
            for a in applicants
            if a.known
            for key in (a.identity.resident_id, a.identity.credit_code)
            if key
        }
        self._samples = {
            registry: next(iter(records.values()))
            for registry, records in load_records().items()
            if records
        }

    async def lookup(self, registry: str, key: str) -> dict[str, Any] | None:
        if key not in self._known or registry not in self._samples:
            return None
        return dict(self._samples[registry])
