"""Writes for data products. Each checks the policy, validates (errors name the field) and records an
audit event in its transaction. Status moves only here: draft → published → deprecated → retired."""

from marketplace.services.onboarding import introspect_postgres, product_register_from_postgres
from marketplace.services.products import (
    EDITABLE_FIELDS,
    product_add_lineage,
    product_assign_role,
    product_create,
    product_deprecate,
    product_publish,
    product_record_refresh,
    product_remove_role,
    product_retire,
    product_set_columns,
    product_update,
    reindex,
)

__all__ = [
    "EDITABLE_FIELDS", "introspect_postgres", "product_add_lineage", "product_assign_role", "product_create",
    "product_deprecate", "product_publish", "product_record_refresh", "product_register_from_postgres",
    "product_remove_role", "product_retire", "product_set_columns", "product_update", "reindex",
]
