"""Demo data products for ``manage.py loom_demo``: ~8 realistic products over Finance, HR and Mission Ops.

Idempotent: a product whose slug already exists is left alone.
"""

from datetime import timedelta

from django.utils import timezone

from domains import selectors as domain_selectors
from loom_portal.choices import SensitivityLabel
from loom_portal.selectors import user_list
from marketplace import selectors, services
from marketplace.choices import ColumnClassification as C
from marketplace.choices import Discoverability, ProductKind, ProductRole, SourceEngine


def _col(name, data_type, description="", classification="", scopable=False):
    return {"name": name, "data_type": data_type, "description": description, "classification": classification,
            "is_scopable": scopable, "is_nullable": True}


PRODUCTS = [
    {
        "domain": "finance", "slug": "general-ledger-entries", "name": "General ledger entries", "kind": ProductKind.TABLE,
        "description": "Every **posted journal line** of the general ledger, one row per line, after the nightly close.\n\n"
        "- Amounts are in the transaction currency; use `currency` to convert.\n- Reversals appear as negative lines.",
        "tags": ["ledger", "accounting", "monthly-close"], "glossary_terms": ["Journal entry", "Cost centre"],
        "source_engine": SourceEngine.POSTGRES, "source_database": "finance", "source_schema": "gl",
        "source_table": "journal_entries", "freshness_sla_hours": 24, "refreshed_hours_ago": 3, "publish": True,
        "columns": [
            _col("entry_id", "bigint", "Journal line id."),
            _col("posted_on", "date", "Posting date."),
            _col("account_code", "character varying(20)", "Chart-of-accounts code."),
            _col("cost_centre", "character varying(20)", "Cost centre charged."),
            _col("region", "character varying(40)", "Sales region of the legal entity.", scopable=True),
            _col("country", "character(2)", "ISO 3166 country code.", scopable=True),
            _col("amount", "numeric(18,2)", "Signed amount.", C.FINANCIAL),
            _col("currency", "character(3)", "ISO 4217 currency code."),
        ],
    },
    {
        "domain": "finance", "slug": "vendor-payments", "name": "Vendor payments", "kind": ProductKind.VIEW,
        "description": "Payments made to suppliers, with the vendor's bank details masked for consumers without PII access.",
        "tags": ["payments", "procurement", "accounts-payable"], "glossary_terms": ["Vendor"],
        "source_engine": SourceEngine.SQLSERVER, "source_database": "fin_dw", "source_schema": "ap",
        "source_table": "v_vendor_payments", "freshness_sla_hours": 24, "refreshed_hours_ago": 30, "publish": True,
        "upstream_external": "SAP S/4HANA (FI-AP)",
        "columns": [
            _col("payment_id", "bigint"), _col("paid_on", "date"), _col("vendor_name", "nvarchar(200)"),
            _col("vendor_iban", "nvarchar(34)", "Bank account of the vendor.", C.PII),
            _col("region", "nvarchar(40)", scopable=True), _col("amount", "decimal(18,2)", classification=C.FINANCIAL),
        ],
    },
    {
        "domain": "finance", "slug": "cost-and-budget-model", "name": "Cost and budget model", "kind": ProductKind.SEMANTIC_MODEL,
        "description": "Power BI semantic model joining actual cost to budget by cost centre and month.",
        "tags": ["budget", "cost", "power-bi"], "glossary_terms": ["Budget", "Cost centre"],
        "sensitivity": SensitivityLabel.GENERAL, "source_engine": SourceEngine.POWERBI,
        "source_path": "Finance workspace / Cost and budget", "freshness_sla_hours": 24, "refreshed_hours_ago": 5,
        "publish": True, "upstream": ["general-ledger-entries"],
    },
    {
        "domain": "hr", "slug": "employee-directory", "name": "Employee directory", "kind": ProductKind.TABLE,
        "description": "Current employees with their position, department and work location.",
        "tags": ["people", "directory", "org-chart"], "glossary_terms": ["Employee", "Position"],
        "discoverability": Discoverability.DISCOVERABLE, "source_engine": SourceEngine.DATABRICKS,
        "source_database": "hr", "source_schema": "core", "source_table": "employees", "freshness_sla_hours": 24,
        "refreshed_hours_ago": 2, "publish": True,
        "columns": [
            _col("employee_id", "string"), _col("full_name", "string", classification=C.PII),
            _col("email", "string", classification=C.PII), _col("job_title", "string"), _col("department", "string"),
            _col("country", "string", scopable=True), _col("region", "string", scopable=True),
        ],
    },
    {
        "domain": "hr", "slug": "payroll-runs", "name": "Payroll runs", "kind": ProductKind.TABLE,
        "description": "Gross-to-net results of each payroll run. Hidden from the catalog except for HR data stewards.",
        "tags": ["payroll", "compensation"], "discoverability": Discoverability.HIDDEN,
        "source_engine": SourceEngine.SQLSERVER, "source_database": "hr_dw", "source_schema": "payroll",
        "source_table": "runs", "freshness_sla_hours": 720, "refreshed_hours_ago": 200, "publish": True,
        "columns": [
            _col("run_id", "int"), _col("employee_id", "nvarchar(20)"),
            _col("gross_pay", "decimal(12,2)", classification=C.SENSITIVE_PII),
            _col("country", "nvarchar(2)", scopable=True),
        ],
    },
    {
        "domain": "hr", "slug": "headcount-by-region", "name": "Headcount by region", "kind": ProductKind.VIEW,
        "description": "Monthly headcount aggregated by region and department; no personal data.",
        "tags": ["people", "headcount"], "sensitivity": SensitivityLabel.GENERAL,
        "source_engine": SourceEngine.DATABRICKS, "source_database": "hr", "source_schema": "marts",
        "source_table": "headcount_by_region", "freshness_sla_hours": 24, "refreshed_hours_ago": 100, "publish": True,
        "upstream": ["employee-directory"],
        "columns": [_col("month", "date"), _col("region", "string", scopable=True), _col("department", "string"),
                    _col("headcount", "int")],
    },
    {
        "domain": "mission-ops", "slug": "flight-telemetry", "name": "Flight telemetry", "kind": ProductKind.KQL_FUNCTION,
        "description": "Per-second telemetry from every flight, as a KQL function over the ADX `Telemetry` table.",
        "tags": ["telemetry", "flights", "real-time"], "glossary_terms": ["Tail number"],
        "source_engine": SourceEngine.ADX, "source_database": "ops", "source_table": "FlightTelemetry()",
        "freshness_sla_hours": 1, "refreshed_hours_ago": 0.3, "publish": True,
        "upstream_external": "Aircraft ACARS feed",
        "columns": [
            _col("timestamp", "datetime"), _col("tail_number", "string"), _col("region", "string", scopable=True),
            _col("country", "string", scopable=True), _col("altitude_m", "real"), _col("speed_kts", "real"),
        ],
    },
    {
        "domain": "mission-ops", "slug": "mission-plans", "name": "Mission plans", "kind": ProductKind.FILE_SET,
        "description": "Approved mission plans as JSON files, one folder per mission.",
        "tags": ["planning", "missions"], "source_engine": SourceEngine.ADLS,
        "source_path": "abfss://plans@opsdatalake.dfs.core.windows.net/missions/", "freshness_sla_hours": 168,
        "publish": False,
    },
]


def load_demo_products(admin_user) -> list:
    """Create the demo products in ``admin_user``'s tenant (a platform owner). Returns the products created."""
    created = []
    domains = {d.slug: d for d in domain_selectors.domain_list(actor=admin_user)}
    steward = user_list(actor=admin_user).filter(email__startswith="steward@").first()
    existing = set(selectors.product_list(actor=admin_user).values_list("slug", flat=True))
    by_slug = {}
    for spec in PRODUCTS:
        spec = dict(spec)
        slug, domain = spec.pop("slug"), domains.get(spec.pop("domain"))
        publish, hours = spec.pop("publish"), spec.pop("refreshed_hours_ago", None)
        upstream, external = spec.pop("upstream", []), spec.pop("upstream_external", "")
        if slug in existing or domain is None:
            continue
        product = services.product_create(actor=admin_user, domain=domain, slug=slug, **spec)
        if hours is not None:
            product = services.product_record_refresh(
                actor=admin_user, product=product, refreshed_at=timezone.now() - timedelta(hours=hours)
            )
        for upstream_slug in upstream:
            source = by_slug.get(upstream_slug) or selectors.product_list(actor=admin_user).filter(slug=upstream_slug).first()
            if source is not None:
                services.product_add_lineage(actor=admin_user, product=product, upstream=source)
        if external:
            services.product_add_lineage(actor=admin_user, product=product, external_source=external)
        if steward is not None and domain.slug in ("finance", "mission-ops"):
            services.product_assign_role(actor=admin_user, product=product, user=steward, role=ProductRole.STEWARD)
        if publish:
            product = services.product_publish(actor=admin_user, product=product)
        by_slug[slug] = product
        created.append(product)
    return created


# --- Access demo: sample rows served by the embedded engine, a live grant and a waiting request ---------

REGIONS = [("EMEA", ["DE", "FR", "GB", "NL"]), ("APAC", ["JP", "AU", "SG"]), ("AMER", ["US", "CA", "BR"])]


def load_demo_serving_rows(database: str = "finance") -> int:
    """Fill ``gl.journal_entries`` in the demo's SQLite serving database (when ``database`` is served from
    SQLite) with 240 deterministic journal lines. Returns the rows written (0 when already there)."""
    from django.conf import settings

    from marketplace.serving import open_sqlite

    url = settings.SERVING_DATABASES.get(database, "")
    if not url.startswith("sqlite:"):
        return 0
    conn = open_sqlite(url, database, ("gl",))
    try:
        conn.execute(
            'CREATE TABLE IF NOT EXISTS "gl"."journal_entries" (entry_id INTEGER PRIMARY KEY, posted_on TEXT, '
            "account_code TEXT, cost_centre TEXT, region TEXT, country TEXT, amount NUMERIC, currency TEXT)"
        )
        if conn.execute('SELECT count(*) FROM "gl"."journal_entries"').fetchone()[0]:
            return 0
        rows = []
        for i in range(240):
            region, countries = REGIONS[i % 3]
            rows.append((i + 1, f"2026-{(i % 10) + 1:02d}-{(i % 27) + 1:02d}", f"{4000 + i % 17}", f"CC-{1001 + i % 4}",
                         region, countries[i % len(countries)], round(((i * 7919) % 100000) / 100 - 250, 2),
                         "EUR" if region == "EMEA" else "USD"))
        conn.executemany('INSERT INTO "gl"."journal_entries" VALUES (?, ?, ?, ?, ?, ?, ?, ?)', rows)
        conn.commit()
        return len(rows)
    finally:
        conn.close()


def load_demo_access(admin_user) -> None:
    """The demo consumer holds EMEA rows of the general ledger (applied by the embedded engine) and waits for
    APAC vendor payments; idempotent."""
    from marketplace.services import access

    load_demo_serving_rows()
    people = {u.email.split("@")[0]: u for u in user_list(actor=admin_user)}
    consumer, steward = people.get("consumer"), people.get("steward")
    if consumer is None or steward is None:
        return
    products = {p.slug: p for p in selectors.product_list(actor=admin_user)}
    if selectors.access_request_list(actor=consumer, mine=True).exists():
        return
    ledger, payments = products.get("general-ledger-entries"), products.get("vendor-payments")
    if ledger is not None:
        request = access.access_request_create(actor=consumer, product=ledger, scope={"region": ["EMEA"]},
                                               duration_days=90, purpose="Monthly EMEA close review in Power BI.")
        access.access_request_approve(actor=steward, request=request, note="Standard finance analyst access.")
    if payments is not None and payments.status == "published":
        access.access_request_create(actor=consumer, product=payments, scope={"region": ["APAC"]},
                                     duration_days=30, purpose="Reconcile APAC vendor payments for the audit.")
