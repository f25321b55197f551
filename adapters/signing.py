"""Request signing between the platform and a department's system (the HTTP contract,
contracts/department.openapi.yaml).

Every request carries four headers: the department, a Unix timestamp, a one-time nonce and an
HMAC, keyed by the secret the platform shares with that department, over

    METHOD \\n PATH \\n HASH(body) \\n TIMESTAMP \\n NONCE \\n DEPARTMENT

(PATH with its query string, as sent; HASH in lower-case hex). The hash and the HMAC use
SHA-256 by default, SM3 (GB/T 32905) when the department asks for it. The receiver refuses a
timestamp outside the replay window and a nonce it has already seen within it. The client and
the reference department service (examples/department_service) share this module.
"""

import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac

Algorithm = Literal["hmac-sha256", "hmac-sm3"]
ALGORITHMS: tuple[Algorithm, ...] = get_args(Algorithm)
DEPARTMENT_HEADER = "X-Onego-Department"
TIMESTAMP_HEADER = "X-Onego-Timestamp"
NONCE_HEADER = "X-Onego-Nonce"
SIGNATURE_HEADER = "X-Onego-Signature"
# A request signed more than this many seconds before (or after) the receiver's clock is stale.
REPLAY_WINDOW = 300


def _hash(algorithm: Algorithm) -> hashes.HashAlgorithm:
    return hashes.SM3() if algorithm == "hmac-sm3" else hashes.SHA256()


def body_hash(body: bytes, algorithm: Algorithm = "hmac-sha256") -> str:
    digest = hashes.Hash(_hash(algorithm))
    digest.update(body)
    return digest.finalize().hex()


def string_to_sign(
    method: str,
    path: str,
    body: bytes,
    timestamp: str,
    nonce: str,
    department: str,
    algorithm: Algorithm,
) -> bytes:
    parts = (method.upper(), path, body_hash(body, algorithm), timestamp, nonce, department)
    return "\n".join(parts).encode()


def _mac(secret: bytes, message: bytes, algorithm: Algorithm) -> str:
    mac = crypto_hmac.HMAC(secret, _hash(algorithm))
    mac.update(message)
    return mac.finalize().hex()


@dataclass(frozen=True)
class Signer:
    """The platform's key for one department: signs the requests it sends there."""

    department: str
    secret: bytes
    algorithm: Algorithm = "hmac-sha256"

    def headers(
        self,
        method: str,
        path: str,
        body: bytes,
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
    ) -> dict[str, str]:
        """The signature headers of one request (a fresh nonce, the current time)."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        once = nonce or secrets.token_hex(16)
        message = string_to_sign(method, path, body, stamp, once, self.department, self.algorithm)
        return {
            DEPARTMENT_HEADER: self.department,
            TIMESTAMP_HEADER: stamp,
            NONCE_HEADER: once,
            SIGNATURE_HEADER: f"{self.algorithm}={_mac(self.secret, message, self.algorithm)}",
        }


SignatureProblem = Literal[
    "missing_signature", "unknown_department", "bad_signature", "stale_timestamp", "replayed_nonce"
]


class SignatureRefused(Exception):
    """A request whose signature does not hold; `code` is the contract's error code."""

    def __init__(self, code: SignatureProblem, detail: str):
        super().__init__(detail)
        self.code = code


def verify(
    method: str,
    path: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    department: str,
    secret: bytes,
    remember_nonce: Callable[[str], bool],
    window: int = REPLAY_WINDOW,
    now: float | None = None,
) -> None:
    """Accept a request signed by the platform for `department`, or raise `SignatureRefused`.

    `headers` must look names up case-insensitively (Starlette's and httpx's do).
    `remember_nonce` records a nonce and says whether it was new; it is called only once the
    signature holds, so that forged requests cannot use up nonces.
    """
    values = [headers.get(name) for name in (TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)]
    sender = headers.get(DEPARTMENT_HEADER)
    stamp, nonce, signature = values
    if sender is None or stamp is None or nonce is None or signature is None:
        raise SignatureRefused("missing_signature", "signature headers missing")
    if sender != department:
        raise SignatureRefused("unknown_department", "signed for another department")
    algorithm, _, mac = signature.partition("=")
    if algorithm not in ALGORITHMS or not stamp.isdigit() or not 8 <= len(nonce) <= 128:
        raise SignatureRefused("bad_signature", "malformed signature headers")
    chosen: Algorithm = algorithm  # type: ignore[assignment]
    expected = _mac(
        secret, string_to_sign(method, path, body, stamp, nonce, sender, chosen), chosen
    )
    if not hmac.compare_digest(expected, mac):
        raise SignatureRefused("bad_signature", "the signature does not match")
    if abs((time.time() if now is None else now) - int(stamp)) > window:
        raise SignatureRefused("stale_timestamp", f"timestamp outside the {window}s window")
    if not remember_nonce(nonce):
        raise SignatureRefused("replayed_nonce", "nonce already used")
