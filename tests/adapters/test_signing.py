"""Request signing (adapters/signing.py): what the receiver accepts and what it refuses."""

import time

import pytest
from cryptography.hazmat.primitives import hashes, hmac

from adapters.signing import (
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureRefused,
    Signer,
    verify,
)

SECRET = b"shared-secret"
BODY = b'{"case_id":"c-1","item":"birth_certificate"}'


def check(
    headers: dict[str, str],
    *,
    body: bytes = BODY,
    path: str = "/v1/item-requests",
    method: str = "POST",
    secret: bytes = SECRET,
    seen: set[str] | None = None,
    now: float | None = None,
) -> None:
    nonces = set() if seen is None else seen

    def remember(nonce: str) -> bool:
        new = nonce not in nonces
        nonces.add(nonce)
        return new

    verify(
        method,
        path,
        body,
        headers,
        department="tax",
        secret=secret,
        remember_nonce=remember,
        now=now,
    )


@pytest.mark.parametrize("algorithm", ["hmac-sha256", "hmac-sm3"])
def test_a_signed_request_verifies(algorithm):
    headers = Signer("tax", SECRET, algorithm).headers("POST", "/v1/item-requests", BODY)
    assert headers[SIGNATURE_HEADER].startswith(f"{algorithm}=")
    check(headers)


def test_sm3_signature_is_hmac_sm3_over_the_documented_string():
    headers = Signer("tax", SECRET, "hmac-sm3").headers(
        "post", "/v1/revocations", BODY, timestamp=1700000000, nonce="0123456789abcdef"
    )
    digest = hashes.Hash(hashes.SM3())
    digest.update(BODY)
    message = f"POST\n/v1/revocations\n{digest.finalize().hex()}\n1700000000\n0123456789abcdef\ntax"
    mac = hmac.HMAC(SECRET, hashes.SM3())
    mac.update(message.encode())
    assert headers[SIGNATURE_HEADER] == f"hmac-sm3={mac.finalize().hex()}"


@pytest.mark.parametrize(
    "change",
    [
        {"body": BODY.replace(b"c-1", b"c-2")},
        {"path": "/v1/revocations"},
        {"method": "PUT"},
        {"secret": b"another-secret"},
    ],
    ids=["body", "path", "method", "secret"],
)
def test_anything_changed_breaks_the_signature(change):
    headers = Signer("tax", SECRET).headers("POST", "/v1/item-requests", BODY)
    with pytest.raises(SignatureRefused) as refused:
        check(headers, **change)
    assert refused.value.code == "bad_signature"


def test_a_nonce_is_accepted_once():
    seen: set[str] = set()
    headers = Signer("tax", SECRET).headers("POST", "/v1/item-requests", BODY)
    check(headers, seen=seen)
    with pytest.raises(SignatureRefused) as refused:
        check(headers, seen=seen)
    assert refused.value.code == "replayed_nonce"


@pytest.mark.parametrize("skew", [-301, 301])
def test_a_timestamp_outside_the_window_is_stale(skew):
    headers = Signer("tax", SECRET).headers("POST", "/v1/item-requests", BODY)
    with pytest.raises(SignatureRefused) as refused:
        check(headers, now=int(headers[TIMESTAMP_HEADER]) + skew)
    assert refused.value.code == "stale_timestamp"
    check(headers, now=time.time() + 299)  # inside the window, and not used up by the refusal


def test_a_forged_request_does_not_use_up_its_nonce():
    seen: set[str] = set()
    headers = Signer("tax", b"forger").headers("POST", "/v1/item-requests", BODY)
    with pytest.raises(SignatureRefused):
        check(headers, seen=seen)
    assert seen == set()


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_signature"),
        (
            Signer("customs", SECRET).headers("POST", "/v1/item-requests", BODY),
            "unknown_department",
        ),
        (
            {
                **Signer("tax", SECRET).headers("POST", "/v1/item-requests", BODY),
                NONCE_HEADER: "short",
            },
            "bad_signature",
        ),
        (
            {
                **Signer("tax", SECRET).headers("POST", "/v1/item-requests", BODY),
                SIGNATURE_HEADER: "hmac-md5=00",
            },
            "bad_signature",
        ),
    ],
    ids=["unsigned", "other-department", "short-nonce", "unknown-algorithm"],
)
def test_malformed_signatures_are_refused(headers, code):
    with pytest.raises(SignatureRefused) as refused:
        check(headers)
    assert refused.value.code == code
