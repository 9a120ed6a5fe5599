"""ODCS data contracts: a product exports as an ODCS v3.0 YAML contract and a contract imports as a draft product.

A malformed contract is refused with messages naming the field by its path, and nothing is saved.
"""

import pytest
import yaml
from django.core.exceptions import ValidationError

from loom_portal.models import AuditEvent
from marketplace import selectors, services
from marketplace.contracts import contract_for, dump_yaml, parse_contract
from marketplace.models import DataProduct, ProductChange, ProductColumn
from marketplace.services.contracts import product_import_contract
from tests import factories

COLUMN_FIELDS = ("position", "name", "data_type", "description", "classification", "is_nullable", "is_scopable")


def exported(actor, product) -> str:
    fetched = selectors.product_get(actor=actor, slug=product.slug)
    return dump_yaml(contract_for(fetched, people=selectors.product_people(fetched)))


def columns_of(product):
    return [{k: getattr(c, k) for k in COLUMN_FIELDS} for c in product.columns.order_by("position")]


def metadata_of(product):
    product.refresh_from_db()
    return {
        "name": product.name, "kind": product.kind, "description": product.description,
        "sensitivity": product.sensitivity, "discoverability": product.discoverability,
        "tags": sorted(product.tags.values_list("name", flat=True)), "glossary_terms": product.glossary_terms,
        "source_engine": product.source_engine, "source_database": product.source_database,
        "source_schema": product.source_schema, "source_table": product.source_table,
        "source_path": product.source_path, "freshness_sla_hours": product.freshness_sla_hours,
        "domain": product.domain_id,
    }


@pytest.fixture
def rich_product(platform_owner, domain, product_steward, product):
    services.product_update(
        actor=platform_owner, product=product, freshness_sla_hours=24, glossary_terms=["General ledger"],
        source_engine="postgres", source_database="erp", source_schema="gl", source_table="entries",
    )
    services.product_set_columns(actor=platform_owner, product=product, columns=[
        {"name": "entry_id", "data_type": "bigint", "is_nullable": False, "description": "Journal line id"},
        {"name": "region", "data_type": "text", "is_scopable": True},
        {"name": "amount", "data_type": "numeric(18,2)", "classification": "financial"},
        {"name": "posted_on", "data_type": "date"},
    ])
    return product


@pytest.mark.django_db
def test_a_product_exports_as_an_odcs_v3_contract(platform_owner, rich_product, product_steward):
    contract = yaml.safe_load(exported(platform_owner, rich_product))
    assert (contract["apiVersion"], contract["kind"], contract["status"]) == ("v3.0.2", "DataContract", "active")
    assert (contract["name"], contract["dataProduct"], contract["domain"]) == (
        "General ledger entries", "general-ledger-entries", "finance")
    assert contract["version"] == f"{DataProduct.objects.get(pk=rich_product.pk).version}.0.0"
    assert contract["description"] == {"purpose": "Every **posted** journal line."}
    assert sorted(contract["tags"]) == ["accounting", "ledger"]
    [obj] = contract["schema"]
    assert (obj["name"], obj["logicalType"], obj["physicalType"], obj["physicalName"]) == (
        "entries", "object", "table", "erp.gl.entries")
    assert obj["properties"][0] == {"name": "entry_id", "logicalType": "integer", "physicalType": "bigint",
                                    "required": True, "description": "Journal line id"}
    assert obj["properties"][1]["customProperties"] == [{"property": "scopable", "value": True}]
    assert obj["properties"][2]["classification"] == "financial"
    assert [p["logicalType"] for p in obj["properties"]] == ["integer", "string", "number", "date"]
    assert {"username": product_steward.email, "role": "steward"} in contract["team"]
    assert {"username": platform_owner.email, "role": "owner"} in contract["team"]
    assert contract["slaProperties"] == [{"property": "latency", "value": 24, "unit": "h", "driver": "operational"}]
    assert {"property": "sensitivity", "value": "general"} in contract["customProperties"]


@pytest.mark.django_db
def test_export_then_import_gives_the_same_columns_and_metadata(platform_owner, rich_product, product_steward):
    text = exported(platform_owner, rich_product).replace(
        "dataProduct: general-ledger-entries", "dataProduct: general-ledger-entries-copy")
    result = product_import_contract(actor=platform_owner, domain=rich_product.domain, contract=text)
    copy = result.product
    assert result.created and copy.slug == "general-ledger-entries-copy" and copy.status == "draft"
    assert columns_of(copy) == columns_of(rich_product)
    assert metadata_of(copy) == metadata_of(rich_product)
    people = selectors.product_people(selectors.product_get(actor=platform_owner, slug=copy.slug))
    assert ([u.email for u in people["owners"]], [u.email for u in people["stewards"]]) == (
        [platform_owner.email], [product_steward.email])
    assert result.skipped == []


@pytest.mark.django_db
def test_importing_a_contract_creates_a_draft_product_owned_by_the_importer(steward, domain):
    contract = """
apiVersion: v3.0.1
kind: DataContract
id: 53581432-6c55-4ba2-a65f-72344a91553a
name: Seller payments
version: 1.1.0
status: active
domain: finance
dataProduct: seller payments
description:
  purpose: Views built on top of the seller tables.
  limitations: Refreshed nightly.
tags: [Payments]
schema:
  - name: tbl
    logicalType: object
    physicalType: view
    properties:
      - name: txn_ref_dt
        logicalType: date
        physicalType: date
        required: true
      - name: rcvr_id
        logicalType: string
        physicalType: varchar(18)
        classification: restricted-not-known
"""
    with pytest.raises(ValidationError) as refused:
        product_import_contract(actor=steward, domain=domain, contract=contract)
    assert refused.value.message_dict == {
        "schema[0].properties[1].classification": ["choose one of: public, pii, sensitive_pii, financial, confidential"]}
    result = product_import_contract(actor=steward, domain=domain, contract=contract.replace("restricted-not-known", "pii"))
    product = result.product
    assert (product.slug, product.name, product.kind, product.status) == ("seller-payments", "Seller payments", "view", "draft")
    assert product.description == "Views built on top of the seller tables.\n\n## Limitations\n\nRefreshed nightly."
    assert list(product.tags.values_list("name", flat=True)) == ["payments"]
    assert columns_of(product) == [
        {"position": 1, "name": "txn_ref_dt", "data_type": "date", "description": "", "classification": "",
         "is_nullable": False, "is_scopable": False},
        {"position": 2, "name": "rcvr_id", "data_type": "varchar(18)", "description": "", "classification": "pii",
         "is_nullable": True, "is_scopable": False},
    ]
    assert selectors.product_people(selectors.product_get(actor=steward, slug=product.slug))["owners"] == [steward]
    assert AuditEvent.objects.filter(action="product.contract_imported").count() == 1


@pytest.mark.django_db
def test_importing_again_updates_the_draft_product(platform_owner, domain):
    first = product_import_contract(actor=platform_owner, domain=domain, contract=_minimal(columns=["a", "b"])).product
    again = product_import_contract(actor=platform_owner, domain=domain, contract=_minimal(columns=["a", "c", "d"]))
    assert not again.created and again.product.pk == first.pk
    assert [c.name for c in again.product.columns.order_by("position")] == ["a", "c", "d"]
    assert DataProduct.objects.filter(slug="orders").count() == 1


@pytest.mark.django_db
def test_a_published_product_is_not_overwritten_by_a_contract(platform_owner, product, domain):
    text = exported(platform_owner, product).replace("name: amount", "name: total")
    with pytest.raises(ValidationError) as refused:
        product_import_contract(actor=platform_owner, domain=domain, contract=text)
    assert "status" in refused.value.message_dict
    assert "amount" in product.columns.values_list("name", flat=True)


def _minimal(*, columns=("id",), extra=""):
    props = "\n".join(f"      - name: {c}\n        physicalType: text" for c in columns)
    return (f"apiVersion: v3.0.2\nkind: DataContract\nid: x-1\nversion: 1.0.0\nstatus: draft\nname: Orders\n{extra}"
            f"schema:\n  - name: orders\n    properties:\n{props}\n")


MALFORMED = [
    ("schema[0].properties[2].name", "required",
     _minimal(columns=["id", "total"]) + "      - physicalType: text\n"),
    ("kind", "must be DataContract", _minimal().replace("kind: DataContract", "kind: Contract")),
    ("apiVersion", "required", _minimal().replace("apiVersion: v3.0.2\n", "")),
    ("apiVersion", "choose one of: v3.0.0, v3.0.1, v3.0.2", _minimal().replace("v3.0.2", "v9")),
    ("id", "required", _minimal().replace("id: x-1\n", "")),
    ("schema[0].properties[1].name", "'id' appears twice", _minimal(columns=["id", "id"])),
    ("schema[0].properties[0].logicalType", "choose one of: string, date, timestamp, time, number, integer, object, "
     "array, boolean", _minimal().replace("physicalType: text", "logicalType: text")),
    ("schema[0].properties[0].physicalType", "required (give a physicalType or a logicalType)",
     _minimal().replace("        physicalType: text\n", "")),
    ("tags[1]", "must be text", _minimal(extra="tags: [a, {b: c}]\n")),
    ("slaProperties[0].value", "give the latency as a whole positive number",
     _minimal(extra="slaProperties:\n  - property: latency\n    value: soon\n")),
    ("customProperties[0].value", "choose one of: public, general, confidential, highly_confidential",
     _minimal(extra="customProperties:\n  - property: sensitivity\n    value: secret\n")),
    ("shema", "not an ODCS v3.0 field", _minimal(extra="shema: []\n")),
    ("schema", "a data product's contract describes one object; this one has 2",
     _minimal() + "  - name: second\n"),
    ("contract", "Not valid YAML (line 2, column 3): mapping values are not allowed here.", "a: b\n c: d\n"),
    ("contract", "The contract must be a YAML mapping with apiVersion, kind, id, ...", "- just\n- a list\n"),
    ("contract", "The contract is empty.", "   "),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "message", "contract"), MALFORMED, ids=[m[0] + ":" + m[1][:20] for m in MALFORMED])
def test_a_malformed_contract_is_refused_naming_the_field_and_nothing_is_saved(platform_owner, domain, path, message, contract):
    before = (DataProduct.objects.count(), ProductColumn.objects.count(), ProductChange.objects.count(),
              AuditEvent.objects.count())
    with pytest.raises(ValidationError) as refused:
        product_import_contract(actor=platform_owner, domain=domain, contract=contract)
    assert refused.value.message_dict[path] == [message]
    assert (DataProduct.objects.count(), ProductColumn.objects.count(), ProductChange.objects.count(),
            AuditEvent.objects.count()) == before


@pytest.mark.django_db
def test_every_bad_field_is_named_at_once(platform_owner, domain):
    contract = _minimal(columns=["id", "id"]).replace("kind: DataContract", "kind: Contract") + "      - {}\n"
    with pytest.raises(ValidationError) as refused:
        parse_contract(contract)
    assert set(refused.value.message_dict) == {
        "kind", "schema[0].properties[1].name", "schema[0].properties[2].name", "schema[0].properties[2].physicalType"}


@pytest.mark.django_db
def test_yaml_aliases_are_refused(platform_owner, domain):
    with pytest.raises(ValidationError) as refused:
        parse_contract("a: &x [1]\nb: *x\n")
    assert "aliases" in refused.value.message_dict["contract"][0]


@pytest.mark.django_db
def test_a_consumer_cannot_import_and_nothing_is_saved(consumer, domain):
    with pytest.raises(PermissionError):
        product_import_contract(actor=consumer, domain=domain, contract=_minimal())
    assert not DataProduct.objects.exists()


@pytest.mark.django_db
def test_a_steward_of_another_domain_cannot_import_into_this_one(tenant, platform_owner, domain):
    hr = factories.make_domain(platform_owner, "HR", slug="hr")
    hr_steward = factories.make_steward(platform_owner, hr, factories.make_user(tenant, "hr.steward@contoso.example"))
    with pytest.raises(Exception) as refused:
        product_import_contract(actor=hr_steward, domain=domain, contract=_minimal())
    assert refused.type.__name__ in ("Http404", "PermissionDenied")
    assert not DataProduct.objects.exists()


@pytest.mark.django_db
def test_team_members_unknown_to_the_tenant_are_reported_not_assigned(platform_owner, domain):
    result = product_import_contract(
        actor=platform_owner, domain=domain,
        contract=_minimal(extra="team:\n  - username: ceastwood@example.org\n    role: owner\n"),
    )
    assert result.skipped == ["team[0].username: no active user 'ceastwood@example.org' in this tenant; role not assigned"]
    people = selectors.product_people(selectors.product_get(actor=platform_owner, slug="orders"))
    assert people["owners"] == [platform_owner]
