"""Specs from files: a YAML or JSON spec (one table or a list of tables), or a
CloudFormation template and the logical id of a table or multigsi custom resource in it.

Templates use short-form intrinsics (!Ref, !Sub, ...), so they are read with cfn-flip's
loader, not bare PyYAML. Intrinsics are resolved only where that is certain: a Ref to a
parameter (its Default, or a value given with ``parameters``), a Ref to a table resource
with a literal TableName, and a Sub over those. Anything else is reported as a problem
naming the path, with the way out (``--table-name`` or ``--parameter``).

Needs the ``cli`` extra (PyYAML, cfn-flip); the Lambda handler never imports this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from multigsi.errors import Problem, SpecError
from multigsi.spec.model import TableSpec
from multigsi.spec.parse import TABLE_FIELDS, parse_table_spec, parse_table_specs

TABLE_TYPE = "AWS::DynamoDB::Table"
CUSTOM_RESOURCE_TYPES = ("Custom::MultiGsi", "Custom::MultiGSI")
SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


def load_specs(
    path: str | Path,
    *,
    logical_id: str | None = None,
    table_name: str | None = None,
    parameters: Mapping[str, str] | None = None,
) -> tuple[TableSpec, ...]:
    """Load one or more table specs from ``path``; ``table_name`` overrides the file's."""
    source = str(path)
    document = read_document(Path(path))
    if isinstance(document, Mapping) and "Resources" in document:
        properties = template_properties(document, logical_id, dict(parameters or {}), source)
        if table_name is not None:
            properties["TableName"] = table_name
        return (parse_table_spec(properties, source=f"{source} ({_chosen(document, logical_id)})"),)
    if logical_id is not None:
        raise SpecError([Problem("", "--logical-id is only for CloudFormation templates")], source)
    specs = parse_table_specs(document, source=source)
    if table_name is not None:
        if len(specs) != 1:
            raise SpecError([Problem("", "--table-name needs a spec with exactly one table")], source)
        specs = (
            TableSpec(table_name, specs[0].attribute_definitions, specs[0].indexes, specs[0].billing_mode),
        )
    return specs


def read_document(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SpecError([Problem("", f"cannot read the file: {error.strerror}")], str(path)) from error
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        from cfn_flip import load_yaml  # also reads plain YAML

        return load_yaml(text)
    except Exception as error:  # yaml and json raise many types; all mean "not readable"
        raise SpecError(
            [Problem("", f"not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {error}")],
            str(path),
        ) from error


def template_properties(
    template: Mapping[str, Any], logical_id: str | None, parameters: dict[str, str], source: str
) -> dict[str, Any]:
    resources = template.get("Resources") or {}
    candidates = [
        name
        for name, resource in resources.items()
        if isinstance(resource, Mapping) and _is_candidate(resource.get("Type", ""))
    ]
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
    if not isinstance(resource, Mapping) or not _is_candidate(resource.get("Type", "")):
        raise SpecError(
            [Problem(f"Resources.{logical_id}", f"is not an {TABLE_TYPE} or multigsi custom resource")],
            source,
        )
    properties = resource.get("Properties") or {}
    resolver = _Resolver(template, parameters)
    relevant = {key: value for key, value in properties.items() if key in TABLE_FIELDS}
    resolved = resolver.resolve(relevant, f"Resources.{logical_id}.Properties")
    if resolver.problems:
        raise SpecError(resolver.problems, source)
    if not isinstance(resolved, dict):
        raise SpecError([Problem(f"Resources.{logical_id}.Properties", "expected a mapping")], source)
    return resolved


def _is_candidate(resource_type: str) -> bool:
    return resource_type == TABLE_TYPE or resource_type in CUSTOM_RESOURCE_TYPES


def _chosen(template: Mapping[str, Any], logical_id: str | None) -> str:
    if logical_id:
        return logical_id
    resources = template.get("Resources") or {}
    return str(next(name for name, r in resources.items() if _is_candidate(r.get("Type", ""))))


class _Resolver:
    def __init__(self, template: Mapping[str, Any], parameters: dict[str, str]) -> None:
        self.template = template
        self.parameters = parameters
        self.problems: list[Problem] = []

    def resolve(self, value: Any, path: str) -> Any:
        if isinstance(value, Mapping):
            if len(value) == 1:
                ((key, argument),) = value.items()
                if key == "Ref":
                    return self._ref(argument, path)
                if key == "Fn::Sub":
                    return self._sub(argument, path)
                if key.startswith("Fn::"):
                    self._unresolved(path, key)
                    return None
            return {key: self.resolve(item, f"{path}.{key}") for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item, f"{path}[{n}]") for n, item in enumerate(value)]
        return value

    def _ref(self, name: Any, path: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        declared = (self.template.get("Parameters") or {}).get(name)
        if isinstance(declared, Mapping) and "Default" in declared:
            return declared["Default"]
        resource = (self.template.get("Resources") or {}).get(name)
        if isinstance(resource, Mapping) and resource.get("Type") == TABLE_TYPE:
            table_name = (resource.get("Properties") or {}).get("TableName")
            if isinstance(table_name, str):
                return table_name
        self._unresolved(path, f"Ref {name}")
        return None

    def _sub(self, argument: Any, path: str) -> Any:
        if not isinstance(argument, str):
            self._unresolved(path, "Fn::Sub with variables")
            return None
        missing: list[str] = []

        def replace(match: re.Match[str]) -> str:
            value = (
                self._ref(match.group(1), path)
                if match.group(1) in self.parameters or self._known(match.group(1))
                else None
            )
            if not isinstance(value, str):
                missing.append(match.group(1))
                return match.group(0)
            return value

        text = SUB_VARIABLE.sub(replace, argument)
        if missing:
            self._unresolved(path, f"Fn::Sub ${{{missing[0]}}}")
            return None
        return text

    def _known(self, name: str) -> bool:
        declared = (self.template.get("Parameters") or {}).get(name)
        resource = (self.template.get("Resources") or {}).get(name)
        return (isinstance(declared, Mapping) and "Default" in declared) or isinstance(resource, Mapping)

    def _unresolved(self, path: str, what: str) -> None:
        hint = "pass --table-name" if path.endswith("TableName") else "pass --parameter NAME=VALUE"
        self.problems.append(Problem(path, f"cannot resolve {what} outside CloudFormation; {hint}"))
