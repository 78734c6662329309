"""Password hashing with argon2id (ASVS 5.0 appendix C), and the policy for new passwords.

The policy follows NIST SP 800-63B §5.1.1.2 and ASVS V6.2: at least 10 characters, no
composition rules, and no password an attacker would try early. A password is refused when it
is the current one, when it appears in the 30,000 most common passwords, or when zxcvbn
(Dropbox's estimator, whose ranked list ships with the ``zxcvbn`` package) finds it guessable
within about 10^8 tries: repeats (``aaaaaaaaaa``), sequences (``1234567890``), keyboard rows
(``qwertyuiop``), dates, common words with digits, or words taken from the user's own e-mail
or name and from the service (skp, kommune, indberetning).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

# "standard" is argon2-cffi's RFC 9106 low-memory profile; "fast" keeps test suites quick.
_HASHERS = {
    "standard": PasswordHasher(),
    "fast": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}
_DUMMY: dict[str, str] = {}
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
#: zxcvbn's score 3 means "safely unguessable: moderate protection from offline attacks" (10^8+).
MIN_SCORE = 3
COMMON = frozenset(FREQUENCY_LISTS["passwords"])
SERVICE_WORDS = ("skp", "kommune", "indberetning", "skp-indberetning", "adgangskode", "password")
TOO_EASY = ("Adgangskoden er for let at gætte: den er almindelig, følger et mønster eller indeholder dit navn "
            "eller din e-mail. Brug fx fire tilfældige ord med bindestreg imellem.")


def _profile() -> str:
    return current_app.config.get("PASSWORD_HASH_PROFILE", "standard")


def _hasher() -> PasswordHasher:
    return _HASHERS[_profile()]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def dummy_hash() -> str:
    """A hash of a random password with the current parameters: verifying against it costs what a
    real verification costs (used when the e-mail is unknown, so timing does not reveal accounts)."""
    profile = _profile()
    if profile not in _DUMMY:
        import secrets

        _DUMMY[profile] = _hasher().hash(secrets.token_urlsafe(24))
    return _DUMMY[profile]


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises on a malformed or empty stored hash."""
    if not stored_hash:
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


def _context_words(email: str, name: str) -> list[str]:
    local = email.split("@", 1)[0]
    words = [local, *local.replace(".", " ").replace("-", " ").replace("_", " ").split(), *name.split()]
    return [w.lower() for w in words if len(w) >= 3] + list(SERVICE_WORDS)


def password_problem(password: str, email: str = "", name: str = "", current_hash: str = "") -> str | None:
    """A Danish explanation of why a new password is refused, or None when it is acceptable.

    ``email`` and ``name`` are the user's (their words make a password easy to guess);
    ``current_hash`` is the stored hash, so that the current password cannot be chosen again.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Adgangskoden skal være mindst {MIN_PASSWORD_LENGTH} tegn."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Adgangskoden må højst være {MAX_PASSWORD_LENGTH} tegn."
    if current_hash and verify_password(current_hash, password):
        return "Den nye adgangskode skal være en anden end den nuværende."
    if password.lower() in COMMON:
        return TOO_EASY
    if zxcvbn(password[:100], user_inputs=_context_words(email, name))["score"] < MIN_SCORE:
        return TOO_EASY
    return None
