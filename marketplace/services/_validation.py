"""Validation of product fields and columns: one ValidationError naming every bad field."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from loom_portal.choices import SensitivityLabel
from marketplace.choices import ColumnClassification, Discoverability, ProductKind, SourceEngine
from marketplace.models import DataProduct

MAX_TAGS = 30

# Fields product_update accepts; each maps to how it is cleaned.
EDITABLE_FIELDS = (
    "name", "kind", "description", "workspace", "sensitivity", "discoverability", "tags", "glossary_terms",
    "source_engine", "source_database", "source_schema", "source_table", "source_path", "freshness_sla_hours",
)


# --- Validation -----------------------------------------------------------------


def _choice(errors, field, value, choices, *, blank_ok=False):
    if (value in ("", None) and blank_ok) or value in choices.values:
        return value or ""
    errors[field] = f"Choose one of: {', '.join(v for v in choices.values if v)}."
    return value


def _clean_list(errors, field, values, *, lower: bool, max_len: int = 60, max_items: int = MAX_TAGS) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split(",")
    if not isinstance(values, list | tuple | set):
        errors[field] = "Give a list of words."
        return []
    cleaned: list[str] = []
    for raw in values:
        if not isinstance(raw, str):
            errors[field] = "Each entry must be text."
            return []
        item = " ".join(raw.split())
        item = item.lower() if lower else item
        if not item:
            continue
        if len(item) > max_len:
            errors[field] = f"{item[:20]!r}… is longer than {max_len} characters."
            return []
        if "\x00" in item:
            errors[field] = "Entries cannot contain NUL characters."
            return []
        if item.casefold() not in {c.casefold() for c in cleaned}:
            cleaned.append(item)
    if len(cleaned) > max_items:
        errors[field] = f"Use at most {max_items} entries."
    return cleaned


def clean_fields(*, tenant, domain, values: dict, product: DataProduct | None = None) -> dict:
    """Validate the product's editable fields; raise one ValidationError naming every bad field."""
    errors: dict[str, str] = {}
    out = dict(values)
    if "name" in values:
        name = " ".join((values["name"] or "").split())
        if not name:
            errors["name"] = "A data product needs a name."
        elif len(name) > 160:
            errors["name"] = "Use at most 160 characters."
        out["name"] = name
    if "kind" in values:
        _choice(errors, "kind", values["kind"], ProductKind)
    if "description" in values:
        out["description"] = values["description"] or ""
        if "\x00" in out["description"]:
            errors["description"] = "The description cannot contain NUL characters."
    if "sensitivity" in values:
        _choice(errors, "sensitivity", values["sensitivity"], SensitivityLabel)
    if "discoverability" in values:
        _choice(errors, "discoverability", values["discoverability"], Discoverability)
    if "source_engine" in values:
        out["source_engine"] = _choice(errors, "source_engine", values["source_engine"], SourceEngine, blank_ok=True)
    for field, limit in (("source_database", 200), ("source_schema", 200), ("source_table", 200), ("source_path", 500)):
        if field in values:
            out[field] = (values[field] or "").strip()
            if len(out[field]) > limit:
                errors[field] = f"Use at most {limit} characters."
    if "freshness_sla_hours" in values:
        sla = values["freshness_sla_hours"]
        if sla in ("", None):
            out["freshness_sla_hours"] = None
        elif isinstance(sla, bool) or not isinstance(sla, int) or not 0 < sla <= 24 * 366:
            errors["freshness_sla_hours"] = "Give the freshness SLA as a whole number of hours between 1 and 8784."
    if "tags" in values:
        out["tags"] = _clean_list(errors, "tags", values["tags"], lower=True)
    if "glossary_terms" in values:
        out["glossary_terms"] = _clean_list(errors, "glossary_terms", values["glossary_terms"], lower=False, max_len=120)
    if "workspace" in values and values["workspace"] is not None:
        workspace = values["workspace"]
        if workspace.tenant_id != tenant.pk:
            errors["workspace"] = "The workspace belongs to another tenant."
        elif workspace.domain_id != domain.pk:
            errors["workspace"] = f"The workspace belongs to another domain than {domain}."
    if errors:
        raise ValidationError(errors)
    return out


def clean_columns(columns) -> list[dict]:
    if not isinstance(columns, list | tuple):
        raise ValidationError({"columns": "Give the columns as a list."})
    cleaned, seen = [], set()
    for index, column in enumerate(columns, start=1):
        if not isinstance(column, dict):
            raise ValidationError({"columns": f"Column {index} must be an object with a name and a data_type."})
        name = str(column.get("name") or "").strip()
        label = f"Column {index}" + (f" ({name})" if name else "")
        if not name:
            raise ValidationError({"columns": f"{label} needs a name."})
        if len(name) > 200:
            raise ValidationError({"columns": f"{label}: the name is longer than 200 characters."})
        if name.casefold() in seen:
            raise ValidationError({"columns": f"{label}: the name appears twice."})
        seen.add(name.casefold())
        data_type = str(column.get("data_type") or "").strip()
        if not data_type:
            raise ValidationError({"columns": f"{label} needs a data_type."})
        classification = column.get("classification") or ""
        if classification not in ColumnClassification.values:
            raise ValidationError(
                {"columns": f"{label}: classification must be one of {', '.join(v for v in ColumnClassification.values if v)}."}
            )
        cleaned.append(
            {
                "position": index,
                "name": name,
                "data_type": data_type[:120],
                "description": str(column.get("description") or ""),
                "classification": classification,
                "is_nullable": bool(column.get("is_nullable", True)),
                "is_scopable": bool(column.get("is_scopable", False)),
            }
        )
    return cleaned
