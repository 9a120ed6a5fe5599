"""Reading the Bicep templates without the Bicep CLI.

``.bicep`` files are parsed with the tree-sitter Bicep grammar (PyPI tree-sitter-bicep). That grammar
does not know ``.bicepparam`` files, so ``read_bicepparam`` is a small reader of their two
statements: ``using '<template>'`` and ``param <name> = <expression>``.
"""

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import tree_sitter_bicep
from tree_sitter import Language, Node, Parser

REPO = Path(__file__).resolve().parents[2]
BICEP_DIR = REPO / "infra" / "bicep"
MAIN = BICEP_DIR / "main.bicep"

_PARSER = Parser(Language(tree_sitter_bicep.language()))


def bicep_files() -> list[Path]:
    return sorted(BICEP_DIR.rglob("*.bicep"))


def param_files() -> list[Path]:
    return sorted(BICEP_DIR.rglob("*.bicepparam"))


@cache
def parse(path: Path) -> Node:
    return _PARSER.parse(path.read_bytes()).root_node


def syntax_errors(path: Path) -> list[str]:
    """``line:column: text`` of every ERROR or MISSING node."""
    found = []

    def walk(node: Node):
        if node.is_error or node.is_missing:
            line, column = node.start_point
            found.append(f"{path.name}:{line + 1}:{column + 1}: {node.text.decode()[:60]!r}")
        for child in node.children:
            walk(child)

    walk(parse(path))
    return found


def walk(node: Node):
    yield node
    for child in node.children:
        yield from walk(child)


def named(node: Node, kind: str) -> list[Node]:
    return [n for n in walk(node) if n.type == kind]


def identifier(node: Node) -> str:
    return next(c for c in node.children if c.type == "identifier").text.decode()


def decorators_of(declaration: Node) -> list[str]:
    """Names of the decorators written just above a declaration (``@description(...)`` -> description)."""
    previous = declaration.prev_named_sibling
    if previous is None or previous.type != "decorators":
        return []
    return [
        call.children[0].text.decode()
        for decorator in previous.children
        if decorator.type == "decorator"
        for call in decorator.children
        if call.type == "call_expression"
    ]


_ESCAPES = {"\\": "\\", "'": "'", "n": "\n", "r": "\r", "t": "\t", "$": "$"}


def string_value(node: Node) -> str | None:
    """The value of a string literal, or None when it interpolates an expression."""
    raw = node.text.decode()
    if raw.startswith("'''"):
        return raw[3:-3]
    body, out, i = raw[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
            continue
        if body.startswith("${", i):
            return None
        out.append(char)
        i += 1
    return "".join(out)


def object_properties(obj: Node) -> dict[str, Node]:
    """{key: value node} of an object literal."""
    props = {}
    for prop in obj.children:
        if prop.type != "object_property":
            continue
        key, value = prop.children[0], prop.children[-1]
        name = string_value(key) if key.type == "string" else key.text.decode()
        props[name] = value
    return props


def variable(path: Path, name: str) -> Node:
    """The value expression of ``var <name> = ...``."""
    for declaration in named(parse(path), "variable_declaration"):
        if identifier(declaration) == name:
            return declaration.children[-1]
    raise KeyError(f"{path.name} declares no variable {name}")


def objects_in(node: Node) -> list[dict[str, Node]]:
    return [object_properties(n) for n in walk(node) if n.type == "object"]


@dataclass
class Param:
    name: str
    required: bool
    secure: bool


def declared_params(path: Path) -> dict[str, Param]:
    params = {}
    for declaration in named(parse(path), "parameter_declaration"):
        has_default = any(c.type == "=" for c in declaration.children)
        nullable = declaration.text.decode().split("=")[0].rstrip().endswith("?")
        params[identifier(declaration)] = Param(
            name=identifier(declaration),
            required=not has_default and not nullable,
            secure="secure" in decorators_of(declaration),
        )
    return params


def module_paths(path: Path) -> list[Path]:
    """The files a Bicep file references in ``module`` declarations, resolved."""
    found = []
    for declaration in named(parse(path), "module_declaration"):
        target = next(c for c in declaration.children if c.type == "string")
        found.append((path.parent / string_value(target)).resolve())
    return found


# --- .bicepparam -----------------------------------------------------------------------------------


class BicepParamError(ValueError):
    """A .bicepparam file is malformed or does not match its template."""


@dataclass
class BicepParamFile:
    path: Path
    using: Path
    values: dict[str, str] = field(default_factory=dict)  # param name -> expression text


def _strip_comments(text: str) -> str:
    """Remove // and /* */ comments, leaving string literals (which may contain //) intact."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("'''", i):
            end = text.index("'''", i + 3) + 3
            out.append(text[i:end])
            i = end
        elif text[i] == "'":
            j = i + 1
            while j < n and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


_USING = re.compile(r"^using\s+'([^']+)'\s*$")
_PARAM = re.compile(r"^param\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


def read_bicepparam(path: Path) -> BicepParamFile:
    """Read ``using`` and every top-level ``param name = expression`` (expressions may span lines)."""
    text = _strip_comments(path.read_text())
    using, values, current, depth = None, {}, None, 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if depth == 0 and not stripped:
            continue
        if depth == 0:
            if match := _USING.match(stripped):
                if using is not None:
                    raise BicepParamError(f"{path.name}:{number}: a second using statement")
                using = (path.parent / match.group(1)).resolve()
                continue
            if match := _PARAM.match(stripped):
                current = match.group(1)
                if current in values:
                    raise BicepParamError(f"{path.name}:{number}: param {current} is set twice")
                values[current] = match.group(2)
            else:
                raise BicepParamError(f"{path.name}:{number}: expected 'using' or 'param', got {stripped!r}")
        else:
            values[current] += "\n" + stripped
        depth += sum(stripped.count(c) for c in "[{(") - sum(stripped.count(c) for c in "]})")
    if depth != 0:
        raise BicepParamError(f"{path.name}: unbalanced brackets in param {current}")
    if using is None:
        raise BicepParamError(f"{path.name}: no using statement")
    return BicepParamFile(path=path, using=using, values=values)


def check_bicepparam(path: Path) -> list[str]:
    """Problems with a .bicepparam file: a missing template, undeclared or missing required params."""
    params_file = read_bicepparam(path)
    if not params_file.using.is_file():
        return [f"{path.name}: using target {params_file.using} does not exist"]
    declared = declared_params(params_file.using)
    problems = [
        f"{path.name}: param {name} is not declared in {params_file.using.name}"
        for name in params_file.values
        if name not in declared
    ]
    problems += [
        f"{path.name}: required param {p.name} of {params_file.using.name} is not set"
        for p in declared.values()
        if p.required and p.name not in params_file.values
    ]
    return problems
