"""Load the demo: two tenants, domains Finance / HR / Mission Ops, workspaces, one user per role.

Idempotent: running it again changes nothing and prints the same accounts.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from chargeback.demo import load_demo_costs
from domains import selectors as domain_selectors
from domains import services as domain_services
from domains.choices import DomainRole
from loom_portal import services
from loom_portal.choices import SensitivityLabel
from loom_portal.models import Tenant, User
from marketplace.demo import load_demo_access, load_demo_products

DEMO_PASSWORD = "Loom-demo-2026!"

TENANTS = [
    ("Contoso Federal", "contoso", "contoso.example"),
    ("Fabrikam Defense", "fabrikam", "fabrikam.example"),
]
DOMAINS = [
    ("Finance", "finance", SensitivityLabel.CONFIDENTIAL, "Ledgers, payments and cost data."),
    ("HR", "hr", SensitivityLabel.HIGHLY_CONFIDENTIAL, "People, positions and payroll data."),
    ("Mission Ops", "mission-ops", SensitivityLabel.GENERAL, "Operational telemetry and mission planning data."),
]
# (local part, first name, last name, role flags, description)
PEOPLE = [
    ("consumer", "Casey", "Consumer", {}, "consumer"),
    ("steward", "Sam", "Steward", {}, "steward of Finance and Mission Ops"),
    ("owner", "Dana", "Owner", {"is_domain_owner": True}, "domain owner of Finance"),
    ("finance", "Fran", "Finance", {"is_finance": True}, "finance"),
    ("admin", "Pat", "Platform", {"is_platform_owner": True}, "platform owner"),
]


class Command(BaseCommand):
    help = "Load the demo tenants, domains, workspaces and one user per role."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Do not print the demo accounts.")

    @transaction.atomic
    def handle(self, *args, quiet=False, **options):
        accounts = []
        for tenant_name, slug, mail_domain in TENANTS:
            tenant = Tenant.objects.filter(slug=slug).first() or services.tenant_create(
                actor=None, name=tenant_name, slug=slug
            )
            users = {}
            for local, first, last, flags, label in PEOPLE:
                email = f"{local}@{mail_domain}"
                user = User.objects.filter(email=email).first() or services.user_create(
                    actor=None, tenant=tenant, email=email, first_name=first, last_name=last, password=DEMO_PASSWORD, **flags
                )
                users[local] = user
                accounts.append((tenant.name, label, email))
            operator = users["admin"]  # the tenant's platform owner sets up its domains
            domains = {}
            for name, dslug, label, description in DOMAINS:
                existing = domain_selectors.domain_list(actor=operator).filter(slug=dslug).first()
                domains[dslug] = existing or domain_services.domain_create(
                    actor=operator, name=name, slug=dslug, default_sensitivity=label, description=description
                )
            for dslug, ws_id, ws_name, centre in [
                ("finance", f"{slug}-fin-ledger", "Ledger analytics", "CC-1001"),
                ("hr", f"{slug}-hr-people", "People analytics", "CC-2001"),
                ("mission-ops", f"{slug}-ops-telemetry", "Telemetry lake", "CC-3001"),
                ("mission-ops", f"{slug}-ops-planning", "Mission planning", "CC-3002"),
            ]:
                if not domain_selectors.workspace_list(actor=operator).filter(workspace_id__iexact=ws_id).exists():
                    domain_services.workspace_create(
                        actor=operator, domain=domains[dslug], workspace_id=ws_id, name=ws_name, cost_centre=centre,
                        owner=users["owner"],
                    )
            domain_services.domain_assign_role(actor=operator, domain=domains["finance"], user=users["owner"], role=DomainRole.OWNER)
            for dslug in ("finance", "mission-ops"):
                domain_services.domain_assign_role(actor=operator, domain=domains[dslug], user=users["steward"], role=DomainRole.STEWARD)
            load_demo_products(operator)
            load_demo_access(operator)
            load_demo_costs(operator, users["finance"])
        if not quiet:
            self.stdout.write(self.style.SUCCESS("Demo data loaded. Sign in at http://127.0.0.1:8000 with:"))
            for tenant_name, label, email in accounts:
                self.stdout.write(f"  {tenant_name:<18} {label:<36} {email:<28} password: {DEMO_PASSWORD}")
