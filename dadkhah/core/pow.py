"""Proof of work instead of a third-party CAPTCHA: a self-hosted, ALTCHA-style challenge.

The server issues a challenge; the visitor's browser finds a secret number by trying
numbers in turn; the server checks the answer. No third party sees the visitor, and no
state is kept until an answer is spent.

- ``salt`` is random hex plus ``?expires=<unix seconds>``, so the expiry is part of what
  is hashed and cannot be changed;
- ``challenge`` is the hex SHA-256 of ``salt + str(number)`` for a secret number in
  ``[0, max_number]``; finding it takes ``max_number / 2`` hashes on average;
- ``signature`` is the hex HMAC-SHA256 of ``challenge`` under the server's key, so only
  the server's own challenges are accepted and nothing needs storing when one is issued.

Verifying checks the algorithm, the signature (in constant time), the expiry, the hash,
and finally single use: the answer is *spent* in a :class:`SpentStore` (a table in the
application, :class:`MemorySpentStore` here), so it cannot be replayed. The key is a
secret of at least 32 bytes that the application keeps outside its database.

This module imports no Django; the memorial's contribution form and the campaign's
petitions wire it to their requests and tables.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import parse_qs

__all__ = [
    "ALGORITHM",
    "MIN_KEY_BYTES",
    "Challenge",
    "MemorySpentStore",
    "PowError",
    "ProofOfWork",
    "Solution",
    "SpentStore",
    "solve",
]

ALGORITHM = "SHA-256"
MIN_KEY_BYTES = 32
MAX_PAYLOAD_CHARS = 2048  # a real payload is about 400 characters
SALT_BYTES = 12


class PowError(ValueError):
    """An answer was refused; ``reason`` is one of the codes below (for logs and tests).

    ``missing``, ``malformed``, ``algorithm``, ``signature``, ``expired``, ``wrong``,
    ``spent``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Challenge:
    algorithm: str
    challenge: str
    max_number: int
    salt: str
    signature: str

    @property
    def expires(self) -> datetime:
        return _expiry(self.salt)

    def as_dict(self) -> dict[str, Any]:
        """The JSON the browser receives (ALTCHA's field names)."""
        return {
            "algorithm": self.algorithm,
            "challenge": self.challenge,
            "maxnumber": self.max_number,
            "salt": self.salt,
            "signature": self.signature,
        }


@dataclass(frozen=True)
class Solution:
    algorithm: str
    challenge: str
    number: int
    salt: str
    signature: str

    @classmethod
    def from_payload(cls, payload: str) -> Solution:
        """Read the browser's answer: base64 of a JSON object (ALTCHA's payload form)."""
        text = payload.strip()
        if not text:
            raise PowError("missing", "no answer to the check was sent")
        if len(text) > MAX_PAYLOAD_CHARS:
            raise PowError("malformed", "the answer to the check is too long")
        try:
            data = json.loads(base64.b64decode(text, validate=True).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise PowError("malformed", "the answer to the check is not readable") from None
        if not isinstance(data, dict):
            raise PowError("malformed", "the answer to the check is not an object")
        fields = {}
        for name in ("algorithm", "challenge", "salt", "signature"):
            value = data.get(name)
            if not isinstance(value, str) or not value or len(value) > 200:
                raise PowError("malformed", f"the answer to the check has no valid {name!r}")
            fields[name] = value
        number = data.get("number")
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise PowError("malformed", "the answer to the check has no valid 'number'")
        return cls(number=number, **fields)

    def payload(self) -> str:
        data = {
            "algorithm": self.algorithm,
            "challenge": self.challenge,
            "number": self.number,
            "salt": self.salt,
            "signature": self.signature,
        }
        return base64.b64encode(json.dumps(data).encode("utf-8")).decode("ascii")


class SpentStore(Protocol):
    def spend(self, challenge: str, expires: datetime) -> bool:
        """Mark ``challenge`` as used until ``expires``; False if it was used already."""
        ...


class MemorySpentStore:
    """Spent challenges in this process's memory (tests, or a single-process server)."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._clock = clock or _utcnow
        self._spent: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def spend(self, challenge: str, expires: datetime) -> bool:
        now = self._clock()
        with self._lock:
            for key in [k for k, until in self._spent.items() if until < now]:
                del self._spent[key]
            if challenge in self._spent:
                return False
            self._spent[challenge] = expires
            return True

    def __len__(self) -> int:
        return len(self._spent)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _expiry(salt: str) -> datetime:
    _, _, query = salt.partition("?")
    values = parse_qs(query).get("expires", [])
    if len(values) != 1 or not values[0].isdigit() or len(values[0]) > 12:
        raise PowError("malformed", "the check has no valid expiry")
    return datetime.fromtimestamp(int(values[0]), UTC)


class ProofOfWork:
    """Issues and verifies challenges with one server key."""

    def __init__(
        self,
        key: bytes,
        max_number: int = 100_000,
        ttl: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the proof-of-work key needs at least {MIN_KEY_BYTES} bytes")
        if max_number < 1:
            raise ValueError(f"max_number must be at least 1, not {max_number}")
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        self._key = key
        self.max_number = max_number
        self.ttl = ttl
        self._clock = clock or _utcnow

    def _sign(self, challenge: str) -> str:
        return hmac.new(self._key, challenge.encode("ascii"), hashlib.sha256).hexdigest()

    def issue(self, number: int | None = None) -> Challenge:
        """A new challenge; ``number`` fixes the secret (tests only), else it is random."""
        if number is None:
            number = secrets.randbelow(self.max_number + 1)
        if not 0 <= number <= self.max_number:
            raise ValueError(f"number must be within [0, {self.max_number}]")
        expires = int((self._clock() + self.ttl).timestamp())
        salt = f"{secrets.token_hex(SALT_BYTES)}?expires={expires}"
        challenge = _sha256_hex(f"{salt}{number}")
        return Challenge(ALGORITHM, challenge, self.max_number, salt, self._sign(challenge))

    def check(self, solution: Solution) -> datetime:
        """Everything but single use; returns when the challenge expires."""
        if solution.algorithm != ALGORITHM:
            raise PowError("algorithm", f"the check must use {ALGORITHM}")
        try:
            signature_ok = hmac.compare_digest(
                self._sign(solution.challenge).encode("ascii"),
                solution.signature.encode("ascii"),
            )
        except (UnicodeEncodeError, TypeError):
            signature_ok = False
        if not signature_ok:
            raise PowError("signature", "the check was not issued by this site")
        expires = _expiry(solution.salt)
        if expires <= self._clock():
            raise PowError("expired", "the check has expired; a new one is needed")
        if solution.number > self.max_number * 4:  # generous: max_number may have been lowered
            raise PowError("wrong", "the answer to the check is wrong")
        if _sha256_hex(f"{solution.salt}{solution.number}") != solution.challenge:
            raise PowError("wrong", "the answer to the check is wrong")
        return expires

    def verify(self, solution: Solution, spent: SpentStore) -> None:
        """Accept ``solution`` once: check it, then spend it (raises PowError otherwise)."""
        expires = self.check(solution)
        if not spent.spend(solution.challenge, expires):
            raise PowError("spent", "this answer to the check was used already")


def solve(challenge: Challenge, start: int = 0) -> Solution | None:
    """Find the number as a browser would (for tests and benchmarks); None if absent."""
    for number in range(start, challenge.max_number + 1):
        if _sha256_hex(f"{challenge.salt}{number}") == challenge.challenge:
            return Solution(
                challenge.algorithm,
                challenge.challenge,
                number,
                challenge.salt,
                challenge.signature,
            )
    return None
