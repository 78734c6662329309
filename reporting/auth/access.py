"""Access policies: every endpoint declares who may use it, and unknown endpoints are refused.

A view is decorated with :func:`public`, :func:`authenticated` or :func:`roles`. The
``before_request`` hook enforces the policy before the view runs; an endpoint without a policy
answers 403, and the test suite fails on it (tests/auth/test_access_policy.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

from reporting.auth.sessions import park_or_none

F = TypeVar("F", bound=Callable[..., object])
POLICY_ATTR = "access_policy"


@dataclass(frozen=True)
class Policy:
    """``kind`` is public, authenticated or roles; ``roles`` lists the roles for kind roles."""

    kind: str
    roles: frozenset[str] = frozenset()

    def allows(self, user: object) -> bool:
        if self.kind == "public":
            return True
        if not getattr(user, "is_authenticated", False):
            return False
        return self.kind == "authenticated" or user.has_role(*self.roles)  # type: ignore[attr-defined]


def _attach(policy: Policy) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        setattr(view, POLICY_ATTR, policy)
        return view

    return decorate


def public(view: F) -> F:
    """Anyone, logged in or not."""
    return _attach(Policy("public"))(view)


def authenticated(view: F) -> F:
    """Any logged-in, active user."""
    return _attach(Policy("authenticated"))(view)


def roles(*names: str) -> Callable[[F], F]:
    """Logged-in users holding one of ``names`` (admins also pass ``coordinator``)."""
    return _attach(Policy("roles", frozenset(names)))


def policy_for(app: Flask, endpoint: str) -> Policy | None:
    """The policy of an endpoint; static files are public."""
    if endpoint == "static":
        return Policy("public")
    view = app.view_functions.get(endpoint)
    return getattr(view, POLICY_ATTR, None)


def enforce_policy():  # type: ignore[no-untyped-def]
    """``before_request``: refuse what the endpoint's policy does not allow."""
    if request.endpoint is None:
        return None  # 404/405 are answered by Flask
    policy = policy_for(current_app, request.endpoint)
    if policy is None:
        abort(403)
    if policy.allows(current_user):
        return None
    parked = park_or_none()
    if parked is not None:
        return parked
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))
    abort(403)
