"""Writes for chargeback (DESIGN.md §2), split by entity:

- ``scopes``: cost scopes (admin-managed ARM scopes);
- ``ingest``: cost ingestion from the Cost Management Query API;
- ``budgets``: budgets, their push to Azure and their evaluation after each ingest;
- ``allocation``: allocation rules for unallocated cost.

Everything is re-exported here, so callers keep writing ``services.costs_ingest(...)``.
"""

from chargeback.services.allocation import (  # noqa: F401
    allocation_rule_create,
    allocation_rule_delete,
    allocation_rule_update,
)
from chargeback.services.budgets import (  # noqa: F401
    BudgetEvaluation,
    budget_create,
    budget_delete,
    budget_push,
    budget_push_again,
    budget_update,
    budgets_evaluate,
)
from chargeback.services.ingest import (  # noqa: F401
    COST_PLACES,
    GROUPING,
    JOB_NAME,
    MAX_PAGES,
    CostDataError,
    CostRow,
    IngestResult,
    _aggregate,
    _column_index,
    _next_page_params,
    _parse_cost,
    _parse_tag_value,
    _parse_usage_date,
    _write_window,
    cost_records_replace,
    costs_ingest,
    default_window,
    fetch_cost_rows,
    month_chunks,
    parse_query_page,
    query_definition,
    refresh_cost_months,
)
from chargeback.services.scopes import (  # noqa: F401
    _clean_scope_fields,
    cost_scope_create,
    cost_scope_delete,
    cost_scope_update,
)
