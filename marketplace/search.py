"""Catalog search internals: the typo-tolerant text query and the facet counts in one SQL statement.

Why this shape (see docs/decisions/0007-catalog-search-speed.md): a match written as
``word_similarity(q, document) >= x`` is evaluated row by row, so every search read the whole table. Here a
misspelled word is first corrected against the vocabulary of indexed words (``SearchWord``, trigram GIN
index, a few thousand rows), and the corrected query runs on the tsvector's GIN index like any other. The
facets and the total are counted from one materialised set of matching rows instead of re-running the
search once per facet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from psycopg import sql

from marketplace.choices import ProductRole
from marketplace.models import DataProduct, ProductTag, ProductUserObjectPermission, SearchWord

#: Words shorter than this are neither indexed in the vocabulary nor corrected.
MIN_WORD = 3
MAX_WORD = 64
#: pg_trgm similarity a vocabulary word needs to be taken as the correction of a misspelled word.
TYPO_SIMILARITY = 0.3
#: Facets that list many values show the most frequent ones.
FACET_LIMIT = 25

_WORD = re.compile(r"[0-9a-z]+")
# Web-search syntax: a quoted phrase, a negated word, or a bare word (websearch_to_tsquery's grammar).
_TOKEN = re.compile(r'"[^"]*"?|-?[^\s"]+')


def document_words(text: str) -> set[str]:
    """The vocabulary words of a search document: lower-case alphanumeric runs of 3 to 64 characters."""
    return {w for w in _WORD.findall((text or "").lower()) if MIN_WORD <= len(w) <= MAX_WORD}


def pg_statement(statement: str, **tables) -> str:
    """A PostgreSQL statement with model table names quoted in (psycopg.sql); values stay parameters."""
    quoted = {name: sql.Identifier(model._meta.db_table) for name, model in tables.items()}
    return sql.SQL(statement).format(**quoted).as_string(connection.connection)


def search_words_add(text: str) -> None:
    """Add a document's words to the vocabulary (PostgreSQL; other databases search without corrections)."""
    words = sorted(document_words(text))
    if words and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(pg_statement("INSERT INTO {words} (word) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
                               words=SearchWord), [words])


def search_words_rebuild() -> int:
    """Rebuild the vocabulary from every product's search document (drops words no product uses any more)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(pg_statement("DELETE FROM {words}", words=SearchWord))
        cursor.execute(pg_statement(
            "INSERT INTO {words} (word) SELECT DISTINCT w FROM {products}, "
            "regexp_split_to_table(lower(search_document), '[^0-9a-z]+') AS w "
            "WHERE length(w) BETWEEN %s AND %s ON CONFLICT DO NOTHING", words=SearchWord, products=DataProduct,
        ), [MIN_WORD, MAX_WORD])
        return cursor.rowcount


def _is_plain(token: str) -> bool:
    return not (token.startswith(('"', "-")) or token.lower() == "or")


def corrected_query(q: str) -> str | None:
    """``q`` with its misspelled words corrected, or None when there is nothing to correct.

    Each plain word not in the vocabulary is replaced by the most similar vocabulary word, or left out when
    none is similar enough (so "customer churn" still finds customer products when no product mentions churn;
    the query as typed is searched too, and ranks its exact matches first). Phrases, negated words and ``or``
    keep their meaning. One query.
    """
    plain = {w for token in _TOKEN.findall(q) if _is_plain(token)
             for w in _WORD.findall(token.lower()) if MIN_WORD <= len(w) <= MAX_WORD}
    if not plain or connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        # Each word itself when known, else its most similar vocabulary word (trigram GIN index), else NULL.
        cursor.execute(pg_statement(
            "SELECT t.word, COALESCE(known.word, best.word) FROM unnest(%s::text[]) AS t(word) "
            "LEFT JOIN {words} known ON known.word = t.word "
            "LEFT JOIN LATERAL (SELECT v.word FROM {words} v WHERE known.word IS NULL AND v.word %% t.word "
            "AND similarity(v.word, t.word) >= %s ORDER BY similarity(v.word, t.word) DESC, v.word LIMIT 1) AS best "
            "ON TRUE", words=SearchWord,
        ), [sorted(plain), TYPO_SIMILARITY])
        replacement = dict(cursor.fetchall())
    if all(replacement.get(w) == w for w in plain) or not any(replacement.values()):
        return None
    tokens = []
    for token in _TOKEN.findall(q):
        if _is_plain(token):
            token = _WORD.sub(lambda m: replacement.get(m.group(0), m.group(0)) or "", token.lower()).strip()
        if token:
            tokens.append(token)
    return " ".join(tokens)


def ranked_matches(tenant_id: int, q: str) -> list[tuple[int, float]]:
    """(id, rank) of the tenant's products matching ``q`` as typed or as corrected (PostgreSQL; one query besides
    the correction). Plain SQL: a search can match thousands of products, and only ids and ranks are needed."""
    queries = [q] + [corrected for corrected in [corrected_query(q)] if corrected]
    tsquery = sql.SQL(" || ").join([sql.SQL("websearch_to_tsquery('english', %s)")] * len(queries))
    statement = sql.SQL(
        "SELECT id, ts_rank(search_vector, {tsquery}) FROM {products} WHERE tenant_id = %s "
        "AND search_vector @@ ({tsquery})"
    ).format(tsquery=tsquery, products=sql.Identifier(DataProduct._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(connection.connection), [*queries, tenant_id, *queries])
        return cursor.fetchall()


@dataclass(frozen=True)
class FacetRow:
    facet: str
    value: str
    label: str
    count: int


def facet_rows(matching: QuerySet, conditions: dict[str, Q], freshness_state) -> list[FacetRow]:
    """The total and every facet's counts, in one statement.

    ``matching`` is the visible, text-matched products before any facet filter; ``conditions`` holds one Q per
    facet the visitor narrowed by. Each facet counts the rows meeting every *other* condition (so a visitor
    sees what choosing another value gives); the total counts rows meeting all of them.
    """
    marks = {f"in_{facet}": ExpressionWrapper(condition, output_field=BooleanField())
             for facet, condition in conditions.items()}
    base = matching.order_by().annotate(fstate=freshness_state, **marks).values(
        "id", "domain_id", "kind", "sensitivity", "fstate", *marks
    )
    base_sql, params = base.query.sql_with_params()

    def where(*, without: str = "") -> str:
        wanted = [f"b.in_{facet}" for facet in conditions if facet != without]
        return " AND ".join(wanted) or "TRUE"

    def each(model, column: str, key: str, *, without: str, extra: str = "TRUE") -> str:
        """One row per related value (tag name, owner id) of the rows in ``b`` meeting the other conditions."""
        return (f"SELECT r.{column} AS v FROM b JOIN {model._meta.db_table} r ON r.{key} = b.id AND {extra} "  # noqa: S608
                f"WHERE {where(without=without)}")

    user = get_user_model()
    domains = DataProduct._meta.get_field("domain").related_model._meta.db_table
    owner_permission = "SELECT id FROM auth_permission WHERE codename = %s"
    materialized = "MATERIALIZED" if connection.vendor == "postgresql" else ""
    # Interpolated: Django's compiled SQL for ``base`` (its values stay parameters), table names, constants.
    statement = f"""
        WITH b AS {materialized} ({base_sql})
        SELECT 'total', '', '', COUNT(*) FROM b WHERE {where()}
        UNION ALL
        SELECT 'domain', d.slug, d.name, COUNT(*) FROM b JOIN {domains} d ON d.id = b.domain_id
            WHERE {where(without="domain")} GROUP BY d.slug, d.name
        UNION ALL
        SELECT 'kind', b.kind, '', COUNT(*) FROM b WHERE {where(without="kind")} GROUP BY b.kind
        UNION ALL
        SELECT 'sensitivity', b.sensitivity, '', COUNT(*) FROM b WHERE {where(without="sensitivity")}
            GROUP BY b.sensitivity
        UNION ALL
        SELECT 'freshness', b.fstate, '', COUNT(*) FROM b WHERE {where(without="freshness")} GROUP BY b.fstate
        UNION ALL
        SELECT * FROM (
            SELECT 'tag', t.v, '', COUNT(*) FROM ({each(ProductTag, "name", "product_id", without="tag")}) AS t
            GROUP BY t.v ORDER BY 4 DESC, 2 LIMIT {FACET_LIMIT}
        ) AS tags
        UNION ALL
        SELECT * FROM (
            SELECT 'owner', CAST(u.id AS TEXT),
                COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.email), o.n
            FROM (
                SELECT x.v, COUNT(*) AS n
                FROM ({each(ProductUserObjectPermission, "user_id", "content_object_id", without="owner",
                            extra=f"r.permission_id = ({owner_permission})")}) AS x
                GROUP BY x.v
            ) AS o JOIN {user._meta.db_table} u ON u.id = o.v ORDER BY 4 DESC, u.email LIMIT {FACET_LIMIT}
        ) AS owners
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, ProductRole.OWNER.value])
        return [FacetRow(facet, str(value), label or "", count) for facet, value, label, count in cursor.fetchall()]


def owner_labels(user_ids) -> dict:
    """Display names of the owners a facet lists, by user id (one query; none when there are none)."""
    ids = [int(pk) for pk in user_ids]
    if not ids:
        return {}
    users = get_user_model().objects.filter(pk__in=ids).values_list("pk", "first_name", "last_name", "email")
    return {pk: f"{first} {last}".strip() or email for pk, first, last, email in users}
