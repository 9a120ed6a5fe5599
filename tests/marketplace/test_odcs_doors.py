"""ODCS contracts through every door: REST (YAML in and out), the product page, the upload form and the command."""

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from marketplace import services
from marketplace.models import DataProduct
from tests.marketplace.conftest import make_product

CONTRACT = """apiVersion: v3.0.2
kind: DataContract
id: 0f6d1c59-2f43-4d55-bb55-2a0c7c1f1e11
version: 1.0.0
status: draft
name: Card transactions
domain: finance
schema:
  - name: card_txn
    physicalType: table
    properties:
      - name: txn_id
        physicalType: bigint
        required: true
      - name: merchant
        logicalType: string
"""
BROKEN = CONTRACT + "      - logicalType: string\n"  # schema[0].properties[2] has no name


@pytest.mark.django_db
def test_the_rest_contract_is_odcs_yaml(signed_in, product, consumer):
    response = signed_in(consumer).get(f"/api/v1/products/{product.slug}/contract")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    contract = yaml.safe_load(response.content)
    assert (contract["kind"], contract["dataProduct"]) == ("DataContract", product.slug)
    assert [p["name"] for p in contract["schema"][0]["properties"]] == ["entry_id", "region", "amount"]


@pytest.mark.django_db
def test_the_rest_contract_is_json_when_asked(signed_in, product, consumer):
    response = signed_in(consumer).get(f"/api/v1/products/{product.slug}/contract", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json()["dataProduct"] == product.slug


@pytest.mark.django_db
def test_another_tenants_contract_is_not_found(signed_in, product, other_tenant_user):
    assert signed_in(other_tenant_user).get(f"/api/v1/products/{product.slug}/contract").status_code == 404
    assert signed_in(other_tenant_user).get(f"/catalog/{product.slug}/contract.yaml").status_code == 404


@pytest.mark.django_db
def test_a_highly_confidential_contract_is_for_editors_only(signed_in, platform_owner, domain, consumer):
    listed = make_product(platform_owner, domain, "Payroll", sensitivity="highly_confidential",
                          discoverability="discoverable", columns=[{"name": "salary", "data_type": "numeric"}])
    hidden = make_product(platform_owner, domain, "Investigations", sensitivity="highly_confidential",
                          discoverability="hidden")
    client = signed_in(consumer)
    assert client.get(f"/api/v1/products/{listed.slug}/contract").status_code == 403
    assert client.get(f"/api/v1/products/{hidden.slug}/contract").status_code == 404
    assert client.get(f"/catalog/{listed.slug}/contract.yaml").status_code == 403
    assert "contract-download" not in client.get(f"/catalog/{listed.slug}/").content.decode()
    assert signed_in(platform_owner).get(f"/api/v1/products/{listed.slug}/contract").status_code == 200


@pytest.mark.django_db
def test_an_editor_imports_a_contract_over_rest(signed_in, steward):
    response = signed_in(steward).post("/api/v1/products/import-contract?domain=finance", CONTRACT,
                                       content_type="application/yaml")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True and body["warnings"] == []
    assert (body["product"]["slug"], body["product"]["status"]) == ("card-transactions", "draft")
    assert [c["name"] for c in body["product"]["columns"]] == ["txn_id", "merchant"]
    again = signed_in(steward).post("/api/v1/products/import-contract", CONTRACT, content_type="application/yaml")
    assert again.status_code == 200 and again.json()["created"] is False  # domain taken from the contract


@pytest.mark.django_db
def test_a_malformed_contract_over_rest_is_a_400_naming_the_field_and_saves_nothing(signed_in, steward):
    response = signed_in(steward).post("/api/v1/products/import-contract?domain=finance", BROKEN,
                                       content_type="application/yaml")
    assert response.status_code == 400
    assert response.json() == {"schema[0].properties[2].name": ["required"]}
    assert not DataProduct.objects.exists()


@pytest.mark.django_db
def test_a_consumer_may_not_import_over_rest(signed_in, consumer, domain):
    response = signed_in(consumer).post("/api/v1/products/import-contract?domain=finance", CONTRACT,
                                        content_type="application/yaml")
    assert response.status_code == 403
    assert not DataProduct.objects.exists()


@pytest.mark.django_db
def test_the_product_page_offers_the_contract_download(signed_in, product, consumer):
    client = signed_in(consumer)
    html = client.get(f"/catalog/{product.slug}/").content.decode()
    assert f'href="/catalog/{product.slug}/contract.yaml"' in html
    assert 'data-testid="contract-upload"' not in html
    download = client.get(f"/catalog/{product.slug}/contract.yaml")
    assert download["Content-Disposition"] == f'attachment; filename="{product.slug}.odcs.yaml"'
    assert yaml.safe_load(download.content)["name"] == product.name


@pytest.mark.django_db
def test_an_editor_updates_a_draft_from_the_upload_form(signed_in, platform_owner, domain):
    draft = make_product(platform_owner, domain, "Card transactions", publish=False)
    client = signed_in(platform_owner)
    assert 'data-testid="contract-upload"' in client.get(f"/catalog/{draft.slug}/").content.decode()
    response = client.post("/catalog/import/contract/", {
        "domain": "finance", "contract": SimpleUploadedFile("c.yaml", CONTRACT.encode(), "application/yaml")})
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert response["Location"] == f"/catalog/{draft.slug}/"
    assert [c.name for c in draft.columns.order_by("position")] == ["txn_id", "merchant"]


@pytest.mark.django_db
def test_the_upload_form_lists_what_is_wrong_and_saves_nothing(signed_in, steward):
    response = signed_in(steward).post("/catalog/import/contract/", {
        "domain": "finance", "contract": SimpleUploadedFile("c.yaml", BROKEN.encode(), "application/yaml")})
    assert response.status_code == 400
    assert "schema[0].properties[2].name: required" in response.content.decode()
    assert not DataProduct.objects.exists()


@pytest.mark.django_db
def test_a_consumer_gets_no_upload_form(signed_in, consumer, domain):
    assert signed_in(consumer).get("/catalog/import/contract/").status_code == 403


@pytest.mark.django_db
def test_the_command_imports_a_contract(tmp_path, steward, capsys):
    path = tmp_path / "contract.yaml"
    path.write_text(CONTRACT)
    call_command("product_import_contract", str(path), "--domain", "finance", "--actor", steward.email)
    assert "Created draft product card-transactions (2 columns) in finance." in capsys.readouterr().out
    assert DataProduct.objects.get(slug="card-transactions").status == "draft"


@pytest.mark.django_db
def test_the_command_refuses_a_malformed_contract_naming_the_field(tmp_path, steward):
    path = tmp_path / "contract.yaml"
    path.write_text(BROKEN)
    with pytest.raises(CommandError, match=r"schema\[0\]\.properties\[2\]\.name: required"):
        call_command("product_import_contract", str(path), "--domain", "finance", "--actor", steward.email)
    assert not DataProduct.objects.exists()


@pytest.mark.django_db
def test_the_command_names_a_bad_option(tmp_path, steward, domain):
    path = tmp_path / "contract.yaml"
    path.write_text(CONTRACT)
    with pytest.raises(CommandError, match="--domain"):
        call_command("product_import_contract", str(path), "--domain", "nope", "--actor", steward.email)
    with pytest.raises(CommandError, match="--actor"):
        call_command("product_import_contract", str(path), "--domain", "finance", "--actor", "nobody@x.example")
    with pytest.raises(CommandError, match="FILE"):
        call_command("product_import_contract", str(tmp_path / "missing.yaml"), "--domain", "finance",
                     "--actor", steward.email)


@pytest.mark.django_db
def test_a_retired_product_still_exports_its_contract_for_editors(signed_in, product, platform_owner):
    services.product_retire(actor=platform_owner, product=product)
    contract = yaml.safe_load(signed_in(platform_owner).get(f"/api/v1/products/{product.slug}/contract").content)
    assert contract["status"] == "retired"
