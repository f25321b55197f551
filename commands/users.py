"""`onego users add|passwd|list|disable|enable|role|totp`: manage users from the host.

Users are disabled, never deleted (their id stays theirs, the audit trail keeps naming
them). A password chosen here follows the policy (core/passwords.py); a password, role or
status change ends the user's tokens; every change is audited as `cli:<os user>`.
"""

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import pyotp
import qrcode
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from catalog.loader import load_catalog
from runtime.settings import Settings, get_settings
from security.keyring import keyring_of
from security.passwords import password_problem
from security.sign_in import STAFF_ROLES, totp_aad
from store.audit import record_audit
from store.db import create_schema, make_engine
from store.models import Role, User
from store.users import (
    UserExists,
    add_user,
    find_user,
    seed_demo_users,
    set_disabled,
    set_password,
    set_role,
)

app = typer.Typer(help="Manage users (disabled, never deleted).", no_args_is_help=True)
console = Console()
TOTP_ISSUER = "onego"


def _engine() -> Engine:
    engine = make_engine(get_settings().resolved_database_url)
    create_schema(engine)
    return engine


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _fail(message: str, code: int) -> typer.Exit:
    console.print(f"[red]{message}[/]")
    return typer.Exit(code)


def _check_department(department: str | None) -> None:
    if not department:
        return
    catalog = load_catalog()
    if department not in catalog.departments:
        known = ", ".join(sorted(catalog.departments))
        raise _fail(f"未知部门 / unknown department {department}; use one of: {known}", 2)


def _check_password(password: str, name: str) -> None:
    problem = password_problem(password, name)
    if problem:
        raise _fail(f"{problem.zh} / {problem.en}", 2)


@contextmanager
def _user(name: str) -> Iterator[tuple[Session, User]]:
    """The named user in a session; exit status 1 when there is none."""
    with Session(_engine()) as session:
        user = find_user(session, name)
        if user is None:
            raise _fail(f"没有该用户 / no such user: {name}", 1)
        yield session, user


def _audit(session: Session, action: str, user: User, detail: str = "") -> None:
    record_audit(
        session,
        action=action,
        actor_name=_actor(),
        object_type="user",
        object_id=str(user.id),
        detail=detail,
    )


PasswordOption = Annotated[
    str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
]


def prepare_demo_users(engine: Engine, settings: Settings) -> list[str]:
    """`onego run`: the demo users that are missing, unless DEMO_USERS=false (existing ones
    are then left as they are: `onego users disable NAME` them). Returns those created."""
    if not settings.demo_users:
        return []
    with Session(engine) as session:
        return seed_demo_users(session)


@app.command("add")
def users_add(
    name: str,
    role: Annotated[Role, typer.Option(help="applicant|clerk|supervisor|manager|admin|auditor")],
    password: PasswordOption,
    department: Annotated[str | None, typer.Option(help="Department code (clerks)")] = None,
    email: Annotated[str | None, typer.Option(help="For notifications by e-mail")] = None,
    resident_id: Annotated[
        str | None,
        typer.Option(
            help="Verified resident ID number (applicants): the registries' key, and a form "
            "that names its applicant (the newborn's parents) must name this person"
        ),
    ] = None,
    credit_code: Annotated[str | None, typer.Option(help="Registry key (businesses)")] = None,
) -> None:
    """Create a user with a hashed password (at least 12 characters, not a common one)."""
    _check_department(department)
    with Session(_engine()) as session:
        if find_user(session, name):
            raise _fail(f"用户已存在 / user already exists: {name}", 1)
        _check_password(password, name)
        try:
            user = add_user(
                session,
                name,
                password,
                role,
                department,
                email=email,
                resident_id=resident_id,
                credit_code=credit_code,
                commit=False,
            )
        except UserExists:
            raise _fail(f"用户已存在 / user already exists: {name}", 1) from None
        except ValueError as exc:
            raise _fail(str(exc), 2) from None
        _audit(session, "user.created", user, f"role {role.value}")
        session.commit()
        console.print(f"created {user.username} ({user.role.value}, {user.department or '-'})")


@app.command("passwd")
def users_passwd(name: str, password: PasswordOption) -> None:
    """Set a new password; the user's tokens end."""
    with _user(name) as (session, user):
        _check_password(password, name)
        set_password(user, password)
        _audit(session, "user.changed", user, "password")
        session.commit()
    console.print(f"password changed: {name} / 密码已更改")


@app.command("list")
def users_list(
    find: Annotated[str | None, typer.Option(help="Only usernames containing this text")] = None,
) -> None:
    """Every user (or those whose username contains `--find`): role, department, status,
    two-factor enrolment."""
    query = select(User).order_by(col(User.username))
    if find:
        query = query.where(col(User.username).contains(find, autoescape=True))
    with Session(_engine()) as session:
        users = session.exec(query).all()
    table = Table(title="用户 / users")
    for column in ("username", "role", "department", "status", "TOTP"):
        table.add_column(column)
    for user in users:
        table.add_row(
            user.username,
            user.role.value,
            user.department or "-",
            "[red]disabled 已停用[/]" if user.disabled else "active",
            "enrolled" if user.totp_sealed else "-",
        )
    console.print(table)


def _set_disabled(name: str, disabled: bool) -> None:
    with _user(name) as (session, user):
        set_disabled(user, disabled)
        _audit(session, "user.disabled" if disabled else "user.enabled", user)
        session.commit()
    console.print(f"{'disabled' if disabled else 'enabled'}: {name}")


@app.command("disable")
def users_disable(name: str) -> None:
    """Disable a user: sign-in refused, tokens ended (users are never deleted)."""
    _set_disabled(name, True)


@app.command("enable")
def users_enable(name: str) -> None:
    """Enable a disabled user again."""
    _set_disabled(name, False)


@app.command("role")
def users_role(
    name: str,
    role: Role,
    department: Annotated[str | None, typer.Option(help="Department code (clerks)")] = None,
) -> None:
    """Change a user's role (and department); the user's tokens end."""
    _check_department(department)
    with _user(name) as (session, user):
        try:
            set_role(user, role, department)
        except ValueError as exc:
            raise _fail(str(exc), 2) from None
        _audit(session, "user.changed", user, f"role {role.value}")
        session.commit()
    console.print(f"{name}: {role.value} ({department or '-'})")


@app.command("totp")
def users_totp(
    name: str,
    reset: Annotated[bool, typer.Option("--reset", help="Replace an enrolled secret")] = False,
) -> None:
    """Enrol a staff user in two-factor sign-in: prints the otpauth URI and its QR code for
    the authenticator app; the secret is stored sealed with the data key ring."""
    settings = get_settings()
    with _user(name) as (session, user):
        if user.role not in STAFF_ROLES:
            raise _fail("双因素认证仅用于工作人员 / two-factor sign-in is for staff roles", 2)
        if user.totp_sealed and not reset:
            raise _fail("已绑定；重新绑定请加 --reset / already enrolled: add --reset", 1)
        secret = pyotp.random_base32()
        user.totp_sealed = keyring_of(settings).seal(secret.encode(), aad=totp_aad(user))
        _audit(session, "user.changed", user, "totp enrolled")
        session.commit()
    uri = pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=TOTP_ISSUER)
    console.print("用身份验证器扫描 / scan with the authenticator app:")
    code = qrcode.QRCode(border=1)
    code.add_data(uri)
    code.print_ascii(invert=True)
    typer.echo(uri)
    console.print("登录时需填写 6 位动态码 / sign-in now asks for the 6-digit code")
