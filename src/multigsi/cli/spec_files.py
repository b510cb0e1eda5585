"""Specs from files: a YAML or JSON spec (one table or a list of tables), or a
CloudFormation template and the logical id of a table (AWS::DynamoDB::Table or
AWS::DynamoDB::GlobalTable, ``multigsi.cli.global_table``) or multigsi resource in it.

Templates use short-form intrinsics (!Ref, !Sub, ...), so they are read with cfn-flip's
loader, not bare PyYAML; ``multigsi.cli.intrinsics`` resolves them where the answer is
certain (parameters, Conditions, Fn::If, ...) and reports the rest with what fixes it.

Files may come from pull requests, so the work a document can cause is bounded before
anything walks it: its size, its nesting depth and the number of values it holds once
YAML aliases are expanded (aliases share one node, and a walk that copies them grows
exponentially with their nesting: a 625-byte template once took 90 s and 800 MB).

Needs the ``cli`` extra (PyYAML, cfn-flip); the Lambda handler never imports this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from cfn_tools.yaml_loader import CfnYamlLoader

from multigsi.cli.global_table import GLOBAL_TABLE_TYPE, global_table_properties
from multigsi.cli.intrinsics import TABLE_TYPES, UNRESOLVED, Resolver
from multigsi.cloudformation.properties import CUSTOM_RESOURCE_TYPES
from multigsi.errors import Problem, SpecError
from multigsi.model.parse import TABLE_FIELDS, parse_table_spec, parse_table_specs
from multigsi.model.table import TableSpec

# CloudFormation's own limit for a template body (from S3) is 1 MB; a spec is far smaller.
MAX_BYTES = 1_000_000
# Real templates nest about a dozen levels; PyYAML and json recurse per level.
MAX_DEPTH = 64
# Values in the document once every alias is expanded: what a walk over it visits.
MAX_VALUES = 100_000


def load_specs(
    path: str | Path,
    *,
    logical_id: str | None = None,
    table_name: str | None = None,
    parameters: Mapping[str, str] | None = None,
    region: str | None = None,
    profile: str | None = None,
) -> tuple[TableSpec, ...]:
    """Load one or more table specs from ``path``; ``table_name`` overrides the file's
    (and then the file's TableName is not resolved at all, so it may be anything).
    ``region``: where the table is read and changed, the home one of a global table
    (default: boto3's configuration, of ``profile``); a template's ``AWS::Region`` resolves to it unless a
    parameter says otherwise."""
    source = str(path)
    document = read_document(Path(path))
    if isinstance(document, Mapping) and "Resources" in document:
        given = dict(parameters or {})
        home = given.get("AWS::Region") or region or _configured_region(profile)
        if home is not None:
            given.setdefault("AWS::Region", home)
        properties = template_properties(
            document, logical_id, given, source, skip_table_name=table_name is not None
        )
        if table_name is not None:
            properties["TableName"] = table_name
        return (parse_table_spec(properties, source=f"{source} ({_chosen(document, logical_id)})"),)
    if logical_id is not None:
        raise SpecError([Problem("", "--logical-id is only for CloudFormation templates")], source)
    if parameters:
        raise SpecError([Problem("", "--parameter is only for CloudFormation templates")], source)
    specs = parse_table_specs(document, source=source)
    if table_name is not None:
        if len(specs) != 1:
            raise SpecError([Problem("", "--table-name needs a spec with exactly one table")], source)
        specs = (replace(specs[0], table_name=table_name),)
    return specs


def _configured_region(profile: str | None) -> str | None:
    """The region boto3 would use (AWS_REGION, AWS_DEFAULT_REGION, the profile's), if any."""
    import boto3

    try:
        region = boto3.session.Session(profile_name=profile).region_name
    except Exception:  # a broken profile: the command's own client reports it, with its name
        return None
    return str(region) if region else None


def read_document(path: Path) -> Any:
    """The file's content, or a SpecError naming the file and, for a syntax error, the
    line and column. Never more work than the limits above allow."""
    source = str(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as error:
        raise SpecError([Problem("", f"cannot read the file: {error.strerror}")], source) from error
    if len(data) > MAX_BYTES:
        raise SpecError([Problem("", f"is larger than {MAX_BYTES:,} bytes; refused")], source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start : error.start + 1].hex()
        raise SpecError(
            [Problem("", f"is not UTF-8 text: byte 0x{byte} on line {line} (save it as UTF-8)")], source
        ) from error
    if path.suffix.lower() == ".json":
        return _read_json(text, source)
    return _read_yaml(text, source)


def _read_json(text: str, source: str) -> Any:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise SpecError([Problem("", f"not valid JSON at {where}: {error.msg}")], source) from error
    except RecursionError as error:
        raise SpecError([Problem("", f"nested deeper than {MAX_DEPTH} levels; refused")], source) from error
    depth, values = _measure(document)
    if depth > MAX_DEPTH:
        raise SpecError([Problem("", f"nested deeper than {MAX_DEPTH} levels; refused")], source)
    if values > MAX_VALUES:
        raise SpecError([Problem("", f"holds more than {MAX_VALUES:,} values; refused")], source)
    return document


def _measure(document: Any) -> tuple[int, int]:
    """(depth, number of values) of a JSON document, without recursion."""
    depth, values = 0, 0
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, level = pending.pop()
        values += 1
        depth = max(depth, level)
        if isinstance(value, dict):
            pending.extend((item, level + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, level + 1) for item in value)
    return depth, values


class DocumentTooLarge(yaml.YAMLError):
    pass


class _BoundedLoader(CfnYamlLoader):  # type: ignore[misc]  # cfn-flip has no types
    """cfn-flip's loader (short-form intrinsics, plain YAML too) with the nesting depth
    bounded while composing and the alias-expanded size bounded before constructing."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise DocumentTooLarge(f"nested deeper than {MAX_DEPTH} levels; refused")
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _expanded_size(node, {}, set())
        return self.construct_document(node)


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """How many values the document holds with every alias expanded, computed once per
    node (linear in the file); refuses as soon as the total passes MAX_VALUES."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        raise DocumentTooLarge("a YAML alias refers to a node that contains it; refused")
    open_nodes.add(key)
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, sizes, open_nodes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        for name, value in node.value:
            size += _expanded_size(name, sizes, open_nodes) + _expanded_size(value, sizes, open_nodes)
            if size > MAX_VALUES:
                break
    open_nodes.discard(key)
    if size > MAX_VALUES:
        raise DocumentTooLarge(
            f"holds more than {MAX_VALUES:,} values once its YAML aliases are expanded; refused"
        )
    sizes[key] = size
    return size


def _read_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # nosec B506 - a SafeLoader subclass
    except DocumentTooLarge as error:
        raise SpecError([Problem("", str(error))], source) from error
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = error.problem or error.context or "unreadable"
        raise SpecError([Problem("", f"not valid YAML{where}: {what}")], source) from error
    except (yaml.YAMLError, ValueError, TypeError) as error:
        raise SpecError([Problem("", f"not valid YAML: {error}")], source) from error
    except Exception as error:  # cfn-flip raises a bare Exception for an unknown tag shape
        raise SpecError([Problem("", f"not valid YAML: {error}")], source) from error


def template_properties(
    template: Mapping[str, Any],
    logical_id: str | None,
    parameters: dict[str, str],
    source: str,
    *,
    skip_table_name: bool = False,
) -> dict[str, Any]:
    resources = _mapping(template.get("Resources"))
    candidates = [name for name, resource in resources.items() if _is_candidate(resource)]
    if logical_id is None:
        if len(candidates) != 1:
            found = ", ".join(candidates) or "none"
            raise SpecError(
                [
                    Problem(
                        "Resources",
                        f"choose one with --logical-id; tables and multigsi resources: {found}",
                    )
                ],
                source,
            )
        logical_id = candidates[0]
    resource = resources.get(logical_id)
    if not isinstance(resource, Mapping) or not _is_candidate(resource):
        raise SpecError(
            [
                Problem(
                    f"Resources.{logical_id}",
                    f"is not an {' or '.join(TABLE_TYPES)} or multigsi custom resource",
                )
            ],
            source,
        )
    properties = resource.get("Properties") or {}
    resolver = Resolver(template, parameters)
    resolver.check_parameters()
    if resolver.problems:  # a wrong value would only cause confusing problems downstream
        raise SpecError(resolver.problems, source)
    relevant = {
        key: value
        for key, value in _mapping(properties).items()
        if key in TABLE_FIELDS and not (skip_table_name and key == "TableName")
    }
    resolved = resolver.resolve(relevant, f"Resources.{logical_id}.Properties")
    if resolver.problems:
        raise SpecError(resolver.problems, source)
    if not isinstance(resolved, dict) or resolved is UNRESOLVED:
        raise SpecError([Problem(f"Resources.{logical_id}.Properties", "expected a mapping")], source)
    if resource.get("Type") == GLOBAL_TABLE_TYPE:
        home = parameters.get("AWS::Region")
        return global_table_properties(resolved, home, f"Resources.{logical_id}.Properties", source)
    return resolved


def _is_candidate(resource: Any) -> bool:
    kind = resource.get("Type") if isinstance(resource, Mapping) else None
    return kind in TABLE_TYPES or kind in CUSTOM_RESOURCE_TYPES


def _chosen(template: Mapping[str, Any], logical_id: str | None) -> str:
    if logical_id:
        return logical_id
    resources = _mapping(template.get("Resources"))
    return str(next(name for name, resource in resources.items() if _is_candidate(resource)))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
