"""Open Data Contract Standard (ODCS v3.0.x) contracts for data products: export to YAML and parse an import.

A product maps onto a contract like this (field names from the ODCS v3.0 JSON schema):

- ``apiVersion`` / ``kind: DataContract`` / ``id`` (a stable UUID of tenant and slug) / ``version`` /
  ``status`` (draft, active, deprecated, retired) / ``name`` / ``domain`` (slug) / ``dataProduct`` (the
  product's slug, which identifies it on import) / ``tenant``;
- ``description.purpose``: the product's Markdown description (``usage`` and ``limitations`` are appended
  as sections when a contract brings them);
- ``tags``; ``team`` (``username`` = e-mail, ``role`` owner or steward);
- ``slaProperties``: ``latency`` in hours is the freshness SLA;
- ``schema``: one object (``physicalType`` table, view, ...) whose ``properties`` are the columns
  (``name``, ``physicalType`` = data type, ``logicalType``, ``description``, ``classification``,
  ``required`` = not nullable, custom property ``scopable``);
- ``customProperties``: what ODCS has no field for (kind, sensitivity, discoverability, glossary terms,
  source engine and location).

``parse_contract`` checks a contract and returns the product fields; a malformed contract raises one
ValidationError whose keys are the paths of the bad fields (``schema[0].properties[2].name``).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

import yaml
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from loom_portal.choices import SensitivityLabel
from marketplace.choices import (
    ColumnClassification,
    Discoverability,
    ProductKind,
    ProductRole,
    ProductStatus,
    SourceEngine,
)

API_VERSION = "v3.0.2"
ACCEPTED_API_VERSIONS = ("v3.0.0", "v3.0.1", "v3.0.2")
MEDIA_TYPE = "application/yaml"
MAX_CONTRACT_BYTES = 1_000_000
MAX_COLUMNS = 2000

STATUS_TO_ODCS = {
    ProductStatus.DRAFT: "draft",
    ProductStatus.PUBLISHED: "active",
    ProductStatus.DEPRECATED: "deprecated",
    ProductStatus.RETIRED: "retired",
}
KIND_TO_PHYSICAL = {
    ProductKind.TABLE: "table",
    ProductKind.VIEW: "view",
    ProductKind.SEMANTIC_MODEL: "semanticModel",
    ProductKind.KQL_FUNCTION: "kqlFunction",
    ProductKind.FILE_SET: "file",
    ProductKind.API: "api",
}
PHYSICAL_TO_KIND = {v.lower(): k for k, v in KIND_TO_PHYSICAL.items()} | {"materializedview": ProductKind.VIEW}
LOGICAL_TYPES = ("string", "date", "timestamp", "time", "number", "integer", "object", "array", "boolean")
TEAM_ROLES = {"owner": ProductRole.OWNER, "steward": ProductRole.STEWARD, "data steward": ProductRole.STEWARD}
#: ODCS classifications that mean "nothing special" in the portal.
PLAIN_CLASSIFICATIONS = ("", "public", "internal", "general")
SLA_UNITS_IN_HOURS = {"h": 1, "hr": 1, "hour": 1, "hours": 1, "d": 24, "day": 24, "days": 24}

TOP_LEVEL_FIELDS = (
    "version", "kind", "apiVersion", "id", "name", "tenant", "tags", "status", "servers", "dataProduct",
    "description", "domain", "schema", "support", "price", "team", "roles", "slaDefaultElement", "slaProperties",
    "authoritativeDefinitions", "customProperties", "contractCreatedTs",
)
#: customProperties the portal writes and reads (camel case, as ODCS asks), and the product field each fills.
CUSTOM_PROPERTIES = {
    "kind": "kind",
    "sensitivity": "sensitivity",
    "discoverability": "discoverability",
    "glossaryTerms": "glossary_terms",
    "sourceEngine": "source_engine",
    "sourceDatabase": "source_database",
    "sourceSchema": "source_schema",
    "sourceTable": "source_table",
    "sourcePath": "source_path",
}


# --- Export -----------------------------------------------------------------------------


def logical_type(data_type: str) -> str:
    """The ODCS v3.0 logical type of a source data type (``numeric(18,2)`` → number)."""
    t = (data_type or "").strip().lower()
    if t.endswith("[]") or t.startswith(("array", "_")):
        return "array"
    base = re.split(r"[\s(<]", t, maxsplit=1)[0]
    if base in ("int", "integer", "bigint", "smallint", "tinyint", "int2", "int4", "int8", "serial", "bigserial",
                "smallserial", "long", "short", "byte"):
        return "integer"
    if base in ("numeric", "decimal", "real", "double", "float", "float4", "float8", "money", "number",
                "smallmoney"):
        return "number"
    if base in ("bool", "boolean", "bit"):
        return "boolean"
    if base.startswith(("date", "timestamp", "time")):
        return "date"
    if base in ("json", "jsonb", "struct", "record", "map", "object", "variant", "dynamic"):
        return "object"
    return "string"


def contract_id(product) -> str:
    """A stable identifier of the product's contract (ODCS recommends a UUID)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"loom-portal:{product.tenant.slug}:{product.slug}"))


def _column(column) -> dict:
    prop = {
        "name": column.name,
        "logicalType": logical_type(column.data_type),
        "physicalType": column.data_type,
        "required": not column.is_nullable,
    }
    if column.description:
        prop["description"] = column.description
    if column.classification:
        prop["classification"] = column.classification
    if column.is_scopable:
        prop["customProperties"] = [{"property": "scopable", "value": True}]
    return prop


def contract_for(product, *, people: dict | None = None) -> dict:
    """The ODCS contract of ``product`` (fetched by ``selectors.product_get``: columns and people prefetched)."""
    contract = {
        "apiVersion": API_VERSION,
        "kind": "DataContract",
        "id": contract_id(product),
        "name": product.name,
        "version": f"{product.version}.0.0",
        "status": STATUS_TO_ODCS[product.status],
        "tenant": product.tenant.slug,
        "domain": product.domain.slug,
        "dataProduct": product.slug,
    }
    if product.description:
        contract["description"] = {"purpose": product.description}
    tags = [t.name for t in product.tags.all()]
    if tags:
        contract["tags"] = tags
    contract["schema"] = [
        {
            "name": product.source_table or product.slug.replace("-", "_"),
            "logicalType": "object",
            "physicalType": KIND_TO_PHYSICAL[product.kind],
            "physicalName": product.location or product.slug,
            "properties": [_column(c) for c in product.columns.all()],
        }
    ]
    team = []
    for role, users in (("owner", (people or {}).get("owners", [])), ("steward", (people or {}).get("stewards", []))):
        team.extend({"username": user.email, "role": role} for user in users)
    if team:
        contract["team"] = team
    if product.freshness_sla_hours:
        contract["slaProperties"] = [
            {"property": "latency", "value": product.freshness_sla_hours, "unit": "h", "driver": "operational"}
        ]
    custom = [{"property": "kind", "value": product.kind}, {"property": "sensitivity", "value": product.sensitivity},
              {"property": "discoverability", "value": product.discoverability}]
    if product.glossary_terms:
        custom.append({"property": "glossaryTerms", "value": list(product.glossary_terms)})
    for prop, attr in list(CUSTOM_PROPERTIES.items())[4:]:
        if getattr(product, attr):
            custom.append({"property": prop, "value": getattr(product, attr)})
    contract["customProperties"] = custom
    contract["contractCreatedTs"] = product.created_at.isoformat().replace("+00:00", "Z")
    return contract


def dump_yaml(contract: dict) -> str:
    return yaml.safe_dump(contract, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000)


# --- Import -----------------------------------------------------------------------------


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors/aliases: a contract never needs them and they allow "billion laughs"."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in a contract",
                                              event.start_mark)
        return super().compose_node(parent, index)


@dataclass
class ParsedContract:
    """A checked contract, as product fields."""

    slug: str
    fields: dict
    columns: list[dict]
    team: list[tuple[str, str, str]] = field(default_factory=list)  # (path, e-mail, role)
    domain: str = ""


class _Errors:
    def __init__(self):
        self.errors: dict[str, str] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, message)

    def string(self, data: dict, key: str, path: str, *, required: bool = False, max_len: int = 0) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.add(path, "required")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(path, "must be text")
            return ""
        value = str(value)
        if "\x00" in value:
            self.add(path, "must not contain NUL characters")
            return ""
        if max_len and len(value) > max_len:
            self.add(path, f"use at most {max_len} characters")
        return value

    def mapping(self, value, path: str) -> dict:
        if not isinstance(value, dict):
            self.add(path, "must be a mapping (key: value)")
            return {}
        return value

    def sequence(self, value, path: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(path, "must be a list")
            return []
        return value

    def strings(self, value, path: str) -> list[str]:
        out = []
        for i, item in enumerate(self.sequence(value, path)):
            if not isinstance(item, str):
                self.add(f"{path}[{i}]", "must be text")
            else:
                out.append(item)
        return out


def load_yaml(text) -> dict:
    """The contract's YAML as a mapping; ValidationError({"contract": ...}) when it is not one."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError({"contract": "The contract is not UTF-8 text."}) from exc
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"contract": "The contract is empty."})
    if len(text.encode("utf-8")) > MAX_CONTRACT_BYTES:
        raise ValidationError({"contract": f"The contract is larger than {MAX_CONTRACT_BYTES // 1000} kB."})
    try:
        data = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValidationError({"contract": f"Not valid YAML{where}: {problem}."}) from exc
    if not isinstance(data, dict):
        raise ValidationError({"contract": "The contract must be a YAML mapping with apiVersion, kind, id, ..."})
    return data


def _custom_properties(errors: _Errors, value, path: str) -> dict:
    found = {}
    for i, item in enumerate(errors.sequence(value, path)):
        item = errors.mapping(item, f"{path}[{i}]")
        name = errors.string(item, "property", f"{path}[{i}].property", required=True)
        if name:
            found[name] = (item.get("value"), f"{path}[{i}].value")
    return found


def _choice(errors: _Errors, value, path: str, choices) -> str:
    if not isinstance(value, str) or value not in choices.values or value == "":
        errors.add(path, f"choose one of: {', '.join(v for v in choices.values if v)}")
        return ""
    return value


def _columns(errors: _Errors, obj: dict, path: str) -> list[dict]:
    columns, seen = [], set()
    properties = errors.sequence(obj.get("properties"), f"{path}.properties")
    if len(properties) > MAX_COLUMNS:
        errors.add(f"{path}.properties", f"use at most {MAX_COLUMNS} properties")
        return []
    for i, prop in enumerate(properties):
        here = f"{path}.properties[{i}]"
        prop = errors.mapping(prop, here)
        name = errors.string(prop, "name", f"{here}.name", required=True, max_len=200).strip()
        if prop.get("name") is not None and isinstance(prop.get("name"), str) and not name:
            errors.add(f"{here}.name", "required")
        if name and name.casefold() in seen:
            errors.add(f"{here}.name", f"{name!r} appears twice")
        seen.add(name.casefold())
        logical = errors.string(prop, "logicalType", f"{here}.logicalType")
        if logical and logical not in LOGICAL_TYPES:
            errors.add(f"{here}.logicalType", f"choose one of: {', '.join(LOGICAL_TYPES)}")
        physical = errors.string(prop, "physicalType", f"{here}.physicalType", max_len=120).strip()
        if not physical and not logical:
            errors.add(f"{here}.physicalType", "required (give a physicalType or a logicalType)")
        description = errors.string(prop, "description", f"{here}.description")
        classification = errors.string(prop, "classification", f"{here}.classification").strip().lower()
        if classification in PLAIN_CLASSIFICATIONS:
            classification = ""
        elif classification not in ColumnClassification.values:
            allowed = ", ".join(v for v in ColumnClassification.values if v)
            errors.add(f"{here}.classification", f"choose one of: public, {allowed}")
        required = prop.get("required", False)
        if not isinstance(required, bool):
            errors.add(f"{here}.required", "must be true or false")
        custom = _custom_properties(errors, prop.get("customProperties"), f"{here}.customProperties")
        scopable, scopable_path = custom.get("scopable", (False, ""))
        if not isinstance(scopable, bool):
            errors.add(scopable_path, "must be true or false")
        columns.append({
            "name": name, "data_type": physical or logical, "description": description,
            "classification": classification, "is_nullable": required is not True, "is_scopable": scopable is True,
        })
    return columns


def _sla_hours(errors: _Errors, value) -> int | None:
    hours = None
    for i, item in enumerate(errors.sequence(value, "slaProperties")):
        here = f"slaProperties[{i}]"
        item = errors.mapping(item, here)
        prop = errors.string(item, "property", f"{here}.property", required=True)
        if "value" not in item:
            errors.add(f"{here}.value", "required")
            continue
        if prop.lower() != "latency":
            continue  # other SLA properties (retention, availability, ...) are not kept by the portal
        amount, unit = item.get("value"), str(item.get("unit") or "h").strip().lower()
        if unit not in SLA_UNITS_IN_HOURS:
            errors.add(f"{here}.unit", "give the latency in h (hours) or d (days)")
        elif isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            errors.add(f"{here}.value", "give the latency as a whole positive number")
        else:
            hours = amount * SLA_UNITS_IN_HOURS[unit]
            if hours > 24 * 366:
                errors.add(f"{here}.value", "the latency is longer than a year")
    return hours


def parse_contract(text) -> ParsedContract:
    """Check an ODCS contract; ValidationError keyed by the path of every bad field, else the product fields."""
    data = load_yaml(text)
    errors = _Errors()
    for key in data:
        if key not in TOP_LEVEL_FIELDS:
            errors.add(str(key), "not an ODCS v3.0 field")
    api_version = errors.string(data, "apiVersion", "apiVersion", required=True)
    if api_version and api_version not in ACCEPTED_API_VERSIONS:
        errors.add("apiVersion", f"choose one of: {', '.join(ACCEPTED_API_VERSIONS)}")
    kind = errors.string(data, "kind", "kind", required=True)
    if kind and kind != "DataContract":
        errors.add("kind", "must be DataContract")
    errors.string(data, "id", "id", required=True, max_len=300)
    errors.string(data, "version", "version", required=True, max_len=60)
    errors.string(data, "status", "status", required=True, max_len=60)
    name = " ".join(errors.string(data, "name", "name", max_len=160).split())
    data_product = errors.string(data, "dataProduct", "dataProduct", max_len=160).strip()
    if not name and not data_product and "name" not in errors.errors:
        errors.add("name", "required (or give dataProduct)")
    domain = errors.string(data, "domain", "domain", max_len=80).strip()

    description = ""
    if data.get("description") is not None:
        desc = errors.mapping(data["description"], "description")
        parts = [errors.string(desc, "purpose", "description.purpose")]
        for key, title in (("usage", "Usage"), ("limitations", "Limitations")):
            text_part = errors.string(desc, key, f"description.{key}")
            if text_part:
                parts.append(f"## {title}\n\n{text_part}")
        description = "\n\n".join(p for p in parts if p)
    tags = errors.strings(data.get("tags"), "tags")

    schema = errors.sequence(data.get("schema"), "schema")
    if len(schema) > 1:
        errors.add("schema", f"a data product's contract describes one object; this one has {len(schema)}")
    columns, kind_value = [], ""
    if schema:
        obj = errors.mapping(schema[0], "schema[0]")
        errors.string(obj, "name", "schema[0].name", required=True, max_len=200)
        logical = errors.string(obj, "logicalType", "schema[0].logicalType")
        if logical and logical != "object":
            errors.add("schema[0].logicalType", "must be object")
        physical = errors.string(obj, "physicalType", "schema[0].physicalType").strip()
        kind_value = PHYSICAL_TO_KIND.get(physical.lower().replace(" ", ""), "")
        columns = _columns(errors, obj, "schema[0]")

    team = []
    for i, member in enumerate(errors.sequence(data.get("team"), "team")):
        member = errors.mapping(member, f"team[{i}]")
        username = errors.string(member, "username", f"team[{i}].username", required=True).strip()
        role = errors.string(member, "role", f"team[{i}].role").strip().lower()
        if role in TEAM_ROLES and username:
            team.append((f"team[{i}].username", username, TEAM_ROLES[role]))

    sla_hours = _sla_hours(errors, data.get("slaProperties"))
    fields = {"name": name or data_product, "description": description, "tags": tags,
              "freshness_sla_hours": sla_hours}
    custom = _custom_properties(errors, data.get("customProperties"), "customProperties")
    for prop, attr in CUSTOM_PROPERTIES.items():
        if prop not in custom:
            continue
        value, path = custom[prop]
        if attr == "kind":
            fields["kind"] = _choice(errors, value, path, ProductKind)
        elif attr == "sensitivity":
            fields["sensitivity"] = _choice(errors, value, path, SensitivityLabel)
        elif attr == "discoverability":
            fields["discoverability"] = _choice(errors, value, path, Discoverability)
        elif attr == "glossary_terms":
            fields["glossary_terms"] = errors.strings(value, path)
        elif attr == "source_engine":
            fields["source_engine"] = _choice(errors, value, path, SourceEngine)
        elif not isinstance(value, str):
            errors.add(path, "must be text")
        else:
            fields[attr] = value
    if "kind" not in fields and kind_value:
        fields["kind"] = kind_value
    if errors.errors:
        raise ValidationError(errors.errors)
    slug = slugify(data_product or name)[:120].strip("-")
    if not slug:
        raise ValidationError({"dataProduct": "must contain letters or digits"})
    return ParsedContract(slug=slug, fields=fields, columns=columns, team=team, domain=domain)


def error_lines(exc: ValidationError) -> list[str]:
    """``path: message`` lines of a contract's ValidationError (forms, the command line)."""
    if hasattr(exc, "error_dict"):
        return [f"{path}: {message}" for path, messages in exc.message_dict.items() for message in messages]
    return list(exc.messages)
