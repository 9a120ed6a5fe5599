"""Writing data products: only editors, validation names the field and changes nothing, every write is audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from loom_portal import authz
from loom_portal.models import AuditEvent
from marketplace import services
from marketplace.choices import ProductRole, ProductStatus
from marketplace.models import DataProduct, ProductChange
from tests.factories import make_domain, make_user
from tests.marketplace.conftest import make_product


@pytest.mark.django_db
def test_a_new_product_is_a_draft_labelled_like_its_domain_and_owned_by_its_creator(platform_owner):
    hr = make_domain(platform_owner, "HR", default_sensitivity="highly_confidential")
    product = services.product_create(actor=platform_owner, domain=hr, name="Employee directory", tags=["People", " people", "HR"])
    assert (product.status, product.sensitivity, product.slug, product.version) == (
        ProductStatus.DRAFT, "highly_confidential", "employee-directory", 1
    )
    assert sorted(product.tags.values_list("name", flat=True)) == ["hr", "people"]
    assert authz.can(platform_owner, "marketplace.change_dataproduct", product)
    assert product.user_permissions.get().permission.codename == ProductRole.OWNER
    assert list(AuditEvent.objects.filter(target_type="marketplace.DataProduct", target_id=str(product.pk)).values_list("action", flat=True).order_by("id")) == [
        "product.created", "product.own_product.assigned"
    ]
    assert ProductChange.objects.get(product=product).summary == "Created"


@pytest.mark.django_db
def test_a_domain_steward_registers_products_in_their_domain_only(steward, domain, platform_owner):
    product = services.product_create(actor=steward, domain=domain, name="Cost centres")
    assert product.domain == domain
    other = make_domain(platform_owner, "Mission Ops")
    with pytest.raises(PermissionDenied):
        services.product_create(actor=steward, domain=other, name="Telemetry")
    assert not DataProduct.objects.filter(name="Telemetry").exists()


@pytest.mark.django_db
def test_a_consumer_cannot_register_a_product(consumer, domain):
    with pytest.raises(PermissionError):
        services.product_create(actor=consumer, domain=domain, name="Mine")
    assert not DataProduct.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"kind": "spreadsheet"}, "kind"),
        ({"sensitivity": "secret"}, "sensitivity"),
        ({"discoverability": "sometimes"}, "discoverability"),
        ({"source_engine": "oracle"}, "source_engine"),
        ({"freshness_sla_hours": 0}, "freshness_sla_hours"),
        ({"tags": ["x" * 61]}, "tags"),
        ({"columns": [{"name": "a", "data_type": "int"}, {"name": "A", "data_type": "int"}]}, "columns"),
        ({"columns": [{"name": "a"}]}, "columns"),
        ({"columns": [{"name": "a", "data_type": "int", "classification": "gossip"}]}, "columns"),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_is_saved(platform_owner, domain, fields, field):
    values = {"name": "Ledger", **fields}
    with pytest.raises(ValidationError) as refused:
        services.product_create(actor=platform_owner, domain=domain, **values)
    assert field in refused.value.message_dict
    assert not DataProduct.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="product.").exists()


@pytest.mark.django_db
def test_slugs_are_unique_per_tenant(platform_owner, domain, other_platform_owner, other_domain):
    make_product(platform_owner, domain, "Ledger")
    with pytest.raises(ValidationError) as refused:
        services.product_create(actor=platform_owner, domain=domain, name="ledger")
    assert "slug" in refused.value.message_dict
    assert make_product(other_platform_owner, other_domain, "Ledger").slug == "ledger"  # another tenant: fine


@pytest.mark.django_db
def test_a_workspace_of_another_domain_is_refused(platform_owner, domain, workspace):
    ops = make_domain(platform_owner, "Mission Ops")
    with pytest.raises(ValidationError) as refused:
        services.product_create(actor=platform_owner, domain=ops, name="Telemetry", workspace=workspace)
    assert "workspace" in refused.value.message_dict


@pytest.mark.django_db
def test_the_lifecycle_goes_draft_published_deprecated_retired_and_each_step_is_recorded(platform_owner, domain):
    product = make_product(platform_owner, domain, "Ledger", publish=False)
    product = services.product_publish(actor=platform_owner, product=product)
    assert product.status == ProductStatus.PUBLISHED and product.published_at is not None
    product = services.product_deprecate(actor=platform_owner, product=product, note="Use Ledger v2")
    product = services.product_retire(actor=platform_owner, product=product)
    assert DataProduct.objects.get(pk=product.pk).status == ProductStatus.RETIRED
    actions = list(AuditEvent.objects.filter(action__in=["product.published", "product.deprecated", "product.retired"])
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["product.published", "product.deprecated", "product.retired"]
    assert [c.summary for c in product.changes.order_by("id")] == [
        "Created", "Published", "Deprecated: Use Ledger v2", "Retired"
    ]


@pytest.mark.django_db
def test_a_step_out_of_order_is_refused_naming_the_status(platform_owner, domain):
    product = make_product(platform_owner, domain, "Ledger", publish=False)
    with pytest.raises(ValidationError) as refused:
        services.product_deprecate(actor=platform_owner, product=product)
    assert "Only published products can be deprecated" in refused.value.message_dict["status"][0]
    product = services.product_retire(actor=platform_owner, product=product)
    with pytest.raises(ValidationError):
        services.product_publish(actor=platform_owner, product=product)
    assert DataProduct.objects.get(pk=product.pk).status == ProductStatus.RETIRED


@pytest.mark.django_db
def test_editors_change_the_status_and_others_cannot(
    product, product_owner, product_steward, steward, domain_owner, consumer, finance, other_platform_owner
):
    for editor in (product_owner, product_steward, steward, domain_owner):
        product = services.product_deprecate(actor=editor, product=product)
        product = services.product_publish(actor=editor, product=product)
    for outsider in (consumer, finance):
        with pytest.raises(PermissionDenied):
            services.product_deprecate(actor=outsider, product=product)
    with pytest.raises(Http404):
        services.product_deprecate(actor=other_platform_owner, product=product)
    assert DataProduct.objects.get(pk=product.pk).status == ProductStatus.PUBLISHED
    assert not AuditEvent.objects.filter(action="product.deprecated", actor__in=[consumer, finance]).exists()


@pytest.mark.django_db
def test_an_update_bumps_the_version_and_records_what_changed(product, product_steward):
    product = services.product_update(
        actor=product_steward, product=product, description="Posted journal lines, after close.", tags=["ledger", "gl"]
    )
    assert product.version == 2
    assert product.changes.first().changes == {"fields": ["tags", "description"]}
    same = services.product_update(actor=product_steward, product=product, tags=["gl", "ledger"])
    assert same.version == 2  # no effective change, no new version
    with pytest.raises(ValidationError) as refused:
        services.product_update(actor=product_steward, product=product, status="retired")
    assert "status" in refused.value.message_dict


@pytest.mark.django_db
def test_a_changed_schema_bumps_the_version(product, platform_owner):
    product = services.product_set_columns(
        actor=platform_owner, product=product, columns=[{"name": "entry_id", "data_type": "bigint"}]
    )
    assert (product.version, list(product.columns.values_list("name", flat=True))) == (2, ["entry_id"])
    assert AuditEvent.objects.filter(action="product.columns_changed", target_id=str(product.pk)).exists()


@pytest.mark.django_db
def test_owners_assign_stewards_and_stewards_cannot_assign(product, product_owner, product_steward, tenant):
    newcomer = make_user(tenant, "newcomer@contoso.example")
    assert services.product_assign_role(actor=product_owner, product=product, user=newcomer, role=ProductRole.STEWARD)
    assert not services.product_assign_role(actor=product_owner, product=product, user=newcomer, role=ProductRole.STEWARD)
    with pytest.raises(PermissionDenied):
        services.product_assign_role(actor=product_steward, product=product, user=newcomer, role=ProductRole.OWNER)
    assert authz.can(newcomer, "marketplace.change_dataproduct", product)
    assert AuditEvent.objects.filter(action="product.steward_product.assigned", actor=product_owner).count() == 1
    assert services.product_remove_role(actor=product_owner, product=product, user=newcomer, role=ProductRole.STEWARD)
    assert not authz.can(newcomer, "marketplace.change_dataproduct", product)


@pytest.mark.django_db
def test_people_of_another_tenant_cannot_be_given_a_role(product, platform_owner, other_tenant_user):
    with pytest.raises(ValidationError) as refused:
        services.product_assign_role(actor=platform_owner, product=product, user=other_tenant_user, role=ProductRole.OWNER)
    assert "user" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.product_assign_role(actor=platform_owner, product=product, user=platform_owner, role="admin")
    assert "role" in refused.value.message_dict


@pytest.mark.django_db
def test_lineage_links_products_and_external_sources(product, platform_owner, domain):
    report = make_product(platform_owner, domain, "Cost report")
    services.product_add_lineage(actor=platform_owner, product=report, upstream=product)
    services.product_add_lineage(actor=platform_owner, product=product, external_source="SAP S/4HANA")
    services.product_add_lineage(actor=platform_owner, product=product, external_source="SAP S/4HANA")  # once
    assert [str(e) for e in product.upstream_edges.all()] == ["SAP S/4HANA → General ledger entries"]
    assert [e.downstream for e in product.downstream_edges.all()] == [report]
    with pytest.raises(ValidationError) as refused:
        services.product_add_lineage(actor=platform_owner, product=product, upstream=product)
    assert "upstream" in refused.value.message_dict
