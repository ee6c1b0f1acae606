"""The documentation keeps up with the code: every environment variable the settings read
is listed once in docs/settings.md, the README stays short, and the docs' links resolve.

No database: the settings are read as syntax trees, never imported, so a read hidden in a
branch that this environment does not take (production's secrets) is found too.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
SETTINGS_DIR = BASE_DIR / "config" / "settings"
SETTINGS_DOC = BASE_DIR / "docs" / "settings.md"
README = BASE_DIR / "README.md"
DOCS_INDEX = BASE_DIR / "docs" / "README.md"
README_MAX_LINES = 150

# A documented variable is a table row whose first cell is the name in backticks.
DOC_ROW = re.compile(r"^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|", re.MULTILINE)
# Calls that read one variable, named by their first argument.
READ_CALLS = {"os.getenv", "os.environ.get", "os.environ.setdefault", "env.ENVIRON.get"}
MAPPINGS = {"os.environ", "env.ENVIRON"}


def dotted(node: ast.AST) -> str:
    """`env.str` for the expression env.str; "" for anything that is not a dotted name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def is_read(func: ast.AST) -> bool:
    name = dotted(func)
    # env("NAME"), env.str / int / bool / list / float / email_url / cache_url("NAME", ...)
    return name in READ_CALLS or name == "env" or (name.startswith("env.") and name.count(".") == 1)


def literal_strings(node: ast.AST) -> list[str] | None:
    """The string keys or items of a dict, tuple, list or set literal; None otherwise."""
    items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
    if not isinstance(node, ast.Dict | ast.Tuple | ast.List | ast.Set) or items is None:
        return None
    if all(isinstance(item, ast.Constant) and isinstance(item.value, str) for item in items):
        return [item.value for item in items]
    return None


def module_literals(trees: list[ast.Module]) -> dict[str, list[str]]:
    """Module-level names bound to literal collections of strings, in every settings file."""
    found: dict[str, list[str]] = {}
    for tree in trees:
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets, value = [stmt.target], stmt.value
            else:
                continue
            strings = literal_strings(value)
            for target in targets:
                if isinstance(target, ast.Name) and strings is not None:
                    found[target.id] = strings
    return found


def render(fstring: ast.JoinedStr, loop_var: str, value: str) -> str | None:
    """The f-string with the loop variable (bare, .upper() or .lower()) set to value."""
    out = []
    for part in fstring.values:
        if isinstance(part, ast.Constant):
            out.append(str(part.value))
            continue
        expr = part.value if isinstance(part, ast.FormattedValue) else None
        if isinstance(expr, ast.Name) and expr.id == loop_var:
            out.append(value)
        elif (
            isinstance(expr, ast.Call)
            and not expr.args
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr in {"upper", "lower"}
            and isinstance(expr.func.value, ast.Name)
            and expr.func.value.id == loop_var
        ):
            out.append(getattr(value, expr.func.attr)())
        else:
            return None
    return "".join(out)


def pattern(fstring: ast.JoinedStr) -> re.Pattern[str]:
    """The f-string as a regex: its fixed parts, anything name-like in between."""
    parts = [
        re.escape(str(p.value)) if isinstance(p, ast.Constant) else "[A-Za-z0-9_]+"
        for p in fstring.values
    ]
    return re.compile("".join(parts))


class Reads(ast.NodeVisitor):
    """Collects the variables one settings module reads."""

    def __init__(self, literals: dict[str, list[str]]) -> None:
        self.literals = literals
        self.names: set[str] = set()
        self.patterns: list[re.Pattern[str]] = []  # f-string reads that could not be expanded
        self.loops: list[tuple[str, list[str]]] = []  # (loop variable, its values) around us

    def visit_For(self, node: ast.For) -> None:
        values = None
        if isinstance(node.iter, ast.Name):
            values = self.literals.get(node.iter.id)
        else:
            values = literal_strings(node.iter)
        if isinstance(node.target, ast.Name) and values is not None:
            self.loops.append((node.target.id, values))
            self.generic_visit(node)
            self.loops.pop()
        else:
            self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if is_read(node.func):
            first = node.args[0] if node.args else None
            named = [kw.value for kw in node.keywords if kw.arg in {"var", "key"}]
            if first is not None or named:
                self.add(first if first is not None else named[0])
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:  # os.environ["NAME"]
        if dotted(node.value) in MAPPINGS:
            self.add(node.slice)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:  # "NAME" in os.environ
        if (
            len(node.ops) == 1
            and isinstance(node.ops[0], ast.In | ast.NotIn)
            and dotted(node.comparators[0]) in MAPPINGS
        ):
            self.add(node.left)
        self.generic_visit(node)

    def add(self, arg: ast.AST) -> None:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            self.names.add(arg.value)
        elif isinstance(arg, ast.JoinedStr):
            for loop_var, values in reversed(self.loops):
                rendered = [render(arg, loop_var, value) for value in values]
                if all(rendered):
                    self.names.update(r for r in rendered if r)
                    return
            self.patterns.append(pattern(arg))


def settings_reads() -> tuple[set[str], list[re.Pattern[str]]]:
    files = sorted(SETTINGS_DIR.rglob("*.py"))
    trees = [ast.parse(path.read_text(), filename=str(path)) for path in files]
    literals = module_literals(trees)
    names: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for tree in trees:
        reads = Reads(literals)
        reads.visit(tree)
        names |= reads.names
        patterns += reads.patterns
    return names, patterns


def documented() -> list[str]:
    return DOC_ROW.findall(SETTINGS_DOC.read_text())


def test_the_scanner_finds_the_reads_it_must() -> None:
    names, _ = settings_reads()

    # One plain read per kind of call, and the f-string read over the login providers:
    # if these vanish, the scanner is broken, not the docs complete.
    expected = {
        "DJANGO_SECRET_KEY",  # env.str
        "DJANGO_DEBUG",  # env.bool
        "DJANGO_ALLOWED_HOSTS",  # env.list
        "EMAIL_URL",  # env.email_url
        "CACHE_URL",  # env.cache_url
        "REMINDERS_LEASE",  # env.int
        "REMINDERS_PUBLISH_RETRY_INTERVAL",  # env.float
        "SOCIAL_GITHUB_CLIENT_ID",  # env.str(f"SOCIAL_{_provider.upper()}_CLIENT_ID")
        "SOCIAL_GOOGLE_SECRET",
        "SOCIAL_FACEBOOK_SECRET",
    }
    assert expected <= names, f"not found in config/settings/: {sorted(expected - names)}"


def test_every_variable_the_settings_read_is_in_docs_settings_md() -> None:
    names, patterns = settings_reads()
    listed = set(documented())

    missing = sorted(names - listed)
    assert not missing, (
        f"read in config/settings/ but not a row of docs/settings.md: {', '.join(missing)} "
        "(add a row `| `NAME` | default | meaning |` to the table of its area)"
    )
    unmatched = [p.pattern for p in patterns if not any(p.fullmatch(name) for name in listed)]
    assert not unmatched, (
        f"f-string reads in config/settings/ with no matching row in docs/settings.md: {unmatched}"
    )


def test_no_variable_is_listed_twice_in_docs_settings_md() -> None:
    twice = sorted(name for name, n in Counter(documented()).items() if n > 1)

    assert not twice, f"listed more than once in docs/settings.md: {', '.join(twice)}"


def test_readme_is_short_and_keeps_its_fixed_lines() -> None:
    text = README.read_text()
    lines = text.count("\n")

    assert lines <= README_MAX_LINES, f"README.md has {lines} lines (at most {README_MAX_LINES})"
    assert "config/celery.py" in text and "shadow" in text, "the Celery app line is gone"
    assert "docs/reminders.md" in text, "the duplicate window no longer links docs/reminders.md"
    assert "docs/settings.md" in text, "README.md no longer links docs/settings.md"


LINK = re.compile(r"\]\(([^)\s]+)\)")


def heading_anchors(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file."""
    anchors: set[str] = set()
    in_code = False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def test_links_in_the_readme_and_docs_resolve() -> None:
    broken = []
    for source in [README, *sorted((BASE_DIR / "docs").glob("*.md"))]:
        for target in LINK.findall(source.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            path, _, anchor = target.partition("#")
            resolved = (source.parent / path).resolve() if path else source
            if not resolved.exists():
                broken.append(f"{source.relative_to(BASE_DIR)}: {target}")
            elif anchor and resolved.suffix == ".md" and anchor not in heading_anchors(resolved):
                broken.append(f"{source.relative_to(BASE_DIR)}: {target} (no such heading)")

    assert not broken, "links to nothing:\n" + "\n".join(broken)


def test_the_docs_index_lists_every_page() -> None:
    pages = {p.name for p in (BASE_DIR / "docs").glob("*.md")} - {"README.md"}
    linked = {Path(t.partition("#")[0]).name for t in LINK.findall(DOCS_INDEX.read_text())}

    missing = sorted(pages - linked)
    assert not missing, f"docs/README.md does not link: {', '.join(missing)}"
