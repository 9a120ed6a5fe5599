"""`loom_demo` loads realistic products in each demo tenant, once."""

import pytest
from django.core.management import call_command

from marketplace.models import DataProduct


@pytest.mark.django_db
def test_the_demo_loads_products_across_the_three_domains_once():
    call_command("loom_demo", quiet=True)
    call_command("loom_demo", quiet=True)
    contoso = DataProduct.objects.filter(tenant__slug="contoso")
    assert contoso.count() == 8 and DataProduct.objects.count() == 16
    assert set(contoso.values_list("domain__slug", flat=True)) == {"finance", "hr", "mission-ops"}
    assert set(contoso.filter(columns__is_scopable=True).values_list("columns__name", flat=True)) == {"region", "country"}
    assert contoso.get(slug="payroll-runs").discoverability == "hidden"
    assert contoso.get(slug="mission-plans").status == "draft"
    assert contoso.get(slug="cost-and-budget-model").upstream_edges.get().upstream.slug == "general-ledger-entries"
