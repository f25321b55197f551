"""The password policy: at least 12 characters, not a common password, not the user name.

Applied where a person chooses a password (`onego users add`, `onego users passwd`); the
demo accounts of the embedded default are exempt (their password is printed as demo-only).
"""

import re
from functools import lru_cache
from pathlib import Path

from domain.text import Text

MIN_LENGTH = 12
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common_passwords.txt"
_TRAILING = re.compile(r"[\d\W_]+$")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The refused list (data/common_passwords.txt says where it comes from), lower-cased."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(s.strip().lower() for s in lines if s.strip() and not s.startswith("#"))


def _is_common(password: str) -> bool:
    lowered = password.strip().lower()
    # "password123456" is "password" with digits after it: the digits add little.
    bare = _TRAILING.sub("", lowered)
    listed = common_passwords()
    return lowered in listed or bare in listed or len(set(lowered)) <= 2


def password_problem(password: str, username: str) -> Text | None:
    """Why `password` may not be used by `username`, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return Text(
            zh=f"密码至少需要 {MIN_LENGTH} 个字符",
            en=f"The password needs at least {MIN_LENGTH} characters",
        )
    if _is_common(password):
        return Text(
            zh="该密码过于常见，容易被猜中，请换一个",
            en="This password is too common and easily guessed: choose another",
        )
    name = username.strip().lower()
    if name and name in password.lower():
        return Text(zh="密码不能包含用户名", en="The password may not contain the user name")
    return None
