"""`multigsi package --resource-type`: the schema handler package of the resource type.

CloudFormation's ``RegisterType`` takes a zip in S3 (``SchemaHandlerPackage``) laid out as
cloudformation-cli's ``cfn submit --dry-run`` writes it (``rpdk.core.project.Project.submit``
with the Python plugin's ``package``):

- ``.rpdk-config``: type name, language, runtime, the handler entry point, settings;
- ``schema.json``: the resource provider schema (properties, permissions, timeouts);
- ``ResourceProvider.zip``: what Lambda runs, the handler package and its dependencies at
  the zip's root.

cloudformation-cli also copies the project's handler sources beside these and a
``.cfn_metadata.json`` about itself; neither is read at registration or at run time, so
they are left out. The inner zip is built as the custom resource's Lambda zip is
(``multigsi.deploy.package``): the multigsi modules ``multigsi.cloudformation.resource_type.handlers`` imports, the
boto3/botocore of ``cfn/lambda-requirements.txt`` plus ``resource-type-requirements.txt``
(cloudformation-cli-python-lib and what it imports), installed by hash, trimmed to the
services the handlers call, with bytecode for the runtime. Both zips are reproducible.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import multigsi
from multigsi.cloudformation.properties import RESOURCE_TYPE_NAME
from multigsi.deploy.bytecode import DEFAULT_VERSION, Interpreter, runtime_name
from multigsi.deploy.contents import module_file
from multigsi.deploy.package import build_tree, lock_file_text, write_entries
from multigsi.errors import PackageError

TYPE_NAME = RESOURCE_TYPE_NAME
ENTRY_MODULE = "multigsi.cloudformation.resource_type.handlers"
COMPAT_ENTRY_MODULE = "multigsi.registry.handlers"  # type versions registered before the move
ENTRY_POINT = f"{ENTRY_MODULE}.resource"  # a cloudformation_cli_python_lib.Resource: the Lambda handler
TEST_ENTRY_POINT = f"{ENTRY_MODULE}.test_entrypoint"  # what `cfn test`/SAM local call; not used by AWS
SCHEMA_RESOURCE = "schema.json"  # in the multigsi.cloudformation.resource_type package
LOCK_FILE = "requirements.txt"  # beside the type's handlers
PROTOCOL_VERSION = "2.0.0"  # the Python plugin's; the only one cloudformation-cli-python-lib 2.x speaks
# Every client the handlers and cloudformation-cli-python-lib create: DynamoDB and CloudWatch
# (the engine), CloudFormation (the ownership hand-back), CloudWatch Logs and CloudWatch (the
# lib's log delivery and metrics). The custom resource is not in the package (nothing of the
# type imports it), so neither is its Lambda client.
SERVICES = ("cloudformation", "cloudwatch", "dynamodb", "logs")
SETTINGS_FILE = ".rpdk-config"
INNER_ZIP = "ResourceProvider.zip"
COMMENT_PREFIX = "multigsi-resource-type"


@dataclass(frozen=True)
class TypePackage:
    """What ``build_type_package`` wrote."""

    path: Path
    names: tuple[str, ...]  # the outer zip's entries
    inner_names: tuple[str, ...]  # ResourceProvider.zip's entries
    runtime: str
    bytecode: str | None

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def type_lock_text() -> str:
    """The pins of the handler package: the Lambda zip's, then the resource type's own."""
    extra = resources.files("multigsi.cloudformation.resource_type").joinpath(LOCK_FILE).read_text()
    return lock_file_text() + "\n" + extra


def schema_text(source: Path | None = None) -> str:
    """The resource provider schema as committed (``src/multigsi/cloudformation/resource_type/schema.json``)."""
    path = (source or Path(multigsi.__file__).parent) / "cloudformation" / "resource_type" / SCHEMA_RESOURCE
    if not path.is_file():
        raise PackageError(f"no resource type schema at {path}")
    text = path.read_text()
    try:
        schema = json.loads(text)
    except ValueError as error:
        raise PackageError(f"{path}: not JSON: {error}") from error
    if not isinstance(schema, dict) or schema.get("typeName") != TYPE_NAME:
        raise PackageError(f"{path}: typeName must be {TYPE_NAME!r}")
    return text


def rpdk_config(runtime: str) -> bytes:
    """``.rpdk-config`` as cloudformation-cli writes it for a Python resource project."""
    settings = {
        "artifact_type": "RESOURCE",
        "typeName": TYPE_NAME,
        "language": f"python{runtime.removeprefix('python').replace('.', '')}",
        "runtime": runtime,
        "entrypoint": ENTRY_POINT,
        "testEntrypoint": TEST_ENTRY_POINT,
        "settings": {"use_docker": False, "no_docker": True, "protocolVersion": PROTOCOL_VERSION},
    }
    return (json.dumps(settings, indent=4) + "\n").encode()


def build_type_package(
    output: Path,
    *,
    interpreter: Interpreter | None,
    version: tuple[int, int] = DEFAULT_VERSION,
    pip: list[str] | None = None,
    source: Path | None = None,
) -> TypePackage:
    """Build the schema handler package at ``output``. ``source``: the multigsi folder to
    take the handlers and schema from (default: this installation's)."""
    source = source or Path(multigsi.__file__).parent
    if module_file(source, ENTRY_MODULE) is None:
        raise PackageError(f"{ENTRY_MODULE} is not in {source}: the resource type's handlers are missing")
    schema = schema_text(source)
    if interpreter is not None:
        version = interpreter.version
    runtime = runtime_name(version)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "provider"
        tag = build_tree(
            root,
            type_lock_text(),
            interpreter=interpreter,
            version=version,
            pip=pip,
            entry=COMPAT_ENTRY_MODULE,  # imports ENTRY_MODULE: both names work in the package
            services=SERVICES,
            source=source,
        )
        inner_names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        inner = Path(scratch) / INNER_ZIP
        write_entries(inner, [(name, (root / name).read_bytes()) for name in inner_names])
        entries = [
            (SETTINGS_FILE, rpdk_config(runtime)),
            (INNER_ZIP, inner.read_bytes()),
            ("schema.json", schema.encode()),
        ]
        comment = f"{COMMENT_PREFIX} type={TYPE_NAME} runtime={runtime} bytecode={tag or 'none'}"
        write_entries(output, entries, comment=comment)
    return TypePackage(output, tuple(name for name, _ in entries), tuple(inner_names), runtime, tag)


def report(package: TypePackage, interpreter: Interpreter | None) -> str:
    lines = [
        f"Wrote {package.path} ({package.size / 1_000_000:.1f} MB; {INNER_ZIP} has "
        f"{len(package.inner_names)} files) for {TYPE_NAME} on runtime {package.runtime}. "
        f"Handler: {ENTRY_POINT}",
        f"Bytecode ({package.bytecode}) compiled by {interpreter.path}."
        if interpreter is not None
        else "No bytecode: no CPython of the runtime's version found (pass --python PATH).",
        f"Register it with: multigsi register-type --package {package.path} --bucket BUCKET ...",
    ]
    return "\n".join(lines)
