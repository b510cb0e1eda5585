"""What goes into the Lambda package: the multigsi modules the handler imports, and the
pinned libraries trimmed to what the handler calls.

botocore ships models of some 450 AWS services (28 MB of its 30); the handler creates
clients for three. Client creation reads the service's folder under ``botocore/data``
(its ``service-2`` model and endpoint rule set) and the top-level files botocore needs
for any client (``endpoints.json``, ``partitions.json``, ``sdk-default-configuration.json``,
``_retry.json``), so those are kept and every other service folder is dropped. A test
checks that the handler's code asks for no client outside ``SERVICES`` and that every one
of them can be created from the trimmed package alone.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

SERVICES = ("cloudformation", "cloudwatch", "dynamodb", "lambda")  # every boto3.client(...) the handler makes
# The compat name deployed stacks' Handler strings use; it imports
# multigsi.cloudformation.custom_resource, so the closure holds both entry points.
HANDLER_MODULE = "multigsi.cfn"

# dist-info files worth keeping: METADATA (importlib.metadata.version reads it) and the
# licence texts that must travel with a redistributed copy. RECORD, WHEEL, INSTALLER,
# REQUESTED, top_level.txt are installer bookkeeping nothing reads at run time.
KEPT_DIST_INFO = ("METADATA", "LICENSE", "LICENCE", "NOTICE", "COPYING", "AUTHORS", "licenses")
DATA_FOLDERS = ("botocore/data", "boto3/data")  # service models; top-level files stay


def module_file(source: Path, module: str) -> Path | None:
    """The file of ``multigsi.x.y`` under ``source`` (the multigsi folder), or None."""
    parts = module.split(".")[1:]
    folder = source.joinpath(*parts)
    if (folder / "__init__.py").is_file():
        return folder / "__init__.py"
    file = source.joinpath(*parts[:-1], f"{parts[-1]}.py") if parts else None
    return file if file is not None and file.is_file() else None


def _imported(tree: ast.Module, module: str, is_package: bool) -> set[str]:
    """multigsi modules named by the imports in ``tree`` (``from a import b`` may name a
    module ``a.b``; relative imports are resolved against ``module``)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "multigsi" or name.startswith("multigsi.")}


def handler_modules(source: Path, entry: str = HANDLER_MODULE) -> list[str]:
    """Files (relative to ``source``'s parent) of every multigsi module that importing
    ``entry`` can import: its static import closure, with each module's parent packages.
    Nothing else of the source tree (no CLI, local endpoint or harness, no data files,
    dotfiles or stray files) is named."""
    pending, seen, files = [entry], set(), set()
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        path = module_file(source, module)
        if path is None:
            continue  # a name imported from a module, not a module itself
        files.add(path.relative_to(source.parent).as_posix())
        parts = module.split(".")
        pending += [".".join(parts[:n]) for n in range(1, len(parts))]
        tree = ast.parse(path.read_text(), str(path))
        pending += sorted(_imported(tree, module, path.name == "__init__.py"))
    return sorted(files)


def trim(root: Path, services: tuple[str, ...] = SERVICES) -> None:
    """Drop what the installed libraries under ``root`` carry but the handler never
    reads: other services' models, installer bookkeeping, caches."""
    for folder in DATA_FOLDERS:
        data = root / folder
        if data.is_dir():
            for entry in data.iterdir():
                if entry.is_dir() and entry.name not in services:
                    shutil.rmtree(entry)
    for info in root.glob("*.dist-info"):
        for entry in info.iterdir():
            if not entry.name.startswith(KEPT_DIST_INFO):
                _remove(entry)
    for cache in list(root.rglob("__pycache__")):
        shutil.rmtree(cache)
    for stray in [*root.rglob("*.pyc"), *root.rglob("*.pyo")]:
        stray.unlink()
    bin_folder = root / "bin"  # console scripts written by pip; never on Lambda's path
    if bin_folder.is_dir():
        shutil.rmtree(bin_folder)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
