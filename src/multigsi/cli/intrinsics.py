"""CloudFormation intrinsic functions, resolved outside CloudFormation where the answer is
certain: parameters (their Default or a value given with ``--parameter``), Conditions
(Fn::Equals/And/Or/Not and Condition references, as CloudFormation evaluates them),
Fn::If, AWS::NoValue, Fn::Sub, Fn::Join, Fn::Select, Fn::FindInMap, and a Ref to a table
resource (AWS::DynamoDB::Table or AWS::DynamoDB::GlobalTable) with a literal TableName.

Anything only a deployed stack knows (Fn::GetAtt, a Ref to another resource, an import)
is a problem naming the path and what would fix it there: ``--table-name`` for a table
name, ``--parameter NAME=VALUE`` for a parameter without a Default, a literal value
anywhere else. A hint never names a flag that would not fix the problem.

The work is bounded: every value visited counts against ``max_visits``, so a template
whose references fan out cannot make resolution run away. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from multigsi.errors import Problem, SpecError

TABLE_TYPE = "AWS::DynamoDB::Table"
TABLE_TYPES = (TABLE_TYPE, "AWS::DynamoDB::GlobalTable")
SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")
MAX_VISITS = 100_000


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


# AWS::NoValue: the property is removed. UNRESOLVED: a problem was recorded for it.
NO_VALUE: Any = _Marker("AWS::NoValue")
UNRESOLVED: Any = _Marker("unresolved")

CONDITION_FUNCTIONS = ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition")


def text(value: Any) -> str:
    """A scalar as CloudFormation sees it: YAML's true is the string "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Resolver:
    def __init__(
        self, template: Mapping[str, Any], parameters: Mapping[str, str], *, max_visits: int = MAX_VISITS
    ) -> None:
        self.template = template
        self.parameters = dict(parameters)
        self.declared = _mapping(template.get("Parameters"))
        self.resources = _mapping(template.get("Resources"))
        self.conditions = _mapping(template.get("Conditions"))
        self.mappings = _mapping(template.get("Mappings"))
        self.problems: list[Problem] = []
        self.visits = 0
        self.max_visits = max_visits
        self._condition_values: dict[str, bool | None] = {}
        self._evaluating: set[str] = set()

    def check_parameters(self) -> None:
        """Each ``--parameter`` names a declared parameter (or a pseudo parameter) and an
        allowed value, as CloudFormation requires."""
        for name, value in self.parameters.items():
            if name.startswith("AWS::"):
                continue
            declared = self.declared.get(name)
            if not isinstance(declared, Mapping):
                names = ", ".join(str(key) for key in self.declared) or "none"
                self._problem(f"--parameter {name}", f"the template declares no such parameter ({names})")
                continue
            allowed = declared.get("AllowedValues")
            if isinstance(allowed, list) and value not in [text(item) for item in allowed]:
                choices = ", ".join(text(item) for item in allowed)
                self._problem(f"--parameter {name}", f"{value!r} is not one of {choices}")

    def resolve(self, value: Any, path: str) -> Any:
        """``value`` with every intrinsic replaced; NO_VALUE where the property is removed,
        UNRESOLVED (with a problem recorded) where it cannot be known here."""
        self._count()
        if isinstance(value, Mapping):
            if len(value) == 1:
                ((key, argument),) = value.items()
                if key == "Ref":
                    return self._ref(argument, path)
                if isinstance(key, str) and key.startswith("Fn::"):
                    return self._function(key, argument, path)
            resolved = {}
            for key, item in value.items():
                item = self.resolve(item, f"{path}.{key}")
                if item is not NO_VALUE:
                    resolved[key] = item
            return resolved
        if isinstance(value, list):
            items = [self.resolve(item, f"{path}[{n}]") for n, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        return value

    def _function(self, name: str, argument: Any, path: str) -> Any:
        if name == "Fn::If":
            return self._if(argument, path)
        if name == "Fn::Sub":
            return self._sub(argument, path)
        if name == "Fn::Join":
            return self._join(argument, path)
        if name == "Fn::Select":
            return self._select(argument, path)
        if name == "Fn::FindInMap":
            return self._find_in_map(argument, path)
        if name in CONDITION_FUNCTIONS:
            return self._condition_function(name, argument, path)
        what = f"{name} {'.'.join(map(str, argument)) if isinstance(argument, list) else argument}"
        return self._unknowable(path, what.strip())

    # -- references -------------------------------------------------------------------

    def _ref(self, name: Any, path: str) -> Any:
        if not isinstance(name, str):
            return self._malformed(path, "Ref takes a name")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        declared = self.declared.get(name)
        if isinstance(declared, Mapping):
            if "Default" in declared:
                return declared["Default"]
            also = " (or --table-name)" if path.endswith(".TableName") else ""
            self._problem(path, f"parameter {name} has no Default; pass --parameter {name}=VALUE{also}")
            return UNRESOLVED
        if name == "AWS::Region":  # the CLI's region when it has one (cli.spec_files)
            self._problem(
                path,
                "pseudo parameter AWS::Region: no region is configured; give --region (or set "
                "AWS_DEFAULT_REGION), or --parameter AWS::Region=VALUE",
            )
            return UNRESOLVED
        if name.startswith("AWS::"):
            self._problem(
                path, f"pseudo parameter {name} is known only in a stack; pass --parameter {name}=VALUE"
            )
            return UNRESOLVED
        resource = self.resources.get(name)
        if isinstance(resource, Mapping) and resource.get("Type") in TABLE_TYPES:
            table_name = _mapping(resource.get("Properties")).get("TableName")
            if isinstance(table_name, str):
                return table_name
        if isinstance(resource, Mapping):
            return self._unknowable(path, f"Ref {name}")
        return self._malformed(path, f"Ref {name}: no parameter or resource has that name")

    def _sub(self, argument: Any, path: str) -> Any:
        variables: Mapping[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
            argument, variables = argument
        if not isinstance(argument, str):
            return self._malformed(path, "Fn::Sub takes a string, or [string, {variables}]")
        failed = False

        def replace(match: re.Match[str]) -> str:
            nonlocal failed
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = self.resolve(variables[name], f"{path}[1].{name}")
            elif "." in name:
                value = self._unknowable(path, f"Fn::Sub ${{{name}}}")
            else:
                value = self._ref(name, path)
            if value is UNRESOLVED or isinstance(value, Mapping | list) or value is NO_VALUE:
                failed = True
                return match.group(0)
            return text(value)

        result = SUB_VARIABLE.sub(replace, argument)
        return UNRESOLVED if failed else result

    def _join(self, argument: Any, path: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)):
            return self._malformed(path, "Fn::Join takes [delimiter, [values]]")
        values = self.resolve(argument[1], f"{path}[1]")
        if not isinstance(values, list):
            return UNRESOLVED if values is UNRESOLVED else self._malformed(path, "Fn::Join needs a list")
        if any(value is UNRESOLVED for value in values):
            return UNRESOLVED
        return argument[0].join(text(value) for value in values)

    def _select(self, argument: Any, path: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 2):
            return self._malformed(path, "Fn::Select takes [index, [values]]")
        index = self.resolve(argument[0], f"{path}[0]")
        values = self.resolve(argument[1], f"{path}[1]")
        if index is UNRESOLVED or values is UNRESOLVED:
            return UNRESOLVED
        if not isinstance(values, list) or not text(index).isdigit() or int(text(index)) >= len(values):
            return self._malformed(path, f"Fn::Select index {index!r} is not in the list")
        return values[int(text(index))]

    def _find_in_map(self, argument: Any, path: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3):
            return self._malformed(path, "Fn::FindInMap takes [map, top-level key, second-level key]")
        keys = [self.resolve(item, f"{path}[{n}]") for n, item in enumerate(argument)]
        if any(key is UNRESOLVED for key in keys):
            return UNRESOLVED
        found: Any = self.mappings
        for key in keys:
            found = _mapping(found).get(text(key))
            if found is None:
                names = " → ".join(text(k) for k in keys)
                return self._malformed(path, f"Fn::FindInMap {names}: not in Mappings")
        return self.resolve(found, f"Mappings.{'.'.join(text(k) for k in keys)}")

    # -- conditions ---------------------------------------------------------------------

    def _if(self, argument: Any, path: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str)):
            return self._malformed(path, "Fn::If takes [condition name, value if true, value if false]")
        chosen = self.condition(argument[0], path)
        if chosen is None:
            return UNRESOLVED
        return self.resolve(argument[1] if chosen else argument[2], f"{path}[{1 if chosen else 2}]")

    def condition(self, name: str, path: str) -> bool | None:
        """The named condition's value; None (with a problem recorded) when it depends on
        something unknown here. Evaluated once, lazily: only conditions in use matter."""
        if name in self._condition_values:
            return self._condition_values[name]
        if name not in self.conditions:
            self._malformed(path, f"no condition named {name} in Conditions")
            return None
        if name in self._evaluating:
            self._malformed(f"Conditions.{name}", "refers to itself")
            return None
        self._evaluating.add(name)
        value = self._truth(self.conditions[name], f"Conditions.{name}")
        self._evaluating.discard(name)
        self._condition_values[name] = value
        return value

    def _condition_function(self, name: str, argument: Any, path: str) -> Any:
        value = self._truth({name: argument}, path)
        return UNRESOLVED if value is None else value

    def _truth(self, value: Any, path: str) -> bool | None:
        self._count()
        if not (isinstance(value, Mapping) and len(value) == 1):
            self._malformed(path, "a condition is one of Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition")
            return None
        ((name, argument),) = value.items()
        if name == "Condition":
            return self.condition(argument, path) if isinstance(argument, str) else None
        if name == "Fn::Equals":
            if not (isinstance(argument, list) and len(argument) == 2):
                self._malformed(path, "Fn::Equals takes two values")
                return None
            left, right = (self.resolve(item, f"{path}.Fn::Equals[{n}]") for n, item in enumerate(argument))
            if UNRESOLVED in (left, right):
                return None
            return text(left) == text(right)
        if name in ("Fn::And", "Fn::Or", "Fn::Not") and isinstance(argument, list) and argument:
            values = [self._truth(item, f"{path}.{name}[{n}]") for n, item in enumerate(argument)]
            if None in values:
                return None
            if name == "Fn::And":
                return all(values)
            if name == "Fn::Or":
                return any(values)
            if len(values) == 1:
                return not values[0]
            self._malformed(path, "Fn::Not takes one condition")
            return None
        self._malformed(path, f"{name} is not a condition function")
        return None

    # -- problems -------------------------------------------------------------------------

    def _count(self) -> None:
        self.visits += 1
        if self.visits > self.max_visits:
            raise SpecError(
                [Problem("", f"resolving the template takes more than {self.max_visits:,} steps; refused")]
            )

    def _problem(self, path: str, message: str) -> None:
        problem = Problem(path, message)
        if problem not in self.problems:
            self.problems.append(problem)

    def _unknowable(self, path: str, what: str) -> Any:
        hint = (
            "pass --table-name"
            if path.endswith(".TableName")
            else "write a literal value or a parameter there (multigsi resolves parameters, "
            "Conditions, Fn::If, Fn::Sub, Fn::Join, Fn::Select and Fn::FindInMap)"
        )
        self._problem(path, f"{what} is known only to a deployed stack; {hint}")
        return UNRESOLVED

    def _malformed(self, path: str, message: str) -> Any:
        self._problem(path, message)
        return UNRESOLVED


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
