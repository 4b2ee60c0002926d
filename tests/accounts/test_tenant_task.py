"""The task base: a task about one trust runs inside that trust's scope, given the trust."""

import json

import pytest
from celery import shared_task
from celery.exceptions import MaxRetriesExceededError

from accounts.models import Organisation
from accounts.scoping import ScopeError, current_organisation_ids
from accounts.tenancy import TenantTask
from portfolio.models import Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
runs = []


@shared_task(base=TenantTask, bind=True, name="tests.scope_probe")
def scope_probe(self, organisation, marker):
    runs.append(marker)
    return {
        "organisation": organisation.pk,
        "scope": sorted(current_organisation_ids()),
        "products": sorted(Product.objects.values_list("name", flat=True)),
        # What a retry re-sends: it must stay JSON (the id, not the Organisation).
        "request_args": json.loads(json.dumps(list(self.request.args))),
    }


@shared_task(base=TenantTask, bind=True, name="tests.retry_probe", max_retries=1)
def retry_probe(self, organisation):
    runs.append(json.dumps(list(self.request.args)))
    if len(runs) == 1:
        raise self.retry(countdown=0)
    return organisation.pk


@pytest.fixture(autouse=True)
def _fresh_runs():
    runs.clear()


def test_the_body_gets_the_trust_and_runs_in_its_scope(trust, other_trust):
    ProductFactory(organisation=trust, name="Ours")
    ProductFactory(organisation=other_trust, name="Theirs")
    result = scope_probe.delay(trust.pk, "queued").get()
    assert result == {
        "organisation": trust.pk,
        "scope": [trust.pk],
        "products": ["Ours"],
        "request_args": [trust.pk, "queued"],
    }


def test_a_direct_call_enters_the_scope_too(trust):
    assert scope_probe(trust.pk, "direct")["scope"] == [trust.pk]


def test_the_scope_ends_with_the_task(trust):
    scope_probe.delay(trust.pk, "x").get()
    with pytest.raises(ScopeError):
        current_organisation_ids()


def test_a_trust_deleted_since_the_task_was_sent_is_a_no_op(trust):
    missing = Organisation.objects.order_by("-pk").first().pk + 1000
    assert scope_probe.delay(missing, "gone").get() is None
    assert runs == []


def test_a_retry_resends_the_id_not_the_object(trust):
    # throw=False: let Celery's eager apply() re-send the retry instead of raising it.
    assert retry_probe.apply(args=[trust.pk], throw=False).get() == trust.pk
    expected = json.dumps([trust.pk])
    assert runs == [expected, expected]


@shared_task(base=TenantTask, bind=True, name="tests.request_probe", max_retries=3)
def request_probe(self, organisation):
    runs.append((self.request.id, self.request.retries))
    raise self.retry(countdown=60)


def test_the_body_sees_the_real_request_its_id_and_retry_count(trust):
    # The id is what the outbox marks done (outbox-<row>); the retry count is what stops a
    # failing task after max_retries instead of retrying it for ever (a bare request said 0).
    result = request_probe.apply(args=[trust.pk], task_id="outbox-42", retries=3, throw=False)
    assert runs == [("outbox-42", 3)]
    assert isinstance(result.result, MaxRetriesExceededError)
