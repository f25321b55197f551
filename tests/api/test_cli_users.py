"""`onego users add` stores a hashed password; the user can then log in through the API."""

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli import app
from core.settings import get_settings
from store.models import Role, User
from tests.helpers import Api, unique


@pytest.fixture
def cli_settings(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI reads its settings from the environment: point it at the test's database."""
    monkeypatch.setenv("DATABASE_URL", api.settings.resolved_database_url)
    monkeypatch.setenv("DATA_DIR", str(api.settings.data_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def users_add(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["users", "add", *args])
    return result.exit_code, result.output


# The CLI's database code is the API's: one backend is enough here.
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_users_add_hashes_the_password_and_the_user_logs_in(
    api: Api, cli_settings: None
) -> None:
    name, password = unique("clerk-tax"), "s3cret-pass-word"
    code, output = users_add(name, "--role", "clerk", "--department", "tax", "--password", password)
    assert code == 0, output
    assert f"created {name} (clerk, tax)" in output

    with Session(api.engine) as session:
        user = session.exec(select(User).where(User.username == name)).one()
    assert (user.role, user.department) == (Role.clerk, "tax")
    assert password not in user.password_hash
    assert user.password_hash.startswith("$argon2")

    headers = await api.login(name, password)
    me = await api.http.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["role"], me.json()["department"]) == (
        name,
        "clerk",
        "tax",
    )
    wrong = await api.http.post(
        "/api/v1/auth/token", data={"username": name, "password": password + "x"}
    )
    assert wrong.status_code == 401
    assert wrong.json()["message"]["en"]

    # The same name twice is refused; a clerk needs a known department.
    code, output = users_add(name, "--role", "applicant", "--password", "another-one")
    assert code == 1 and "already exists" in output
    code, output = users_add(unique("clerk"), "--role", "clerk", "--password", "pw-pw-pw")
    assert code == 2, output
    code, output = users_add(
        unique("clerk"), "--role", "clerk", "--department", "nowhere", "--password", "pw-pw-pw"
    )
    assert code == 2 and "unknown department" in output
