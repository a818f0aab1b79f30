"""Comments and docs cite documents that live in the repo: every `docs/<name>.md#<anchor>` written in
the code, the tests or the README names a file in docs/ and an anchor that file declares."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", ".git", "node_modules", "static"}
CITATION = re.compile(r"docs/([\w.-]+\.md)#([a-z0-9-]+)")
ANCHOR = re.compile(r"<a id=\"([a-z0-9-]+)\"></a>")


def cited() -> set[tuple[str, str, str]]:
    found = set()
    for path in ROOT.rglob("*"):
        if path.suffix not in {".py", ".md", ".html"} or SKIP & set(path.relative_to(ROOT).parts):
            continue
        for name, anchor in CITATION.findall(path.read_text(encoding="utf-8", errors="replace")):
            found.add((str(path.relative_to(ROOT)), name, anchor))
    return found


def test_every_cited_docs_anchor_exists():
    citations = cited()
    assert len(citations) > 10  # the connector's comments cite the protocol note
    anchors = {doc.name: set(ANCHOR.findall(doc.read_text(encoding="utf-8"))) for doc in (ROOT / "docs").glob("*.md")}
    broken = sorted(
        (where, f"{name}#{anchor}") for where, name, anchor in citations if anchor not in anchors.get(name, set())
    )
    assert broken == []
