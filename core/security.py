"""Password hashing (argon2 via pwdlib) and bearer tokens (JWT)."""

from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash

ALGORITHM = "HS256"
_hasher = PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    return _hasher.verify(password, hashed)


def create_token(subject: str, secret: str, minutes: int) -> str:
    expires = datetime.now(UTC) + timedelta(minutes=minutes)
    return jwt.encode({"sub": subject, "exp": expires}, secret, algorithm=ALGORITHM)


def token_subject(token: str, secret: str) -> str | None:
    """The token's subject, or None if it is invalid or expired."""
    try:
        return str(jwt.decode(token, secret, algorithms=[ALGORITHM])["sub"])
    except jwt.PyJWTError:
        return None
