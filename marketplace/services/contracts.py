"""Importing an ODCS data contract: create a draft product, or update one that is still a draft.

Everything happens in one transaction: a malformed contract, a field the product services refuse or a
permission failure leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from loom_portal import audit, authz
from marketplace.choices import ProductRole, ProductStatus
from marketplace.contracts import parse_contract
from marketplace.models import DataProduct
from marketplace.services.products import (
    product_assign_role,
    product_create,
    product_set_columns,
    product_update,
)


@dataclass
class ContractImport:
    product: DataProduct
    created: bool
    skipped: list[str] = field(default_factory=list)  # team members the portal could not match


def _team_users(tenant, team) -> tuple[dict[str, list], list[str]]:
    emails = {email.lower() for _, email, _ in team}
    matches = Q()
    for email in emails:
        matches |= Q(email__iexact=email)
    candidates = get_user_model().objects.filter(matches, tenant=tenant, is_active=True) if emails else []
    users = {u.email.lower(): u for u in candidates}
    roles: dict[str, list] = {ProductRole.OWNER: [], ProductRole.STEWARD: []}
    skipped = []
    for path, email, role in team:
        user = users.get(email.lower())
        if user is None:
            skipped.append(f"{path}: no active user {email!r} in this tenant; role not assigned")
        elif user not in roles[role]:
            roles[role].append(user)
    return roles, skipped


@transaction.atomic
def product_import_contract(*, actor, domain, contract) -> ContractImport:
    """Create (or, while it is a draft, update) the product ``contract`` describes, in ``domain``.

    ``contract`` is the YAML text. The product is identified by the contract's ``dataProduct`` (else its
    ``name``) slugified. Team members are matched by e-mail among the tenant's active users."""
    if not authz.can(actor, "marketplace.add_dataproduct"):
        raise PermissionError("Only platform owners and the owners or stewards of a domain import data contracts.")
    parsed = parse_contract(contract)
    if domain is None:
        raise ValidationError({"domain": "Choose the domain to import the contract into."})
    if not actor.is_superuser and domain.tenant_id != actor.tenant_id:
        raise ValidationError({"domain": "The domain belongs to another tenant."})
    roles, skipped = _team_users(domain.tenant, parsed.team)
    existing = DataProduct.objects.filter(tenant_id=domain.tenant_id, slug=parsed.slug).first()
    if existing is None:
        product = product_create(
            actor=actor, domain=domain, slug=parsed.slug, columns=parsed.columns,
            owners=roles[ProductRole.OWNER], **parsed.fields,
        )
        for user in roles[ProductRole.STEWARD]:
            product_assign_role(actor=None, product=product, user=user, role=ProductRole.STEWARD, assigned_by=actor)
        created = True
    else:
        if not authz.can(actor, "marketplace.change_dataproduct", existing):
            raise ValidationError({"dataProduct": f"A data product with slug {parsed.slug!r} already exists."})
        if existing.domain_id != domain.pk:
            raise ValidationError(
                {"domain": f"{existing.name} belongs to the {existing.domain.name} domain, not {domain.name}."}
            )
        if existing.status != ProductStatus.DRAFT:
            raise ValidationError({"status": f"Only draft products are updated from a contract; {existing.name} is "
                                             f"{existing.get_status_display().lower()}."})
        fields = dict(parsed.fields)
        if fields.get("sensitivity") is None:
            fields.pop("sensitivity", None)
        product = product_update(actor=actor, product=existing, **fields)
        product = product_set_columns(actor=actor, product=product, columns=parsed.columns)
        may_manage = authz.can(actor, "marketplace.manage_product_roles", product)
        for role, users in roles.items():
            for user in users:
                if may_manage:
                    product_assign_role(actor=actor, product=product, user=user, role=role)
                else:
                    skipped.append(f"team: you may not assign roles on {product.name}; {user.email} not added")
        created = False
    audit.record(actor=actor, action="product.contract_imported", target=product,
                 data={"created": created, "columns": len(parsed.columns), "skipped": skipped})
    return ContractImport(product=product, created=created, skipped=skipped)
