"""Limits that keep one GraphQL request cheap: depth, page size and list-nesting cost.

Checked before anything runs (a validation rule), so a query over a limit costs no SQL and gets one
clear error naming the limit:

- **Depth**: at most ``MAX_DEPTH`` fields on any path (``products { edges { node { slug } } }`` is 4).
  Introspection (``__schema``, ``__type``) has its own, larger cap, since GraphiQL's standard
  introspection query nests ``ofType`` deeply.
- **Page size**: ``first`` is between 1 and ``MAX_PAGE_SIZE`` (checked by each connection's resolver with
  ``check_page_size``, so it also holds for variables).
- **Cost**: an estimate of the objects a response can hold. An object field costs 1; a field that returns
  a list multiplies what it selects by the list's size: ``first`` for a connection (``DEFAULT_PAGE_SIZE``
  when absent, ``MAX_PAGE_SIZE`` when it is a variable), ``LIST_SIZE`` for other lists (columns, owners,
  facet values...). A connection's ``edges`` is counted once, by the connection. Aliases count each
  time. The sum for an operation is at most ``MAX_COST``: a full page of 100 products with every nested
  list fits; several such pages in one request do not.
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    is_composite_type,
    specified_rules,
)

MAX_DEPTH = 10
MAX_INTROSPECTION_DEPTH = 20
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
LIST_SIZE = 10
MAX_COST = 10_000


def check_page_size(first: int | None) -> int:
    """The page size to use, or a GraphQLError naming the allowed range."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise GraphQLError(
            f"first must be between 1 and {MAX_PAGE_SIZE} (got {first}); page through larger results with after.",
            extensions={"code": "PAGE_SIZE_EXCEEDED", "field": "first", "max": MAX_PAGE_SIZE},
        )
    return first


def _unwrap(type_):
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return type_


class _Walk:
    """Depth and cost of one operation, following fragments (unknown or cyclic ones are skipped: the
    standard rules report those)."""

    def __init__(self, schema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments
        self.introspection_depth = 0

    def selections(self, selection_set, parent_type, depth: int, seen: frozenset) -> tuple[int, int]:
        """(deepest field path below, cost) of ``selection_set`` on ``parent_type`` at ``depth``."""
        deepest, cost = depth, 0
        if selection_set is None:
            return deepest, cost
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                d, c = self.field(node, parent_type, depth + 1, seen)
            elif isinstance(node, InlineFragmentNode):
                target = self._condition(node.type_condition, parent_type)
                d, c = self.selections(node.selection_set, target, depth, seen)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                target = self._condition(fragment.type_condition, parent_type)
                d, c = self.selections(fragment.selection_set, target, depth, seen | {name})
            else:  # pragma: no cover - the grammar has no other selections
                continue
            deepest, cost = max(deepest, d), cost + c
        return deepest, cost

    def _condition(self, type_condition, parent_type):
        if type_condition is None:
            return parent_type
        return self.schema.get_type(type_condition.name.value)

    def field(self, node: FieldNode, parent_type, depth: int, seen: frozenset) -> tuple[int, int]:
        name = node.name.value
        if name.startswith("__"):
            if node.selection_set is not None:
                d = self._plain_depth(node.selection_set, depth, seen)
                self.introspection_depth = max(self.introspection_depth, d)
            return depth, 0
        fields = getattr(parent_type, "fields", None) or {}
        definition = fields.get(name)
        if definition is None:
            return self._plain_depth(node.selection_set, depth, seen), 0
        return_type = _unwrap(definition.type)
        named = get_named_type(return_type)
        deepest, child_cost = self.selections(node.selection_set, named, depth, seen)
        own = 1 if is_composite_type(named) else 0
        return deepest, self._multiplier(node, definition, return_type) * (own + child_cost)

    def _plain_depth(self, selection_set, depth: int, seen: frozenset) -> int:
        """Depth without types (introspection, unknown fields)."""
        deepest = depth
        if selection_set is None:
            return deepest
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                deepest = max(deepest, self._plain_depth(node.selection_set, depth + 1, seen))
            elif isinstance(node, InlineFragmentNode):
                deepest = max(deepest, self._plain_depth(node.selection_set, depth, seen))
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    deepest = max(deepest, self._plain_depth(fragment.selection_set, depth, seen | {name}))
        return deepest

    @staticmethod
    def _multiplier(node: FieldNode, definition, return_type) -> int:
        if "first" in definition.args:
            for argument in node.arguments or ():
                if argument.name.value != "first":
                    continue
                if isinstance(argument.value, IntValueNode):
                    # Larger values are refused by the resolver with their own error.
                    return max(1, min(int(argument.value.value), MAX_PAGE_SIZE))
                if isinstance(argument.value, VariableNode):
                    return MAX_PAGE_SIZE
            return DEFAULT_PAGE_SIZE
        if isinstance(return_type, GraphQLList):
            # A connection's edges are already counted by the connection's ``first``.
            return 1 if node.name.value == "edges" else LIST_SIZE
        return 1


class QueryLimitsRule(ValidationRule):
    """Refuse operations deeper than ``MAX_DEPTH`` or costlier than ``MAX_COST`` (see the module docstring)."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args):
        schema = self.context.schema
        root = schema.get_root_type(node.operation)
        if root is None:
            return
        fragments = {
            d.name.value: d for d in self.context.document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        walk = _Walk(schema, fragments)
        depth, cost = walk.selections(node.selection_set, root, 0, frozenset())
        name = node.name.value if node.name else "The query"
        if depth > MAX_DEPTH:
            self.report_error(
                GraphQLError(
                    f"{name} is {depth} fields deep; the limit is {MAX_DEPTH}. Ask for fewer nested fields.",
                    node,
                    extensions={"code": "DEPTH_LIMIT_EXCEEDED", "depth": depth, "max": MAX_DEPTH},
                )
            )
        if walk.introspection_depth > MAX_INTROSPECTION_DEPTH:
            self.report_error(
                GraphQLError(
                    f"{name} introspects {walk.introspection_depth} fields deep; the limit is {MAX_INTROSPECTION_DEPTH}.",
                    node,
                    extensions={"code": "DEPTH_LIMIT_EXCEEDED", "depth": walk.introspection_depth,
                                "max": MAX_INTROSPECTION_DEPTH},
                )
            )
        if cost > MAX_COST:
            self.report_error(
                GraphQLError(
                    f"{name} could return about {cost:,} objects; the limit is {MAX_COST:,}. Each list counts as "
                    f"its page size (first, {DEFAULT_PAGE_SIZE} by default) or {LIST_SIZE} for other lists, times "
                    "what it selects: ask for smaller pages or fewer nested lists.",
                    node,
                    extensions={"code": "COST_LIMIT_EXCEEDED", "cost": cost, "max": MAX_COST},
                )
            )


#: The rules the view validates with: GraphQL's own, then the limits.
VALIDATION_RULES = (*specified_rules, QueryLimitsRule)
