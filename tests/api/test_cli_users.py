"""`onego users`: add (hashed password, the password policy), passwd, list, disable, enable,
role and totp; each change ends the user's tokens and is audited."""

import getpass
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

import cli
from cli import app
from commands.users import prepare_demo_users
from runtime.settings import Settings, get_settings
from store.db import create_schema, make_engine
from store.models import AuditEvent, Role, User
from store.users import DEMO_PASSWORD, DEMO_USERS
from tests.helpers import Api, unique

PASS = "a long enough pass phrase"


@pytest.fixture
def cli_settings(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI reads its settings from the environment: point it at the test's database."""
    monkeypatch.setenv("DATABASE_URL", api.settings.resolved_database_url)
    monkeypatch.setenv("DATA_DIR", str(api.settings.data_dir))
    monkeypatch.setenv("DATA_KEYS", api.settings.data_keys)
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


def users(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["users", *args])
    return result.exit_code, result.output


def cli_audit(api: Api, user_id: int | None) -> list[tuple[str, str, str]]:
    with Session(api.engine) as session:
        query = select(AuditEvent).where(AuditEvent.object_id == str(user_id))
        rows = session.exec(query.order_by(col(AuditEvent.seq))).all()
    return [(e.action, e.actor_name, e.detail) for e in rows if e.actor_name.startswith("cli:")]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-pw", "at least 12 characters"),
        ("password123456", "too common"),
        ("1qaz2wsx3edc", "too common"),
        ("aaaaaaaaaaaaaa", "too common"),
        ("my-{name}-is-long", "may not contain the user name"),
    ],
)
async def test_the_password_policy_refuses(
    api: Api, cli_settings: None, password: str, why: str
) -> None:
    name = unique("polly")
    code, output = users_add(name, "--role", "applicant", "--password", password.format(name=name))
    assert code == 2 and why in output, output
    assert "密码" in output  # bilingual, zh-CN first
    with Session(api.engine) as session:
        assert session.exec(select(User).where(User.username == name)).first() is None


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_passwd_list_disable_enable_role_end_tokens_and_are_audited(
    api: Api, cli_settings: None
) -> None:
    name, password = unique("ursula"), "first long pass phrase"
    assert users_add(name, "--role", "applicant", "--password", password)[0] == 0
    headers = await api.login(name, password)

    new_password = "second long pass phrase"
    assert users("passwd", name, "--password", "short")[0] == 2  # the policy applies
    code, output = users("passwd", name, "--password", new_password)
    assert code == 0, output
    assert (await api.http.get("/api/v1/auth/me", headers=headers)).status_code == 401
    headers = await api.login(name, new_password)

    code, output = users("role", name, "clerk", "--department", "tax")
    assert code == 0, output
    assert (await api.http.get("/api/v1/auth/me", headers=headers)).status_code == 401
    headers = await api.login(name, new_password)
    me = await api.http.get("/api/v1/auth/me", headers=headers)
    assert (me.json()["role"], me.json()["department"]) == ("clerk", "tax")

    code, output = users("disable", name)
    assert code == 0, output
    assert (await api.http.get("/api/v1/auth/me", headers=headers)).status_code == 401
    code, output = users("list", "--find", name)  # the shared read model holds many users
    assert code == 0 and name in output and "disabled" in output
    assert "ursula" not in users("list", "--find", "ursula_%")[1]  # no wildcards
    code, output = users("enable", name)
    assert code == 0, output
    await api.login(name, new_password)

    assert users("disable", unique("nobody"))[0] == 1
    assert users("delete", name)[0] == 2  # no such command: users are never deleted

    with Session(api.engine) as session:
        user = session.exec(select(User).where(User.username == name)).one()
    rows = cli_audit(api, user.id)
    assert [action for action, _, _ in rows] == [
        "user.created",
        "user.changed",
        "user.changed",
        "user.disabled",
        "user.enabled",
    ]
    assert rows[0][1] == f"cli:{getpass.getuser()}"
    assert [detail for _, _, detail in rows[:3]] == ["role applicant", "password", "role clerk"]
    assert all(new_password not in d and password not in d for _, _, d in rows)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_totp_enrolment_prints_a_uri_and_qr_and_sign_in_then_needs_the_code(
    api: Api, cli_settings: None
) -> None:
    name = unique("clerk-tax")
    assert users_add(name, "--role", "clerk", "--department", "tax", "--password", PASS)[0] == 0
    code, output = users("totp", name)
    assert code == 0, output
    uri = next(line for line in output.splitlines() if line.startswith("otpauth://"))
    totp = pyotp.parse_uri(uri)
    assert "issuer=onego" in uri
    assert "█" in output or "▀" in output  # the QR code, drawn in the terminal
    with Session(api.engine) as session:
        user = session.exec(select(User).where(User.username == name)).one()
    assert user.totp_sealed and totp.secret.encode() not in user.totp_sealed  # stored sealed

    asked = await api.http.post("/api/v1/auth/token", data={"username": name, "password": PASS})
    assert asked.status_code == 401 and asked.json()["error"] == "totp_required"
    signed = await api.http.post(
        "/api/v1/auth/token", data={"username": name, "password": PASS, "totp": totp.now()}
    )
    assert signed.status_code == 200, signed.text

    assert users("totp", name)[0] == 1  # enrolled: only with --reset
    assert users("totp", name, "--reset")[0] == 0
    applicant = unique("ann")
    assert users_add(applicant, "--role", "applicant", "--password", PASS)[0] == 0
    code, output = users("totp", applicant)
    assert code == 2 and "staff" in output


def test_demo_users_are_seeded_unless_turned_off(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'onego.db'}")
    create_schema(engine)
    off = Settings(data_dir=tmp_path, demo_users=False)
    assert prepare_demo_users(engine, off) == []
    with Session(engine) as session:
        assert session.exec(select(User)).first() is None
    created = prepare_demo_users(engine, Settings(data_dir=tmp_path))
    assert set(created) == {name for name, *_ in DEMO_USERS}
    assert prepare_demo_users(engine, Settings(data_dir=tmp_path)) == []  # once only
    engine.dispose()


def test_the_banner_says_the_demo_password_is_for_demos_only(tmp_path: Path) -> None:
    with cli.console.capture() as shown:
        cli._banner(Settings(data_dir=tmp_path, demo_users=True), "127.0.0.1")
    assert DEMO_PASSWORD in shown.get() and "for demos only" in shown.get()
    with cli.console.capture() as hidden:
        cli._banner(Settings(data_dir=tmp_path, demo_users=False), "127.0.0.1")
    assert DEMO_PASSWORD not in hidden.get() and "demo users" not in hidden.get()


def test_the_banner_lists_the_pages_and_the_real_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli.console, "width", 400)  # no wrapping of long paths
    settings = Settings(data_dir=tmp_path / "elsewhere", api_port=18123)
    with cli.console.capture() as shown:
        cli._banner(settings, "127.0.0.1")
    text = shown.get()
    for page in ("/inbox", "/dashboard", "/audit", "/docs"):
        assert f"http://127.0.0.1:18123{page}" in text, page
    assert f"state is kept in {(tmp_path / 'elsewhere').resolve()}" in text
