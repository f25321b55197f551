"""Users: creation with hashed passwords, changes that end their tokens, the demo accounts.

Signing in is core/sign_in.py."""

from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session, select

from forms.types import ResidentId
from security.sign_in import end_tokens
from security.tokens import hash_password
from store.models import Role, User

DEMO_PASSWORD = "onego-demo"
# (username, role, department, display name)
DEMO_USERS: list[tuple[str, Role, str | None, str]] = [
    ("applicant", Role.applicant, None, "李芳 (示例申请人 Demo applicant)"),
    ("business", Role.applicant, None, "重庆山城小面餐饮有限公司 (示例企业 Demo business)"),
    ("clerk-health", Role.clerk, "health", "卫健窗口 Health clerk"),
    ("clerk-public-security", Role.clerk, "public-security", "公安窗口 Police clerk"),
    ("clerk-medical-insurance", Role.clerk, "medical-insurance", "医保窗口 Insurance clerk"),
    ("clerk-human-resources", Role.clerk, "human-resources", "人社窗口 HR clerk"),
    ("clerk-tax", Role.clerk, "tax", "税务窗口 Tax clerk"),
    ("supervisor-public-security", Role.supervisor, "public-security", "公安科长 Police lead"),
    ("manager", Role.manager, None, "管理者 Manager"),
    ("admin", Role.admin, None, "管理员 Administrator"),
    ("auditor", Role.auditor, None, "审计员 Auditor"),
]


# Registry keys of the demo applicants: records exist in registries/data.
DEMO_IDENTITIES = {
    "applicant": {"resident_id": "500103199803071229"},
    "business": {"credit_code": "91500103MA5U0001X8"},
}


class UserExists(Exception):
    pass


def add_user(
    session: Session,
    username: str,
    password: str,
    role: Role,
    department: str | None = None,
    display_name: str = "",
    resident_id: str | None = None,
    credit_code: str | None = None,
    email: str | None = None,
    commit: bool = True,
) -> User:
    """Create a user; clerks and supervisors belong to a department. `commit=False` only
    flushes (the caller adds its audit row and commits both)."""
    if role in (Role.clerk, Role.supervisor) and not department:
        raise ValueError("clerks and supervisors need --department / 窗口人员必须指定部门")
    if resident_id is not None:
        resident_id = verified_resident_id(resident_id)
    if session.exec(select(User).where(User.username == username)).first():
        raise UserExists(username)
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        department=department,
        display_name=display_name or username,
        resident_id=resident_id,
        credit_code=credit_code,
        email=email,
    )
    session.add(user)
    if not commit:
        session.flush()
        return user
    session.commit()
    session.refresh(user)
    return user


def verified_resident_id(value: str) -> str:
    """The resident ID number an account is bound to (forms whose scenario names its
    applicant must name it), checked as the forms check one; ValueError if it is not valid."""
    try:
        return TypeAdapter(ResidentId).validate_python(value.strip())
    except ValidationError:
        raise ValueError("公民身份号码无效 / not a valid resident ID number") from None


def find_user(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def set_password(user: User, password: str) -> None:
    """A new password; every token issued before ends (the caller commits)."""
    user.password_hash = hash_password(password)
    end_tokens(user)


def set_disabled(user: User, disabled: bool) -> None:
    """Disable (tokens end, sign-in refused) or enable again; users are never deleted."""
    user.disabled = disabled
    end_tokens(user)


def set_role(user: User, role: Role, department: str | None) -> None:
    """A new role (and department); every token issued before ends (the caller commits)."""
    if role in (Role.clerk, Role.supervisor) and not department:
        raise ValueError("clerks and supervisors need --department / 窗口人员必须指定部门")
    user.role = role
    user.department = department
    end_tokens(user)


def seed_demo_users(session: Session) -> list[str]:
    """Create the demo accounts that are missing; returns the usernames created."""
    created = []
    for username, role, department, name in DEMO_USERS:
        try:
            add_user(
                session,
                username,
                DEMO_PASSWORD,
                role,
                department,
                name,
                resident_id=DEMO_IDENTITIES.get(username, {}).get("resident_id"),
                credit_code=DEMO_IDENTITIES.get(username, {}).get("credit_code"),
            )
            created.append(username)
        except UserExists:
            continue
    return created
