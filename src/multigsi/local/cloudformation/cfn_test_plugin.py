"""A pytest plugin loaded into `cfn test`'s own pytest run (``cfn test -- -p cfn_test_plugin``,
``multigsi.local.cloudformation.contract.run_cfn_test``): narrow workarounds for cloudformation-cli's
contract suite, each keeping its assertion's intent. It runs in cloudformation-cli's
virtualenv, so it imports only the standard library and rpdk.

1. cloudformation-cli 0.2.41, ``ResourceClient.assert_write_only_property_does_not_exist``:
   ``key_error_safe_traverse`` catches only KeyError, and ``rpdk.core.jsonutils.utils.traverse``
   raises ValueError on the ``*`` of a write-only path inside an array
   (``/properties/GlobalSecondaryIndexes/*/WarmThroughput``): every SUCCESS answer of a
   Create or Update then fails with "invalid literal for int() with base 10: '*'", whatever
   the model holds. The replacement makes the same assertion ("The model MUST NOT return
   properties defined as writeOnlyProperties") with ``*`` meaning every member of the
   array. It is installed only while the bug is there (probed at start).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

WILDCARD = "*"


def write_only_values(document: Any, path: Sequence[Any]) -> Iterator[Any]:
    """Every value at ``path`` in ``document``; ``*`` stands for each member of an array,
    a missing key or index for nothing."""
    if not path:
        yield document
        return
    head, rest = path[0], path[1:]
    if head == WILDCARD:
        if isinstance(document, list):
            for member in document:
                yield from write_only_values(member, rest)
        return
    if isinstance(document, dict) and head in document:
        yield from write_only_values(document[head], rest)
    elif isinstance(document, list) and str(head).isdigit() and int(head) < len(document):
        yield from write_only_values(document[int(head)], rest)


def assert_write_only_property_does_not_exist(self: Any, resource_model: Any) -> None:
    returned = [
        path[1] if len(path) > 1 else path
        for path in self.write_only_paths
        if any(write_only_values({"properties": resource_model}, path))
    ]
    assert not returned, (
        "The model MUST NOT return properties defined as writeOnlyProperties in the resource schema \n"
        f" Write only properties in resource model : {returned}  \n Output Resource Model : {resource_model} \n"
    )


def _wildcard_bug(client_class: Any) -> bool:
    probe = type(
        "Probe",
        (),
        {
            "write_only_paths": {("properties", "List", WILDCARD, "Secret")},
            "key_error_safe_traverse": staticmethod(client_class.key_error_safe_traverse),
        },
    )()
    try:
        client_class.assert_write_only_property_does_not_exist(probe, {"List": [{"Other": 1}]})
    except ValueError:
        return True
    except AssertionError:
        return False
    return False


def pytest_configure(config: Any) -> None:
    from rpdk.core.contract.resource_client import ResourceClient  # type: ignore[import-not-found]

    if _wildcard_bug(ResourceClient):
        ResourceClient.assert_write_only_property_does_not_exist = assert_write_only_property_does_not_exist
