"""The README and docs/ cannot drift: every relative link and file reference points at
something in the repository, every `#anchor` at a heading, the README stays a front page
(at most 200 lines), and docs/architecture.md's import rules form a well-formed block.

`import_rules`, `governing` and `may_import` are helpers for the architecture test: they
read the ```import-rules block of docs/architecture.md, so the page and the check are one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent.parent
PACKAGE = REPO / "src" / "multigsi"
README = REPO / "README.md"
ARCHITECTURE = REPO / "docs" / "architecture.md"
PAGES = [README, *sorted((REPO / "docs").glob("*.md"))]
README_MAX_LINES = 200


FENCE = re.compile(r"^(```|~~~)(.*)$")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.I)
# A code span that is a path in the repository: a folder and a file name (or a folder
# ending in "/"), nothing that is a command, a placeholder or a glob.
PATH_SPAN = re.compile(r"^\.?[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*(?:/|\.[A-Za-z0-9]+)(?:::[A-Za-z0-9_]+)?$")
MODULE_SPAN = re.compile(r"^multigsi(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")
# Build output, written by `multigsi package` and friends: named in the docs, never committed.
GENERATED = ("dist/",)


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """The lines of a markdown page outside fenced code blocks, numbered from 1."""
    fence = ""
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line.strip())
        if match and (not fence or match.group(1) == fence):
            fence = "" if fence else match.group(1)
            continue
        if not fence:
            yield number, line


def prose(text: str) -> str:
    """The page without its fenced code blocks (line breaks kept, so spans may cross lines)."""
    kept = dict(prose_lines(text))
    return "\n".join(kept.get(number, "") for number in range(1, len(text.splitlines()) + 1))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, punctuation removed
    (letters, digits, "_", "-" and spaces kept), spaces turned into hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    kept = "".join(char for char in text.lower() if char in " -_" or unicodedata.category(char)[0] in "LNM")
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every `#anchor` a page offers: its headings' slugs (repeats numbered as GitHub does)
    and explicit HTML anchors."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    text = page.read_text()
    for _, line in prose_lines(text):
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    found.update(HTML_ANCHOR.findall(text))
    return found


def links(page: Path) -> Iterator[tuple[int, str]]:
    """(line, target) of every markdown link and image outside code."""
    text = prose(page.read_text())
    without_code = CODE_SPAN.sub(lambda span: re.sub(r"[^\n]", " ", span.group(0)), text)
    for match in LINK.finditer(without_code):
        yield without_code.count("\n", 0, match.start()) + 1, match.group(1)


def code_spans(page: Path) -> Iterator[tuple[int, str]]:
    """(line, content) of every inline code span outside fenced blocks, line breaks as spaces."""
    text = prose(page.read_text())
    for match in CODE_SPAN.finditer(text):
        yield text.count("\n", 0, match.start()) + 1, " ".join(match.group(2).split())


def link_problem(page: Path, target: str) -> str | None:
    """Why a link from `page` is broken, or None. External links are not followed."""
    if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
        return None
    path_part, _, anchor = target.partition("#")
    destination = (page.parent / path_part).resolve() if path_part else page
    if REPO.resolve() not in (destination, *destination.parents):
        return f"{target} leaves the repository"
    if not destination.exists():
        return f"{target}: no such file"
    if anchor and destination.suffix == ".md" and anchor not in anchors(destination):
        return f"{target}: no heading #{anchor} in {destination.relative_to(REPO.resolve())}"
    return None


def path_problem(reference: str) -> str | None:
    """Why a file named in a code span (from the repository root, or from src/multigsi/ as
    docs/architecture.md writes them) does not exist, or None."""
    path, _, test = reference.partition("::")
    if path.startswith(GENERATED):
        return None
    for found in (REPO / path, PACKAGE / path):
        if found.exists():
            if test and not re.search(rf"^\s*def {re.escape(test)}\(", found.read_text(), re.M):
                return f"`{reference}`: no {test} in {path}"
            return None
    return f"`{reference}`: no such file"


def module_problem(reference: str) -> str | None:
    """Why `multigsi.a.b.Name` names no module of the package, or None: the longest prefix
    that is a module or package must leave at most one attribute (or Class.attribute)."""
    parts = reference.split(".")[1:]
    folder = PACKAGE
    used = 0
    for part in parts:
        if (folder / part / "__init__.py").exists():
            folder, used = folder / part, used + 1
            continue
        if (folder / f"{part}.py").exists():
            used += 1
        break
    rest = parts[used:]
    if used and (len(rest) <= 1 or (len(rest) == 2 and rest[0][:1].isupper())):
        return None
    if not used and len(rest) == 1 and not rest[0][:1].islower():  # multigsi.__all__, multigsi.Reconciler
        return None
    return f"`{reference}`: no such module in src/multigsi"


def reference_problems() -> list[str]:
    """Every link, file path and module name in the pages that does not resolve."""
    problems: list[str] = []
    for page in PAGES:
        where = page.relative_to(REPO)
        for line, target in links(page):
            problem = link_problem(page, target)
            if problem:
                problems.append(f"{where}:{line}: {problem}")
        for line, span in code_spans(page):
            if MODULE_SPAN.match(span):
                problem = module_problem(span)
            elif PATH_SPAN.match(span) and "/" in span:
                problem = path_problem(span)
            else:
                problem = None
            if problem:
                problems.append(f"{where}:{line}: {problem}")
    return problems


def test_readme_is_a_front_page() -> None:
    lines = len(README.read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines: move reference material to docs/"


def test_every_link_and_file_reference_resolves() -> None:
    assert reference_problems() == []


def test_every_docs_page_is_linked_from_the_readme_or_another_page() -> None:
    linked = {
        (page.parent / target.partition("#")[0]).resolve()
        for page in PAGES
        for _, target in links(page)
        if target.partition("#")[0]
    }
    assert [page.name for page in PAGES[1:] if page.resolve() not in linked] == []


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("The custom resource `Custom::MultiGsi`", "the-custom-resource-custommultigsi"),
        ("CloudFormation and Lambda, locally", "cloudformation-and-lambda-locally"),
        ("What each package may import", "what-each-package-may-import"),
        ("Custom resource or resource type", "custom-resource-or-resource-type"),
        ("The data's way through", "the-datas-way-through"),
        (
            "Moving a stack from `Custom::MultiGsi` to the type",
            "moving-a-stack-from-custommultigsi-to-the-type",
        ),
        ("snake_case and [a link](x.md)", "snake_case-and-a-link"),
    ],
)
def test_slugs_follow_github(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_the_checker_finds_broken_links(tmp_path: Path) -> None:
    page = REPO / "docs" / "architecture.md"
    assert link_problem(page, "cli.md") is None
    assert link_problem(page, "cli.md#exit-status") is None
    assert link_problem(page, "#ownership") is None
    assert link_problem(page, "https://example.com/nowhere") is None
    assert link_problem(page, "no-such-page.md") is not None
    assert link_problem(page, "cli.md#no-such-heading") is not None
    assert link_problem(page, "../../outside.md") is not None
    assert path_problem("docs/cli.md") is None
    assert path_problem("dist/multigsi-lambda.zip") is None
    assert path_problem("docs/gone.md") is not None
    assert path_problem("tests/unit/test_docs.py::test_readme_is_a_front_page") is None
    assert path_problem("tests/unit/test_docs.py::test_gone") is not None
    assert module_problem("multigsi.errors.SpecError") is None
    assert module_problem("multigsi.nowhere.module") is not None
    assert module_problem("multigsi.__all__") is None
    assert module_problem("multigsi.nowhere") is not None


# The import rules of docs/architecture.md.

RULE = re.compile(r"^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)\s*->\s*(.*)$")
NAME = re.compile(r"^[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*$")
NOTHING = "nothing"


def import_rules(text: str) -> dict[str, frozenset[str]]:
    """The ```import-rules block of a page: `package -> a, b.c` per line (dotted names under
    `multigsi`; `nothing` for none; `#` starts a comment). Raises ValueError, naming the line,
    on anything else, a repeated package, or a page with no block or with two."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if current is None and stripped.startswith("```") and stripped[3:].strip() == "import-rules":
            current = []
        elif current is not None and stripped.startswith("```"):
            blocks.append(current)
            current = None
        elif current is not None:
            current.append((number, line))
    if current is not None:
        raise ValueError("the import-rules block is not closed")
    if len(blocks) != 1:
        raise ValueError(f"expected one import-rules block, found {len(blocks)}")
    rules: dict[str, frozenset[str]] = {}
    for number, line in blocks[0]:
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        match = RULE.match(content)
        if not match:
            raise ValueError(f"line {number}: not `package -> names`: {line!r}")
        package, right = match.groups()
        if package in rules:
            raise ValueError(f"line {number}: {package} has two lines")
        names = [name.strip() for name in right.split(",")]
        if names == [NOTHING]:
            rules[package] = frozenset()
            continue
        bad = [name for name in names if not NAME.match(name) or name == NOTHING]
        if bad:
            raise ValueError(f"line {number}: not package names: {bad}")
        rules[package] = frozenset(names)
    return rules


def governing(rules: Mapping[str, frozenset[str]], module: str) -> str | None:
    """The rule a module follows: the longest listed package containing it (`multigsi.`
    prefix optional), or None for modules no line covers (the top-level `multigsi`)."""
    name = module.removeprefix("multigsi.") if module != "multigsi" else ""
    covering = [package for package in rules if name == package or name.startswith(package + ".")]
    return max(covering, key=len, default=None)


def may_import(rules: Mapping[str, frozenset[str]], importer: str, imported: str) -> bool:
    """Whether module `importer` may import module `imported` (both dotted, under multigsi).
    Modules no line covers are not restricted, and may be imported by anyone."""
    own, theirs = governing(rules, importer), governing(rules, imported)
    if own is None or theirs is None or own == theirs:
        return True
    name = imported.removeprefix("multigsi.")
    return any(name == allowed or name.startswith(allowed + ".") for allowed in rules[own])


def reachable(rules: Mapping[str, frozenset[str]], package: str) -> set[str]:
    """The lines `package` may reach through the rules, directly or through others."""
    seen: set[str] = set()
    todo = [package]
    while todo:
        for name in rules[todo.pop()]:
            line = governing(rules, name)
            if line is not None and line not in seen:
                seen.add(line)
                todo.append(line)
    return seen


def test_import_rules_are_well_formed() -> None:
    rules = import_rules(ARCHITECTURE.read_text())
    assert {"errors", "model", "engine", "cloudformation", "deploy", "cli", "cdk", "local.dynamodb"} <= set(
        rules
    )
    for package, names in rules.items():
        for name in names:
            assert governing(rules, name) is not None, f"{package} -> {name}: no line covers {name}"
            assert governing(rules, name) != package, f"{package} lists itself ({name})"
    for package in rules:
        assert package not in reachable(rules, package), (
            f"{package} reaches itself: the layers must point one way"
        )


def test_import_rules_draw_the_layouts_arrows() -> None:
    rules = import_rules(ARCHITECTURE.read_text())
    never = {
        "model": {"engine", "cloudformation", "deploy", "cli", "cdk", "local.dynamodb"},
        "engine": {"cloudformation", "deploy", "cli", "cdk", "local.dynamodb", "local.cloudformation"},
        "cloudformation.resource_type": {"cloudformation.custom_resource", "cli", "deploy", "cdk"},
        "cloudformation.custom_resource": {"cloudformation.resource_type", "cli", "deploy", "cdk"},
        "deploy": {"cli", "cdk"},
        "cdk": {"cli"},
        "local.dynamodb": {"engine", "model", "cli", "cloudformation"},
    }
    for package, forbidden in never.items():
        assert reachable(rules, package) & forbidden == set(), package
    assert may_import(rules, "multigsi.cli.main", "multigsi.deploy.package")
    assert may_import(rules, "multigsi.engine.fleet.many", "multigsi.engine.reconcile")
    assert not may_import(rules, "multigsi.cdk.construct", "multigsi.cli.main")
    assert may_import(
        rules, "multigsi.cloudformation.resource_type.handlers", "multigsi.cloudformation.properties"
    )
    assert not may_import(
        rules,
        "multigsi.cloudformation.resource_type.handlers",
        "multigsi.cloudformation.custom_resource.event",
    )


def test_import_rules_name_real_packages() -> None:
    rules = import_rules(ARCHITECTURE.read_text())
    missing = [
        package
        for package in rules
        if not (PACKAGE / package.replace(".", "/")).is_dir()
        and not (PACKAGE / (package.replace(".", "/") + ".py")).exists()
    ]
    assert missing == []


@pytest.mark.parametrize(
    "block",
    [
        "```import-rules\nengine model\n```",
        "```import-rules\nengine -> model\nengine -> errors\n```",
        "```import-rules\nengine -> Model\n```",
        "```import-rules\nengine -> nothing, model\n```",
        "no block here",
        "```import-rules\nengine -> model\n",
    ],
)
def test_the_import_rules_parser_refuses_malformed_blocks(block: str) -> None:
    with pytest.raises(ValueError):
        import_rules(block)


def test_the_import_rules_parser_reads_comments_and_nothing() -> None:
    text = "text\n```import-rules\n# comment\nerrors -> nothing\nmodel -> errors  # why\n```\n"
    assert import_rules(text) == {"errors": frozenset(), "model": frozenset({"errors"})}
