"""The shape of statuspage/, read from the source with `ast` (nothing is imported).

Layers, low to high (STYLE.md habit 9: arrows point one way):

    base      statuspage.models, extensions, config, i18n, templating, settings,
              ratelimit, errors, cache, ... (any top-level module not named below)
    channels  statuspage.channels
    notices   statuspage.notices
    delivery  statuspage.delivery
    services  statuspage.services, statuspage.upstream
    views     statuspage.public, statuspage.admin, statuspage.admin_api
    entry     statuspage/__init__.py, app (the factory), cli, tasks, demo, bootstrap, jobs

Rules, each a test that lists every offending line:

(a) A module imports only its own layer or lower ones, wherever the import
    stands (top of file, function body, `try`). Importing the package root
    `statuspage` itself (`from statuspage import create_app`, or a relative
    `from .. import x` that resolves to the root) is importing entry;
    `from statuspage import cache` is importing the module statuspage.cache.
(b) Services are told who acts: statuspage/services/ and statuspage/upstream/
    never import `flask.g`, `flask.request`, `flask.session` or
    `flask_login.current_user` (nor use them as `flask.g`, ...).
(c) Imports sit at the top of the file. An import inside a function body
    must say why it is deferred: a comment on one of its own lines, or in
    the block of comment lines directly above it, that starts with
    `# deferred:` or contains the word "why".
(d) Every module imports on its own: `python -c "import statuspage.<mod>"`
    works for each one. One subprocess imports the third-party packages the
    code names, then forks once per module (a few at a time), so each module
    is imported in an interpreter that has not loaded any of statuspage yet.
"""
from __future__ import annotations

import ast
import functools
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "statuspage"
SOURCE = ROOT / PACKAGE

LAYERS = ["base", "channels", "notices", "delivery", "services", "views", "entry"]
LAYER_OF_SUBPACKAGE = {
    "channels": "channels",
    "notices": "notices",
    "delivery": "delivery",
    "services": "services", "upstream": "services",
    "public": "views", "admin": "views", "admin_api": "views", "integrations": "views", "manage_api": "views",
    "app": "entry", "cli": "entry", "tasks": "entry", "demo": "entry", "bootstrap": "entry", "jobs": "entry",
}
REQUEST_STATE = {"flask": {"g", "request", "session"}, "flask_login": {"current_user"},
                 "flask.globals": {"g", "request", "session"}, "flask_login.utils": {"current_user"}}
NO_REQUEST_STATE_IN = ("services", "upstream")
REASON = re.compile(r"^#\s*deferred:|\bwhy\b", re.IGNORECASE)


def layer(module: str) -> str:
    parts = module.split(".")
    if parts == [PACKAGE]:
        return "entry"
    return LAYER_OF_SUBPACKAGE.get(parts[1], "base")


@dataclass
class Source:
    path: Path
    module: str
    tree: ast.Module | None
    comments: dict[int, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def where(self) -> str:
        return str(self.path.relative_to(ROOT))

    @property
    def package(self) -> str:
        return self.module if self.path.name == "__init__.py" else self.module.rpartition(".")[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.lru_cache(maxsize=1)
def sources() -> tuple[Source, ...]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(text, filename=str(path))
        except SyntaxError as exc:
            found.append(Source(path, module_name(path), None, error=f"does not parse: {exc}"))
            continue
        comments = {}
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string
        found.append(Source(path, module_name(path), tree, comments, text.splitlines()))
    return tuple(found)


@functools.lru_cache(maxsize=1)
def known_modules() -> frozenset[str]:
    return frozenset(s.module for s in sources())


def imported_modules(source: Source, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The statuspage modules `node` imports (a name that is not a submodule counts as its package)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE]
    if node.level:
        base = source.package.split(".")
        base = base[:len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target.split(".")[0] != PACKAGE:
        return []
    modules = known_modules()
    return [f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target for alias in node.names]


def imports(source: Source):
    for node in ast.walk(source.tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node


def parse_errors() -> list[str]:
    return [f"{s.where}: {s.error}" for s in sources() if s.tree is None]


def report(title: str, problems: list[str]) -> str:
    return f"{len(problems)} {title}:\n" + "\n".join(f"  {p}" for p in problems)


def layer_violations() -> list[str]:
    problems = parse_errors()
    for source in sources():
        if source.tree is None:
            continue
        own = layer(source.module)
        for node in imports(source):
            for target in dict.fromkeys(imported_modules(source, node)):
                theirs = layer(target)
                if LAYERS.index(theirs) > LAYERS.index(own):
                    shown = PACKAGE + " (the package root)" if target == PACKAGE else target
                    problems.append(f"{source.where}:{node.lineno} {source.module} ({own}) imports {shown} ({theirs})")
    return problems


def request_state_uses() -> list[str]:
    problems = parse_errors()
    for source in sources():
        parts = source.module.split(".")
        if source.tree is None or len(parts) < 2 or parts[1] not in NO_REQUEST_STATE_IN:
            continue
        for node in ast.walk(source.tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and not node.level and node.module in REQUEST_STATE:
                names = [f"{node.module}.{a.name}" for a in node.names if a.name in REQUEST_STATE[node.module]]
            elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                  and node.attr in REQUEST_STATE.get(node.value.id, ())):
                names = [f"{node.value.id}.{node.attr}"]
            for name in names:
                problems.append(f"{source.where}:{node.lineno} {source.module} uses {name}; "
                                "pass the acting user (or the value) in as an argument")
    return problems


def has_reason(source: Source, node: ast.stmt) -> bool:
    own_lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
    if any(REASON.search(source.comments.get(n, "")) for n in own_lines):
        return True
    above = node.lineno - 1
    while above >= 1 and source.lines[above - 1].strip().startswith("#"):
        if REASON.search(source.comments.get(above, "")):
            return True
        above -= 1
    return False


def unexplained_inner_imports() -> list[str]:
    problems = parse_errors()
    for source in sources():
        if source.tree is None:
            continue
        seen = set()
        for func in ast.walk(source.tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and node.lineno not in seen:
                    seen.add(node.lineno)
                    if not has_reason(source, node):
                        code = source.lines[node.lineno - 1].strip()
                        problems.append(f"{source.where}:{node.lineno} in {func.name}(): {code}")
    return sorted(problems, key=lambda p: (p.split(":")[0], int(p.split(":")[1].split()[0])))


def test_no_module_imports_a_higher_layer():
    problems = layer_violations()
    assert not problems, report(
        "imports point up the layers (base < channels < notices < delivery < services < views < entry); "
        "move the thing lower or pass it in", problems)


def test_services_never_read_the_request():
    problems = request_state_uses()
    assert not problems, report("uses of request state in statuspage/services or statuspage/upstream", problems)


def test_imports_inside_functions_say_why():
    problems = unexplained_inner_imports()
    assert not problems, report(
        'imports inside a function without a "# deferred: ..." or "why" comment on or directly above them; '
        "move them to the top of the file or say why they cannot be there", problems)


IMPORT_EACH = textwrap.dedent("""
    import importlib, json, os, sys, tempfile, traceback
    modules = json.loads(sys.argv[1])
    for name in json.loads(sys.argv[2]):  # third-party packages, loaded once for every child
        try:
            importlib.import_module(name)
        except Exception:
            pass
    out = tempfile.mkdtemp()
    running, failures, todo = {}, {}, list(modules)
    while todo or running:
        while todo and len(running) < max(2, os.cpu_count() or 1):
            module = todo.pop(0)
            pid = os.fork()
            if pid == 0:
                try:
                    importlib.import_module(module)
                    os._exit(0)
                except BaseException:
                    with open(os.path.join(out, module), "w") as f:
                        f.write(traceback.format_exc())
                    os._exit(1)
            running[pid] = module
        pid, status = os.wait()
        module = running.pop(pid)
        if status != 0:
            path = os.path.join(out, module)
            failures[module] = open(path).read() if os.path.exists(path) else f"exit status {status}"
    print(json.dumps(failures))
""")


def third_party_packages() -> list[str]:
    names = set()
    for source in sources():
        if source.tree is None:
            continue
        for node in imports(source):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif not node.level and node.module:
                names.add(node.module.split(".")[0])
    return sorted(n for n in names if n != PACKAGE and n not in sys.stdlib_module_names)


def first_cause(trace: str) -> str:
    """The error and the statuspage line that raised it, from a traceback."""
    lines = trace.strip().splitlines()
    frames = [line.strip() for line in lines if line.strip().startswith("File ") and f"/{PACKAGE}/" in line]
    where = re.sub(r'File "(.*?)", line (\d+).*', r"\1:\2", frames[-1]) if frames else "?"
    where = where.replace(str(ROOT) + os.sep, "")
    return f"{lines[-1]} (at {where})"


def test_every_module_imports_on_its_own():
    modules = sorted(known_modules())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", IMPORT_EACH, json.dumps(modules), json.dumps(third_party_packages())],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    failures = json.loads(done.stdout.strip().splitlines()[-1])
    by_cause: dict[str, list[str]] = {}
    for module, trace in failures.items():
        by_cause.setdefault(first_cause(trace), []).append(module)
    problems = [f"{cause}\n      when importing {len(mods)}: {', '.join(mods)}" for cause, mods in by_cause.items()]
    assert not failures, report(f"causes make {len(failures)} of {len(modules)} modules fail "
                                "`python -c 'import <module>'`", problems)
