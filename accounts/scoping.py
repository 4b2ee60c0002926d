"""Fail-closed tenant scoping, in the style of django-scopes.

Every tenant-owned model uses :class:`TenantManager`. Querying it outside a ``scope(...)`` block
raises :class:`ScopeError` instead of silently returning every trust's rows. Views enter the scope
through the tenant decorator; Celery tasks and management commands enter it explicitly.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import models


class ScopeError(RuntimeError):
    """A tenant model was queried without an organisation scope."""


@dataclass(frozen=True)
class _Scope:
    organisation_ids: frozenset[int] | None  # None means "scoping disabled"


_current: ContextVar[_Scope | None] = ContextVar("tenant_scope", default=None)
# What the database (row-level security, accounts.rls) is told when no scope is active: no trust.
# Only the test harness changes it, so that test code may set up rows outside a scope; requests
# and tasks put it back (``database_fail_closed``), so they run exactly as in production.
_database_default: ContextVar[frozenset[int] | None] = ContextVar(
    "tenant_database_default", default=frozenset()
)


@contextlib.contextmanager
def scope(*, organisation=None, organisations=None):
    """Limit tenant queries to one organisation (or an explicit set, for ICS aggregates)."""
    if organisation is None and organisations is None:
        raise ScopeError("scope() needs an organisation (or a set of them, possibly empty).")
    ids: set[int] = set()
    if organisation is not None:
        ids.add(organisation.pk)
    if organisations is not None:
        ids.update(org.pk if hasattr(org, "pk") else int(org) for org in organisations)
    token = _current.set(_Scope(frozenset(ids)))
    try:
        yield
    finally:
        _current.reset(token)


@contextlib.contextmanager
def scopes_disabled():
    """For superuser admin, migrations, and whole-database jobs only."""
    token = _current.set(_Scope(None))
    try:
        yield
    finally:
        _current.reset(token)


def database_scope() -> frozenset[int] | None:
    """The organisations the database may show now: the active scope's, None for the whole
    database (``scopes_disabled``), and outside any scope none at all."""
    active = _current.get()
    if active is None:
        return _database_default.get()
    return active.organisation_ids


@contextlib.contextmanager
def database_default(organisation_ids: frozenset[int] | None):
    """What the database sees outside any scope (tests only: ``None``, the whole database)."""
    token = _database_default.set(organisation_ids)
    try:
        yield
    finally:
        _database_default.reset(token)


def database_default_set(organisation_ids: frozenset[int] | None):
    """As :func:`database_default`, for code that starts and ends in two calls (Celery's task
    signals): returns the token to give :func:`database_default_reset`."""
    return _database_default.set(organisation_ids)


def database_default_reset(token) -> None:
    _database_default.reset(token)


def database_fail_closed():
    """Outside any scope the database shows no trust (the production default; requests and
    tasks enter this so a test harness default cannot reach them)."""
    return database_default(frozenset())


def current_organisation_ids() -> frozenset[int] | None:
    active = _current.get()
    if active is None:
        raise ScopeError("No tenant scope is active.")
    return active.organisation_ids


def ensure_in_scope(organisation) -> None:
    """Raise ScopeError unless ``organisation`` (or its id) is inside the active scope."""
    organisation_id = getattr(organisation, "pk", organisation)
    ids = current_organisation_ids()
    if ids is not None and organisation_id not in ids:
        raise ScopeError(f"Organisation {organisation_id} is outside the active tenant scope.")


def _ensure_writable(obj) -> None:
    """A row written inside a scope must belong to it. Outside any scope (factories, the
    ``unscoped`` manager's own writes) nothing is checked here: reads there fail closed anyway."""
    active = _current.get()
    if active is None or active.organisation_ids is None:
        return
    if obj.organisation_id not in active.organisation_ids:
        raise ScopeError(
            f"{type(obj).__name__} for organisation {obj.organisation_id} written inside the scope "
            f"of {sorted(active.organisation_ids)}."
        )


class TenantQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            _ensure_writable(obj)
        return super().bulk_create(objs, *args, **kwargs)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Default manager of tenant models: filters to the active scope, refuses without one."""

    organisation_field = "organisation"

    def get_queryset(self):
        active = _current.get()
        if active is None:
            raise ScopeError(
                f"{self.model.__name__} was queried outside a tenant scope; "
                "wrap the query in accounts.scoping.scope(organisation=...)."
            )
        queryset = super().get_queryset()
        if active.organisation_ids is None:
            return queryset
        return queryset.filter(**{f"{self.organisation_field}__in": active.organisation_ids})

    def none(self):
        """An empty queryset needs no scope: it can show nothing (schema generators ask for one)."""
        return super().get_queryset().none()


class TenantModel(models.Model):
    """Abstract base: an ``organisation`` FK and the fail-closed manager."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", editable=False
    )

    objects = TenantManager()
    # Explicit escape hatch for superuser admin and whole-database jobs; related-object access
    # (``record.product``) goes through Django's plain base manager, so stays unaffected.
    unscoped = models.Manager()  # noqa: DJ012 - a manager, not a field

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        _ensure_writable(self)
        super().save(*args, **kwargs)
