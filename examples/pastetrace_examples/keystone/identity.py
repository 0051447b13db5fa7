"""The in-memory identity backend (Essex had kvs, sql and ldap ones) and the token store.

Seeded with the users of a devstack of the time: ``demo``/``secrete`` in tenant ``demo``
(role ``Member``) and ``admin``/``secrete`` in tenants ``admin`` and ``demo`` (role
``admin``). Tokens are uuid4 hex strings kept in a dict.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Backend:
    """Users, tenants, role grants, EC2 credentials and issued tokens."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    tenants: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (user, tenant)
    ec2_credentials: dict[str, dict[str, str]] = field(default_factory=dict)  # by access key
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def seeded(cls) -> Backend:
        backend = cls()
        for tenant in ("demo", "admin"):
            backend.create_tenant({"id": tenant, "name": tenant, "enabled": True})
        backend.create_user({"id": "demo", "name": "demo", "password": "secrete"})
        backend.create_user({"id": "admin", "name": "admin", "password": "secrete"})
        backend.roles[("demo", "demo")] = ["Member"]
        backend.roles[("admin", "admin")] = ["admin"]
        backend.roles[("admin", "demo")] = ["admin"]
        backend.ec2_credentials["demo-access"] = {
            "access": "demo-access",
            "secret": "demo-secret",
            "user_id": "demo",
            "tenant_id": "demo",
        }
        return backend

    def create_tenant(self, tenant: dict[str, Any]) -> dict[str, Any]:
        tenant = {"id": uuid.uuid4().hex, "enabled": True, "description": "", **tenant}
        self.tenants[tenant["id"]] = tenant
        return tenant

    def create_user(self, user: dict[str, Any]) -> dict[str, Any]:
        user = {"id": uuid.uuid4().hex, "enabled": True, **user}
        self.users[user["id"]] = user
        return user

    def user_by_name(self, name: str) -> dict[str, Any] | None:
        return next((u for u in self.users.values() if u["name"] == name), None)

    def tenant_by_name(self, name: str) -> dict[str, Any] | None:
        return next((t for t in self.tenants.values() if t["name"] == name), None)

    def tenants_for_user(self, user_id: str) -> list[dict[str, Any]]:
        return [self.tenants[t] for (u, t) in self.roles if u == user_id and t in self.tenants]

    def issue_token(self, user: dict[str, Any], tenant: dict[str, Any] | None) -> dict[str, Any]:
        """Store and return a token valid for a day, as keystone's default expiry was."""
        expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
        token: dict[str, Any] = {
            "id": uuid.uuid4().hex,
            "expires": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "user": user,
            "tenant": tenant,
            "roles": self.roles.get((user["id"], tenant["id"]), []) if tenant else [],
        }
        self.tokens[token["id"]] = token
        return token


__all__ = ["Backend"]
