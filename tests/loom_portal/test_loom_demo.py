"""`manage.py loom_demo` loads two tenants, three domains each and one user per role, idempotently."""

import pytest
from django.core.management import call_command

from domains.models import Domain, Workspace
from loom_portal.models import Tenant, User


@pytest.mark.django_db
def test_the_demo_loads_once_and_prints_the_accounts(capsys):
    call_command("loom_demo")
    out = capsys.readouterr().out
    call_command("loom_demo", quiet=True)
    assert Tenant.objects.count() == 2
    assert sorted(Domain.objects.filter(tenant__slug="contoso").values_list("name", flat=True)) == ["Finance", "HR", "Mission Ops"]
    assert Workspace.objects.count() == 8
    assert User.objects.count() == 10
    assert "admin@contoso.example" in out and "Loom-demo-2026!" in out
    admin = User.objects.get(email="admin@contoso.example")
    assert admin.is_platform_owner and admin.is_staff and admin.check_password("Loom-demo-2026!")
