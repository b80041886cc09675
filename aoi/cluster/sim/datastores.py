"""Datastore contents that faults and mitigations act on: MongoDB users, roles and TLS mode.

A MongoDB started with `--auth` checks the client's user and its roles on the database it uses; one started
with `--tlsMode requireTLS` refuses plain connections. Both are read from the live Deployment spec and the
datastore's contents, so a revoked role or a TLS switch shows up in every client, and a re-grant heals them.
"""

from __future__ import annotations

from typing import Any

from aoi.cluster.interface import InvalidArgumentError
from aoi.cluster.sim.apps.model import Call, Component
from aoi.cluster.sim.state import Datastore, MongoUser, SimState

CLIENT_USER = ("admin", "admin")
"""The credentials every application client uses (from the `mongodb-admin` Secret)."""

MONGO_OPERATIONS = ("grant_roles", "revoke_roles", "create_user", "drop_user")


def initial_datastores(state: SimState) -> None:
    for comp in state.app.components:
        if comp.kind != "mongodb":
            continue
        databases = sorted({call.database for c in state.app.components for call in c.calls
                            if call.target == comp.name and call.database})
        roles = [{"role": "readWrite", "db": db} for db in databases] + [{"role": "userAdminAnyDatabase",
                                                                           "db": "admin"}]
        state.datastores[f"{state.app.namespace}/{comp.name}"] = Datastore(
            "mongodb", {CLIENT_USER[0]: MongoUser(CLIENT_USER[1], roles)})


def mongo_args(state: SimState, namespace: str, name: str) -> list[str]:
    dep = state.store.get("Deployment", namespace, name)
    if dep is None:
        return []
    container = dep["spec"]["template"]["spec"]["containers"][0]
    return [*(container.get("command") or []), *(container.get("args") or [])]


def datastore_error(state: SimState, namespace: str, call: Call, client: Component) -> str:
    """The error a client gets from a datastore for a call, or '' when the datastore serves it."""
    store = state.datastores.get(f"{namespace}/{call.target}")
    if store is None or store.kind != "mongodb":
        return ""
    args = mongo_args(state, namespace, call.target)
    if "requireTLS" in args:
        return (f"No suitable servers found (`serverSelectionTryOnce` set): [connection closed calling hello on "
                f"'{call.target}:27017']")
    if "--auth" not in args:
        return ""
    user = store.users.get(CLIENT_USER[0])
    if user is None or user.password != CLIENT_USER[1]:
        return "server returned error on SASL authentication step: Authentication failed."
    db = call.database or "admin"
    if not any(r["db"] == db and r["role"] in ("readWrite", "read", "dbOwner") for r in user.roles):
        collection = db.removesuffix("-db")
        return (f'not authorized on {db} to execute command {{ find: "{collection}", filter: {{}}, '
                f'lsid: {{ id: {{}} }}, $db: "{db}" }}')
    return ""


def mongo_admin(store: Datastore, operation: str, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Apply a MongoDB admin operation; returns a summary and the inverse operation.

    Raises:
        InvalidArgumentError: unknown operation, missing user, malformed roles.
    """
    if operation not in MONGO_OPERATIONS:
        raise InvalidArgumentError(f"unknown datastore operation {operation!r}; valid: {', '.join(MONGO_OPERATIONS)}")
    user_name = args.get("user")
    if not isinstance(user_name, str) or not user_name:
        raise InvalidArgumentError("argument 'user' must be a non-empty string")
    roles = args.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, dict) and {"role", "db"} <= set(r) for r in roles):
        raise InvalidArgumentError("argument 'roles' must be a list of {role, db} objects")
    if operation == "create_user":
        if user_name in store.users:
            raise InvalidArgumentError(f"user {user_name!r} already exists")
        store.users[user_name] = MongoUser(str(args.get("password", "")), [dict(r) for r in roles])
        return f"created user {user_name}", {"operation": "drop_user", "args": {"user": user_name}}
    user = store.users.get(user_name)
    if user is None:
        raise InvalidArgumentError(f"user {user_name!r} not found; users: {', '.join(sorted(store.users)) or 'none'}")
    if operation == "drop_user":
        del store.users[user_name]
        return f"dropped user {user_name}", {"operation": "create_user", "args": {
            "user": user_name, "password": user.password, "roles": [dict(r) for r in user.roles]}}
    if operation == "grant_roles":
        added = [dict(r) for r in roles if dict(r) not in user.roles]
        user.roles.extend(added)
        return f"granted {len(added)} role(s) to {user_name}", {"operation": "revoke_roles", "args": {
            "user": user_name, "roles": added}}
    removed = [dict(r) for r in roles if dict(r) in user.roles]
    user.roles = [r for r in user.roles if r not in removed]
    return f"revoked {len(removed)} role(s) from {user_name}", {"operation": "grant_roles", "args": {
        "user": user_name, "roles": removed}}
