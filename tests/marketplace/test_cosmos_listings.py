"""The Cosmos DB mirror: publishing a product upserts its listing in ``marketplace-listings`` (partition key
``/tenantId``), unpublishing deletes it, through the ``marketplace.listing_sync`` task and the real azure-cosmos
SDK against ``@vercel/cosmosdb-server`` on loopback. A hidden product's details never leave the portal."""

import uuid

import pytest
from azure.cosmos import PartitionKey
from celery.exceptions import Retry

from loom_portal.azure.errors import TransientAzureError
from marketplace import listings, services
from tests import factories
from tests.doubles import cosmos as cosmos_double
from tests.marketplace.conftest import make_product

pytestmark = pytest.mark.skipif(not cosmos_double.available(), reason="needs tests/npm cosmosdb-server (make test)")


@pytest.fixture(scope="module")
def cosmos_endpoint():
    with cosmos_double.cosmos_server() as endpoint:
        yield endpoint


@pytest.fixture
def container(cosmos_endpoint, settings):
    """A fresh database with the Console's container; the portal's COSMOS_* settings point at it."""
    database = f"loom-{uuid.uuid4().hex[:12]}"
    client = cosmos_double.cosmos_client(cosmos_endpoint)
    db = client.create_database(database)
    created = db.create_container("marketplace-listings", partition_key=PartitionKey(path="/tenantId"))
    settings.COSMOS_ENDPOINT = cosmos_endpoint
    settings.COSMOS_KEY = cosmos_double.KEY
    settings.COSMOS_DATABASE = database
    settings.COSMOS_CONNECTION_VERIFY = False
    yield created
    client.delete_database(database)


def listed(container, tenant_id: str) -> dict:
    """The listings of one tenant's partition, by id."""
    items = container.query_items(
        "SELECT * FROM c WHERE c.tenantId = @tenant", parameters=[{"name": "@tenant", "value": tenant_id}],
        enable_cross_partition_query=True,
    )
    return {item["id"]: item for item in items}


COLUMNS = [{"name": "entry_id", "data_type": "bigint"}, {"name": "amount", "data_type": "numeric(18,2)",
                                                         "classification": "financial"}]


@pytest.mark.django_db
def test_publishing_a_product_upserts_its_listing(container, platform_owner, domain, tenant,
                                                  django_capture_on_commit_callbacks):
    draft = make_product(platform_owner, domain, "General ledger", publish=False, columns=COLUMNS,
                         description="Posted lines.", tags=["ledger"])
    assert listed(container, "contoso") == {}
    with django_capture_on_commit_callbacks(execute=True):
        services.product_publish(actor=platform_owner, product=draft)
    doc = listed(container, "contoso")["general-ledger"]
    assert {k: doc[k] for k in ("tenantId", "name", "status", "kind", "sensitivity", "description", "tags",
                                "detailsOnRequest", "url")} == {
        "tenantId": "contoso", "name": "General ledger", "status": "published", "kind": "table",
        "sensitivity": "general", "description": "Posted lines.", "tags": ["ledger"], "detailsOnRequest": False,
        "url": "/catalog/general-ledger/",
    }
    assert doc["domain"] == {"slug": "finance", "name": "Finance"}
    assert doc["columns"] == [{"name": "entry_id", "type": "bigint", "classification": None},
                              {"name": "amount", "type": "numeric(18,2)", "classification": "financial"}]


@pytest.mark.django_db
def test_retiring_a_product_deletes_its_listing(container, platform_owner, domain, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        product = make_product(platform_owner, domain, "General ledger")
    assert "general-ledger" in listed(container, "contoso")
    with django_capture_on_commit_callbacks(execute=True):
        services.product_deprecate(actor=platform_owner, product=product, note="Use v2")
    assert listed(container, "contoso")["general-ledger"]["status"] == "deprecated"  # still listed
    with django_capture_on_commit_callbacks(execute=True):
        services.product_retire(actor=platform_owner, product=product)
    assert listed(container, "contoso") == {}


@pytest.mark.django_db
def test_running_the_sync_twice_has_one_effect(container, platform_owner, domain):
    product = make_product(platform_owner, domain, "General ledger")
    assert listings.listing_sync.delay(product_id=product.pk).get() == "upserted"
    assert listings.listing_sync.delay(product_id=product.pk).get() == "upserted"
    assert list(listed(container, "contoso")) == ["general-ledger"]
    services.product_retire(actor=platform_owner, product=product)
    assert listings.listing_sync.delay(product_id=product.pk).get() == "deleted"
    assert listings.listing_sync.delay(product_id=product.pk).get() == "deleted"  # already gone: no error
    assert listed(container, "contoso") == {}


@pytest.mark.django_db
def test_a_hidden_product_is_never_listed(container, platform_owner, domain, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_product(platform_owner, domain, "Investigations", sensitivity="highly_confidential",
                     discoverability="hidden", description="Open fraud cases.", columns=COLUMNS)
    assert listed(container, "contoso") == {}


@pytest.mark.django_db
def test_a_discoverable_highly_confidential_product_is_listed_without_its_details(
    container, platform_owner, domain, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_product(platform_owner, domain, "Payroll", sensitivity="highly_confidential",
                     discoverability="discoverable", description="Salaries by person.", columns=COLUMNS)
    doc = listed(container, "contoso")["payroll"]
    assert (doc["detailsOnRequest"], doc["description"], doc["columns"]) == (True, "", [])
    assert "Salaries" not in str(doc) and "amount" not in str(doc)


@pytest.mark.django_db
def test_hiding_a_published_product_removes_its_listing(container, platform_owner, domain,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        product = make_product(platform_owner, domain, "Payroll", description="Salaries by person.")
    assert "payroll" in listed(container, "contoso")
    with django_capture_on_commit_callbacks(execute=True):
        services.product_update(actor=platform_owner, product=product, sensitivity="highly_confidential",
                                discoverability="hidden")
    assert listed(container, "contoso") == {}


@pytest.mark.django_db
def test_each_tenant_has_its_own_partition(container, platform_owner, domain, other_platform_owner, other_domain,
                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_product(platform_owner, domain, "General ledger", description="Contoso's lines.")
        make_product(other_platform_owner, other_domain, "General ledger", description="Fabrikam's lines.")
        make_product(other_platform_owner, other_domain, "Secret", sensitivity="highly_confidential",
                     discoverability="hidden")
    contoso, fabrikam = listed(container, "contoso"), listed(container, "fabrikam")
    assert (list(contoso), list(fabrikam)) == (["general-ledger"], ["general-ledger"])
    assert (contoso["general-ledger"]["description"], fabrikam["general-ledger"]["description"]) == (
        "Contoso's lines.", "Fabrikam's lines.")
    assert "Secret" not in str(contoso) + str(fabrikam)


@pytest.mark.django_db
def test_an_entra_tenant_is_partitioned_by_its_directory_id(container, django_capture_on_commit_callbacks):
    directory = uuid.uuid4()
    tenant = factories.make_tenant("Woodgrove", slug="woodgrove", entra_tenant_id=directory)
    admin = factories.make_user(tenant, "admin@woodgrove.example", is_platform_owner=True)
    finance = factories.make_domain(admin, "Finance", slug="finance")
    with django_capture_on_commit_callbacks(execute=True):
        make_product(admin, finance, "Budget")
    assert list(listed(container, str(directory))) == ["budget"]


@pytest.mark.django_db
def test_without_cosmos_settings_the_mirror_is_off(settings, platform_owner, domain, django_capture_on_commit_callbacks):
    settings.COSMOS_ENDPOINT = ""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        product = make_product(platform_owner, domain, "General ledger")
    assert product.status == "published"
    assert listings.listing_sync_product(product_id=product.pk) == "disabled"
    assert not any("listing" in repr(getattr(cb, "__qualname__", "")) for cb in callbacks)


@pytest.mark.django_db
def test_an_unreachable_cosmos_is_a_transient_error_that_celery_retries(settings, platform_owner, domain):
    product = make_product(platform_owner, domain, "General ledger")
    closed = cosmos_double._free_port()  # nothing listens there
    settings.COSMOS_ENDPOINT = f"https://127.0.0.1:{closed}"
    settings.COSMOS_KEY = cosmos_double.KEY
    settings.COSMOS_DATABASE = "loom"
    settings.COSMOS_CONNECTION_VERIFY = False
    settings.AZURE_RETRY_TOTAL = 0
    with pytest.raises(TransientAzureError):
        listings.listing_sync_product(product_id=product.pk)
    with pytest.raises(Retry):  # the task asks Celery to run it again later (with backoff)
        listings.listing_sync.apply(kwargs={"product_id": product.pk}, throw=True)
