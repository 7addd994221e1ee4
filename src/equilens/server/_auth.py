"""Accounts, sessions and CSRF tokens of the dashboard.

Passwords are hashed with argon2id (``argon2-cffi``'s defaults, RFC 9106's second recommended
profile); only the hash is stored. A login creates a session: the browser's cookie holds 32
random bytes, the store holds their SHA-256, so a copy of the database cannot be replayed as a
cookie. Each session has its own CSRF token, echoed in every form (double submit bound to the
session); visitors without a session get a random pre-session token in a cookie, checked the
same way on the login and anonymous intake forms.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from equilens.exceptions import InvalidParameterError
from equilens.server._db import ServerDB, iso

__all__ = [
    "ROLES",
    "Principal",
    "add_user",
    "check_account",
    "check_csrf",
    "has_role",
    "login",
    "new_token",
    "token_hash",
]

#: Roles, least to most privileged; each role can do everything the ones before it can.
ROLES: tuple[str, ...] = ("viewer", "reporter", "triager", "admin")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_HASHER = PasswordHasher()
#: Verified against when the user does not exist, so a login takes as long either way.
_DUMMY_HASH = _HASHER.hash("equilens-no-such-user")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


@dataclass(frozen=True)
class Principal:
    """Who is asking: a logged-in user, or the anonymous visitor (``name`` None)."""

    name: str | None
    role: str | None
    csrf: str
    token_hash: str | None = None

    @property
    def label(self) -> str:
        """The name written into audit trails."""
        return self.name or "anonymous"


def has_role(principal: Principal, role: str) -> bool:
    """Whether ``principal`` holds ``role`` or a more privileged one."""
    if principal.role is None:
        return False
    return ROLES.index(principal.role) >= ROLES.index(role)


def new_token() -> str:
    """32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_csrf(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the CSRF token sent with a request."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def add_user(db: ServerDB, name: str, role: str, password: str) -> int:
    """Create a user with an argon2id-hashed password; returns its id.

    Raises
    ------
    InvalidParameterError
        For a bad name, an unknown role or a password too short or long.
    InvalidInputError
        When the name is taken.
    """
    check_account(name, role)
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidParameterError(
            f"the password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters"
        )
    return db.insert_user(name, role, _HASHER.hash(password))


def check_account(name: str, role: str) -> None:
    """Raise :class:`InvalidParameterError` for a bad user name or an unknown role."""
    if not _NAME.match(name):
        raise InvalidParameterError(
            f"user name '{name[:64]}' must be 1-64 letters, digits or . _ @ - (starting with a "
            "letter or digit)"
        )
    if role not in ROLES:
        raise InvalidParameterError(f"--role must be one of {', '.join(ROLES)}, got '{role}'")


def login(db: ServerDB, name: str, password: str, lifetime: timedelta) -> tuple[str, str] | None:
    """Check the password; on success a new session: (cookie token, CSRF token)."""
    user = db.user_by_name(name) if _NAME.match(name) else None
    stored = str(user["password_hash"]) if user else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password[:MAX_PASSWORD])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or user["disabled"]:
        return None
    if _HASHER.check_needs_rehash(stored):
        db.set_password(int(user["id"]), _HASHER.hash(password))
    token, csrf = new_token(), new_token()
    expires = iso(db.clock() + lifetime)
    db.insert_session(token_hash(token), int(user["id"]), csrf, expires)
    return token, csrf
