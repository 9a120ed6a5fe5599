"""Reads for chargeback (DESIGN.md §2). Every selector takes the actor and restricts through authz.

Split by subject: ``costs`` (the cost reports), ``budgets`` and ``allocation`` (allocation
rules, top movers, the month-end forecast). Everything is re-exported here.
"""

from chargeback.selectors.allocation import (  # noqa: F401
    ALLOC_PLACES,
    Allocation,
    DomainTotal,
    Forecast,
    Mover,
    allocated_matrix,
    allocation_rule_list,
    cost_allocation,
    direct_and_allocated,
    month_end_forecasts,
    top_movers,
)
from chargeback.selectors.budgets import (  # noqa: F401
    BudgetStatus,
    budget_alert_list,
    budget_get,
    budget_list,
    budget_references,
    budget_statuses,
)
from chargeback.selectors.costs import (  # noqa: F401
    NO_WORKSPACE,
    ZERO,
    Matrix,
    MatrixRow,
    _fill,
    _month_grouped,
    _monthly,
    _whole_months,
    cost_breakdown,
    cost_month_list,
    cost_record_list,
    cost_scope_list,
    daily_trend,
    domain_month_matrix,
    domain_workspace_matrix,
    months_between,
    unmapped_tag_value_list,
)
from chargeback.selectors.showback import ShowbackRow, product_showback, showback_breakdown  # noqa: F401,E402
