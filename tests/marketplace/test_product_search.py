"""Catalog search: weighted full text, typo tolerance, facets with counts, sorting and paging in fixed queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace import search, selectors, services
from marketplace.choices import ProductRole
from tests.conftest import on_postgres, requires_postgres
from tests.factories import make_domain, make_user
from tests.marketplace.conftest import make_product


@pytest.fixture
def shelf(platform_owner, domain, tenant):
    """Five published products over two domains, and a draft."""
    ops = make_domain(platform_owner, "Mission Ops", slug="mission-ops")
    ana = make_user(tenant, "ana@contoso.example")
    products = {
        "ledger": make_product(platform_owner, domain, "General ledger entries", sensitivity="confidential",
                               tags=["ledger", "accounting"], description="Posted journal lines.",
                               freshness_sla_hours=24),
        "payments": make_product(platform_owner, domain, "Vendor payments", sensitivity="confidential",
                                 tags=["payments"], description="Supplier payments, including the ledger account.",
                                 kind="view"),
        "budget": make_product(platform_owner, domain, "Budget model", sensitivity="general", tags=["budget", "ledger"],
                               kind="semantic_model", description="Cost against budget."),
        "telemetry": make_product(platform_owner, ops, "Flight telemetry", sensitivity="general", tags=["telemetry"],
                                  kind="kql_function", description="Per-second aircraft telemetry.",
                                  columns=[{"name": "tail_number", "data_type": "string"}]),
        "weather": make_product(platform_owner, ops, "Weather observations", sensitivity="public", tags=["weather"],
                                kind="api", description="Hourly observations from ledger stations."),
        "draft": make_product(platform_owner, ops, "Mission plans", publish=False, tags=["planning"]),
    }
    services.product_record_refresh(actor=platform_owner, product=products["ledger"],
                                    refreshed_at=timezone.now() - timedelta(hours=2))
    services.product_assign_role(actor=platform_owner, product=products["telemetry"], user=ana, role=ProductRole.OWNER)
    products["ana"] = ana
    return products


def names(result):
    return [p.name for p in result.page]


@requires_postgres
@pytest.mark.django_db
def test_a_misspelled_word_still_finds_the_product(shelf, consumer):
    assert names(selectors.product_search(actor=consumer, search="telemtry")) == ["Flight telemetry"]
    assert names(selectors.product_search(actor=consumer, search="ledgr entries")) == ["General ledger entries"]


@requires_postgres
@pytest.mark.django_db
def test_a_match_in_the_name_ranks_above_tags_above_description(shelf, consumer):
    ranked = names(selectors.product_search(actor=consumer, search="ledger"))
    assert ranked[:2] == ["General ledger entries", "Budget model"]  # name (A), then tag (B)
    assert sorted(ranked[2:]) == ["Vendor payments", "Weather observations"]  # description only (C)


@requires_postgres
@pytest.mark.django_db
def test_web_search_syntax_excludes_words_and_columns_are_searched(shelf, consumer):
    assert "Vendor payments" not in names(selectors.product_search(actor=consumer, search="ledger -supplier"))
    assert names(selectors.product_search(actor=consumer, search="tail number")) == ["Flight telemetry"]


@pytest.mark.django_db
def test_drafts_are_not_found_by_consumers_but_are_by_editors(shelf, consumer, platform_owner):
    assert "Mission plans" not in names(selectors.product_search(actor=consumer, search="plans"))
    assert names(selectors.product_search(actor=platform_owner, search="Mission plans")) == ["Mission plans"]


@pytest.mark.django_db
def test_facets_count_what_each_choice_would_give_and_filters_narrow(shelf, consumer):
    result = selectors.product_search(actor=consumer, domain="finance")
    assert names(result) == ["Budget model", "Vendor payments", "General ledger entries"]  # newest first
    facets = {name: {v.value: v.count for v in values} for name, values in result.facets.items()}
    assert facets["domain"] == {"finance": 3, "mission-ops": 2}  # the domain facet ignores its own filter
    assert facets["sensitivity"] == {"confidential": 2, "general": 1}
    assert facets["kind"] == {"table": 1, "view": 1, "semantic_model": 1}
    assert facets["tag"] == {"ledger": 2, "accounting": 1, "budget": 1, "payments": 1}
    assert facets["freshness"] == {"fresh": 1, "unknown": 2}
    assert facets["owner"] == {str(shelf["ledger"].user_permissions.get().user_id): 3}
    narrowed = selectors.product_search(actor=consumer, domain="finance", sensitivity="confidential", tag="LEDGER")
    assert names(narrowed) == ["General ledger entries"]
    assert names(selectors.product_search(actor=consumer, freshness="fresh")) == ["General ledger entries"]
    assert names(selectors.product_search(actor=consumer, owner=shelf["ana"].pk)) == ["Flight telemetry"]
    assert names(selectors.product_search(actor=consumer, kind="api")) == ["Weather observations"]


@pytest.mark.django_db
def test_results_sort_by_name_and_page(shelf, consumer):
    page1 = selectors.product_search(actor=consumer, sort="name", page_size=2)
    page3 = selectors.product_search(actor=consumer, sort="name", page=3, page_size=2)
    assert names(page1) == ["Budget model", "Flight telemetry"]
    assert names(page3) == ["Weather observations"]
    assert page1.total == 5


@pytest.mark.django_db
def test_another_tenants_products_never_appear(shelf, other_platform_owner, other_domain, consumer, other_tenant_user):
    make_product(other_platform_owner, other_domain, "Fabrikam ledger", tags=["ledger"])
    assert "Fabrikam ledger" not in names(selectors.product_search(actor=consumer, search="ledger"))
    other = selectors.product_search(actor=other_tenant_user)
    assert names(other) == ["Fabrikam ledger"]
    assert {v.value for v in other.facets["tag"]} == {"ledger"}


def _seed(platform_owner, domain, count):
    for n in range(count):
        make_product(platform_owner, domain, f"Product {n:02d}", tags=[f"tag{n % 3}", "shared"],
                     columns=[{"name": "id", "data_type": "int"}])


# Committed data (transaction=True): the facet index is kept between searches only outside a transaction.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rows", [1, 25])
def test_a_page_of_results_costs_the_same_queries_whatever_its_size(platform_owner, domain, consumer, rows,
                                                                     django_assert_num_queries):
    _seed(platform_owner, domain, rows)
    selectors.product_search(actor=consumer, page_size=25)  # reads the facet index and the visible ids
    # PostgreSQL: whether the catalog changed since the index was read, the spelling check, the matching ids,
    # the owners' names, the page, the tags of the page. SQLite: the total with every facet's counts, the page,
    # the tags of the page.
    with django_assert_num_queries(6 if on_postgres() else 3):
        result = selectors.product_search(actor=consumer, search="product", page_size=25)
        assert len([p.tags.all() for p in result.page]) == rows
        assert all(len(values) >= 1 for values in result.facets.values())
    # The next page of the same search reads no text match again: check, owners' names, page, tags.
    with django_assert_num_queries(4 if on_postgres() else 3):
        assert len(selectors.product_search(actor=consumer, search="product", page_size=25, page=1).page) == rows


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_facet_index_follows_every_committed_change(platform_owner, domain, consumer, steward):
    make_product(platform_owner, domain, "Ledger entries", tags=["ledger"])
    first = selectors.product_search(actor=consumer)
    assert first.total == 1 and {v.value: v.count for v in first.facets["tag"]} == {"ledger": 1}
    second = make_product(platform_owner, domain, "Ledger balances", tags=["ledger", "gold"], sensitivity="general")
    after_create = selectors.product_search(actor=consumer, tag="gold")
    assert names(after_create) == ["Ledger balances"]
    assert {v.value: v.count for v in after_create.facets["tag"]} == {"ledger": 2, "gold": 1}
    services.product_retire(actor=platform_owner, product=second)
    after_retire = selectors.product_search(actor=consumer)
    assert after_retire.total == 1 and names(after_retire) == ["Ledger entries"]
    assert {v.value: v.count for v in after_retire.facets["tag"]} == {"ledger": 1}


@requires_postgres
@pytest.mark.django_db
def test_what_a_rolled_back_transaction_wrote_is_never_counted(platform_owner, domain, consumer):
    make_product(platform_owner, domain, "Ledger entries")
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        make_product(platform_owner, domain, "Phantom ledger")
        assert selectors.product_search(actor=consumer).total == 2  # seen inside its own transaction
        raise RuntimeError("roll back")
    assert selectors.product_search(actor=consumer).total == 1


@pytest.mark.django_db
def test_a_highly_confidential_products_description_and_columns_are_not_searchable(
    platform_owner, domain, consumer, signed_in
):
    make_product(platform_owner, domain, "Crew rosters", sensitivity="highly_confidential", discoverability="discoverable",
                 description="Home addresses of aircrew.", columns=[{"name": "passport_number", "data_type": "text"}])
    assert names(selectors.product_search(actor=consumer, search="rosters")) == ["Crew rosters"]  # listed
    assert names(selectors.product_search(actor=consumer, search="addresses")) == []
    assert names(selectors.product_search(actor=consumer, search="passport")) == []
    html = signed_in(consumer).get("/catalog/").content.decode()
    assert "Crew rosters" in html and "details on request" in html and "addresses" not in html


@requires_postgres
@pytest.mark.django_db
def test_a_word_no_product_uses_is_dropped_but_exact_matches_rank_first(shelf, consumer):
    # "reconciliation" is in no product; the search still finds the ledger products, best match first.
    ranked = names(selectors.product_search(actor=consumer, search="ledgr reconciliation"))
    assert ranked[:2] == ["General ledger entries", "Budget model"]
    assert names(selectors.product_search(actor=consumer, search="telemtry -weather")) == ["Flight telemetry"]
    assert names(selectors.product_search(actor=consumer, search="zzyzx")) == []


@requires_postgres
@pytest.mark.django_db
def test_misspellings_are_corrected_against_the_words_of_indexed_products(platform_owner, domain, consumer):
    assert search.corrected_query("hydrografy") is None  # no product uses the word yet
    make_product(platform_owner, domain, "Hydrography survey", tags=["bathymetry"])
    assert search.corrected_query("hydrografy batymetry") == "hydrography bathymetry"
    assert names(selectors.product_search(actor=consumer, search="batymetry")) == ["Hydrography survey"]


@requires_postgres
@pytest.mark.django_db
def test_rebuilding_the_vocabulary_forgets_words_no_product_uses(platform_owner, domain):
    product = make_product(platform_owner, domain, "Hydrography survey")
    services.product_update(actor=platform_owner, product=product, name="Tide gauges")
    assert search.corrected_query("hydrografy") == "hydrography"  # added words stay until the rebuild
    search.search_words_rebuild()
    assert search.corrected_query("hydrografy") is None
    assert search.corrected_query("tide gauqes") == "tide gauges"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_steward_removed_from_a_domain_no_longer_finds_its_drafts(platform_owner, domain, steward):
    from domains import services as domain_services
    from domains.choices import DomainRole

    make_product(platform_owner, domain, "Ledger entries")
    make_product(platform_owner, domain, "Ledger drafts", publish=False)
    assert sorted(names(selectors.product_search(actor=steward, search="ledger"))) == ["Ledger drafts", "Ledger entries"]
    assert selectors.product_search(actor=steward).total == 2

    domain_services.domain_remove_role(actor=platform_owner, domain=domain, user=steward, role=DomainRole.STEWARD)

    assert names(selectors.product_search(actor=steward, search="ledger")) == ["Ledger entries"]
    result = selectors.product_search(actor=steward)
    assert result.total == 1 and {v.value: v.count for v in result.facets["domain"]} == {domain.slug: 1}


@requires_postgres
@pytest.mark.django_db
def test_the_change_log_keeps_a_week(platform_owner, domain):
    from django.db import connection

    from marketplace import facet_index

    make_product(platform_owner, domain, "Ledger entries")  # this transaction is logged
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO marketplace_catalogchange (txid, changed_at) VALUES ('1'::xid8, now() - interval '8 days'), "
                       "('2'::xid8, now() - interval '6 days')")
    assert facet_index.catalog_changes_prune() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid::text FROM marketplace_catalogchange WHERE txid < '3'::xid8")
        assert [row[0] for row in cursor.fetchall()] == ["2"]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_renamed_domain_is_shown_by_its_new_name(platform_owner, domain, consumer):
    from domains import services as domain_services

    make_product(platform_owner, domain, "Ledger entries")
    assert [(v.value, v.label) for v in selectors.product_search(actor=consumer).facets["domain"]] == [
        ("finance", "Finance")]

    domain_services.domain_update(actor=platform_owner, domain=domain, name="Corporate Finance",
                                  description=domain.description, parent=domain.parent,
                                  entra_group_id=domain.entra_group_id, default_sensitivity=domain.default_sensitivity)

    assert [v.label for v in selectors.product_search(actor=consumer).facets["domain"]] == ["Corporate Finance"]
