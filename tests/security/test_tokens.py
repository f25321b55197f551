"""Tokens with required claims, the password policy, the hashing cap, the lock's growth."""

import threading
import time
from datetime import UTC, datetime, timedelta

import jwt
import pyotp
import pytest

from security.passwords import MIN_LENGTH, common_passwords, password_problem
from security.sign_in import totp_step
from security.tokens import (
    ALGORITHM,
    HashGate,
    HashingBusy,
    create_token,
    dummy_hash,
    token_claims,
    verify_or_dummy,
)
from store.throttle import ACCOUNT, CLIENT, Policy, digest

SECRET = "a-test-secret-key-of-enough-length-for-hs256"


def test_a_token_carries_subject_version_iat_and_exp() -> None:
    claims = token_claims(create_token("7", SECRET, 5, version=3, name="ann"), SECRET)
    assert claims is not None
    assert (claims["sub"], claims["ver"], claims["name"]) == ("7", 3, "ann")
    assert 0 < claims["exp"] - claims["iat"] <= 300


@pytest.mark.parametrize("missing", ["exp", "sub", "iat", "ver"])
def test_a_token_without_a_required_claim_is_refused(missing: str) -> None:
    now = datetime.now(UTC)
    payload = {"sub": "7", "ver": 0, "iat": now, "exp": now + timedelta(minutes=5)}
    del payload[missing]
    assert token_claims(jwt.encode(payload, SECRET, algorithm=ALGORITHM), SECRET) is None


def test_an_expired_or_foreign_token_is_refused() -> None:
    assert token_claims(create_token("7", SECRET, -1), SECRET) is None
    assert token_claims(create_token("7", "another-secret-key-of-enough-length", 5), SECRET) is None
    assert token_claims("not a token", SECRET) is None


@pytest.mark.parametrize(
    ("password", "username", "refused"),
    [
        ("short", "ann", "at least"),
        ("x" * (MIN_LENGTH - 1), "ann", "at least"),
        ("password123456", "ann", "too common"),
        ("QWERTYUIOP1234", "ann", "too common"),
        ("woaini1314!!!!", "ann", "too common"),
        ("abababababab", "ann", "too common"),
        ("ann-likes-long-walks", "Ann", "user name"),
        ("a sensible pass phrase", "ann", None),
    ],
)
def test_the_password_policy(password: str, username: str, refused: str | None) -> None:
    problem = password_problem(password, username)
    if refused is None:
        assert problem is None
    else:
        assert problem is not None and refused in problem.en and problem.zh


def test_the_common_password_list_is_shipped_and_read() -> None:
    listed = common_passwords()
    assert len(listed) > 300 and "123456" in listed and "woaini1314" in listed
    assert not any(p.startswith("#") for p in listed)


def test_unknown_users_cost_one_real_hash() -> None:
    assert dummy_hash().startswith("$argon2") and dummy_hash() == dummy_hash()
    started = time.perf_counter()
    assert verify_or_dummy("anything", None) is False
    dummy = time.perf_counter() - started
    assert dummy > 0.01  # an argon2 verification, not a shortcut (about 0.15 s here)


def test_the_hash_gate_refuses_when_every_slot_stays_taken() -> None:
    gate = HashGate(slots=1, wait_s=0.1)
    held = threading.Event()
    release = threading.Event()

    def slow_hash() -> None:
        with gate.slot():
            held.set()
            release.wait(5)

    worker = threading.Thread(target=slow_hash)
    worker.start()
    assert held.wait(5)
    with pytest.raises(HashingBusy) as busy:
        with gate.slot():
            pass
    assert busy.value.retry_after == 1
    release.set()
    worker.join()
    with gate.slot():  # free again
        pass


def test_the_lock_doubles_from_the_threshold_up_to_the_cap() -> None:
    policy = Policy(threshold=5, lock_seconds=30, max_seconds=900)
    assert [policy.lock_after(n) for n in range(1, 11)] == [
        0,
        0,
        0,
        0,
        30,
        60,
        120,
        240,
        480,
        900,
    ]
    assert policy.lock_after(10_000) == 900


def test_throttle_keys_are_digests_and_names_are_case_insensitive() -> None:
    assert digest(ACCOUNT, "Ann") == digest(ACCOUNT, " ann ")
    assert digest(ACCOUNT, "ann") != digest(CLIENT, "ann")
    assert "ann" not in digest(ACCOUNT, "ann") and len(digest(CLIENT, "10.0.0.1")) == 64


def test_a_totp_code_names_its_step_within_one_step_of_drift() -> None:
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = 1_800_000_000.0
    step = totp.timecode(now)
    assert totp_step(secret, totp.at(now), now) == step
    assert totp_step(secret, totp.at(now - 30), now) == step - 1
    assert totp_step(secret, totp.at(now + 30), now) == step + 1
    assert totp_step(secret, totp.at(now - 90), now) is None
