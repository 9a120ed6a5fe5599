"""The template gallery: the Bicep files under infra/bicep, read from the files themselves.

``.bicep`` files are parsed with the tree-sitter Bicep grammar (PyPI tree-sitter-bicep, no Bicep CLI
needed): parameters (type, default, ``@description``, ``@allowed``, ``@secure``) and outputs. The
grammar does not know ``.bicepparam`` files, so those are read with the small ``using`` / ``param``
reader below, and each becomes a copyable ``az deployment group create`` command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings

_ESCAPES = {"\\": "\\", "'": "'", "n": "\n", "r": "\r", "t": "\t", "$": "$"}
_USING = re.compile(r"^\s*using\s+'([^']+)'", re.MULTILINE)
_PARAM = re.compile(r"^\s*param\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$", re.MULTILINE)
_ENV = re.compile(r"readEnvironmentVariable\(\s*'([^']+)'")


@dataclass
class Parameter:
    name: str
    type: str
    default: str | None
    description: str
    allowed: list[str]
    secure: bool

    @property
    def required(self) -> bool:
        return self.default is None and not self.type.endswith("?")


@dataclass
class Output:
    name: str
    type: str
    description: str


@dataclass
class ParamFile:
    name: str
    relative_path: str
    using: str
    values: dict[str, str]
    environment: list[str]
    cloud: str
    command: str = ""

    def build_command(self, template: Template) -> str:
        lines = []
        if self.cloud == "AzureUSGovernment":
            lines.append("az cloud set --name AzureUSGovernment && az login")
        for variable in self.environment:
            lines.append(f"export {variable}=...")
        lines.append(
            "az deployment group create --resource-group <resource-group> "
            f"--template-file {template.relative_path} --parameters {self.relative_path}"
        )
        return "\n".join(lines)


@dataclass
class Template:
    name: str
    relative_path: str
    summary: str
    parameters: list[Parameter]
    outputs: list[Output]
    modules: list[str] = field(default_factory=list)
    param_files: list[ParamFile] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.relative_path.replace("/", "-").removesuffix(".bicep")

    @property
    def command(self) -> str:
        return (
            "az deployment group create --resource-group <resource-group> "
            f"--template-file {self.relative_path} --parameters "
            + " ".join(f"{p.name}=<{p.name}>" for p in self.parameters if p.required)
        ).rstrip()


def bicep_root() -> Path:
    return Path(getattr(settings, "BICEP_DIR", Path(settings.BASE_DIR) / "infra" / "bicep"))


def _parser():
    import tree_sitter_bicep
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_bicep.language()))


def _string(node) -> str | None:
    raw = node.text.decode()
    if raw.startswith("'''"):
        return raw[3:-3]
    body, out, i = raw[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
            continue
        if body.startswith("${", i):
            return None
        out.append(body[i])
        i += 1
    return "".join(out)


def _decorators(declaration) -> dict[str, object]:
    previous = declaration.prev_named_sibling
    found = {}
    if previous is None or previous.type != "decorators":
        return found
    for decorator in previous.children:
        call = next((c for c in decorator.children if c.type == "call_expression"), None)
        if call is None:
            continue
        name = call.children[0].text.decode()
        arguments = next((c for c in call.children if c.type == "arguments"), None)
        values = [c for c in (arguments.children if arguments else []) if c.type not in ("(", ")", ",")]
        if name == "allowed" and values and values[0].type == "array":
            found[name] = [(_string(v) if v.type == "string" else v.text.decode()) for v in values[0].named_children]
        elif values and values[0].type == "string":
            found[name] = _string(values[0]) or ""
        else:
            found[name] = values[0].text.decode() if values else True
    return found


def _summary(text: str) -> str:
    """The leading // comment block of the file, as one paragraph."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("//"):
            break
        lines.append(stripped.lstrip("/").strip())
    summary = " ".join(line for line in lines if line)
    return summary.split("Deploy with:")[0].strip()


def read_template(path: Path, root: Path) -> Template:
    source = path.read_bytes()
    tree = _parser().parse(source).root_node
    parameters, outputs, modules = [], [], []
    for node in tree.children:
        if node.type == "parameter_declaration":
            children = node.children
            name = next(c for c in children if c.type == "identifier").text.decode()
            type_node = next((c for c in children if c.type not in ("param", "identifier", "=") and c.is_named), None)
            has_default = any(c.type == "=" for c in children)
            decorators = _decorators(node)
            parameters.append(Parameter(
                name=name,
                type=type_node.text.decode() if type_node is not None else "",
                default=children[-1].text.decode() if has_default else None,
                description=str(decorators.get("description", "")),
                allowed=list(decorators.get("allowed", [])),
                secure="secure" in decorators,
            ))
        elif node.type == "output_declaration":
            children = node.children
            name = next(c for c in children if c.type == "identifier").text.decode()
            type_node = children[2] if len(children) > 2 else None
            outputs.append(Output(name, type_node.text.decode() if type_node is not None else "",
                                  str(_decorators(node).get("description", ""))))
        elif node.type == "module_declaration":
            target = next((c for c in node.children if c.type == "string"), None)
            if target is not None and _string(target):
                modules.append(_string(target))
    relative = path.relative_to(root.parent.parent).as_posix() if root.parent.parent in path.parents else path.name
    return Template(path.stem, relative, _summary(source.decode(errors="replace")), parameters, outputs, modules)


def read_param_file(path: Path, root: Path) -> ParamFile:
    text = path.read_text()
    code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
    using = _USING.search(code)
    values = {m.group(1): m.group(2).strip() for m in _PARAM.finditer(code)}
    cloud = values.get("azureCloud", "").strip("'") or "AzureCloud"
    relative = path.relative_to(root.parent.parent).as_posix() if root.parent.parent in path.parents else path.name
    return ParamFile(path.stem, relative, using.group(1) if using else "", values,
                     sorted(set(_ENV.findall(code))), cloud)


@lru_cache(maxsize=4)
def _gallery(root: str, stamp: float) -> list[Template]:
    base = Path(root)
    templates = {p.resolve(): read_template(p, base) for p in sorted(base.rglob("*.bicep"))}
    for path in sorted(base.rglob("*.bicepparam")):
        params = read_param_file(path, base)
        target = templates.get((path.parent / params.using).resolve())
        if target is not None:
            params.command = params.build_command(target)
            target.param_files.append(params)
    ordered = sorted(templates.values(), key=lambda t: (t.relative_path.count("/"), t.relative_path))
    return ordered


def template_gallery() -> list[Template]:
    """Every Bicep template, main first, each with its parameters, outputs and parameter files."""
    root = bicep_root()
    if not root.is_dir():
        return []
    stamp = max((p.stat().st_mtime for p in root.rglob("*.bicep*")), default=0.0)
    return _gallery(str(root), stamp)
