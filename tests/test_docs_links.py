"""Comments and docs cite documents that live in the repo: every `docs/<name>.md#<anchor>` written in
the code, the tests or the README names a file in docs/ and an anchor that file declares. The README is
the way in: every page in docs/ is linked from it, and every link of the README and of docs/ resolves,
anchors included."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", ".git", "node_modules", "static"}
CITATION = re.compile(r"docs/([\w.-]+\.md)#([a-z0-9-]+)")
ANCHOR = re.compile(r"<a id=\"([a-z0-9-]+)\"></a>")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", re.M)


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


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"<[^>]+>|`", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors_of(text: str) -> set[str]:
    """The anchors a Markdown page declares: its `<a id>` tags and its headings."""
    text = FENCE.sub("", text)
    return set(ANCHOR.findall(text)) | {slug(heading) for heading in HEADING.findall(text)}


def links_of(text: str) -> list[str]:
    """The targets of a Markdown page's inline links, code blocks and code spans left out."""
    return LINK.findall(CODE.sub("", FENCE.sub("", text)))


def broken_links(pages: list[Path]) -> list[str]:
    """`page: target` for every relative link of these pages whose file or anchor does not exist."""
    broken = []
    for page in pages:
        for target in links_of(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: — not ours to check offline
                continue
            name, _, anchor = target.partition("#")
            file = (page.parent / name).resolve() if name else page
            if not file.is_file():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in anchors_of(file.read_text(encoding="utf-8")):
                broken.append(f"{page.name}: {target} (no such anchor)")
    return broken


def unlinked_pages(readme: Path, docs: Path) -> list[str]:
    """The pages of docs/ that the README does not link to."""
    linked = {
        (readme.parent / target.partition("#")[0]).resolve()
        for target in links_of(readme.read_text(encoding="utf-8"))
        if target.partition("#")[0]
    }
    return sorted(page.name for page in docs.glob("*.md") if page.resolve() not in linked)


def test_the_readme_is_short_and_starts_with_the_two_commands():
    """A newcomer's five minutes (issue 28): at most 250 lines, the two commands first; the rest is in docs/."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    first_block = FENCE.search(readme).group()
    assert [line.split("#")[0].strip() for line in first_block.splitlines()[1:-1]] == ["make demo", "make test"]
    assert readme.split("\n## ")[1].startswith("Two commands")


def test_every_docs_page_is_linked_from_the_readme():
    assert len(list((ROOT / "docs").glob("*.md"))) >= 10
    assert unlinked_pages(ROOT / "README.md", ROOT / "docs") == []


def test_every_link_of_the_readme_and_docs_resolves():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert sum(len(links_of(page.read_text(encoding="utf-8"))) for page in pages) > 20
    assert broken_links(pages) == []


def test_the_link_checker_finds_what_is_broken(tmp_path):
    """The checker itself, on a small tree (its pages in pages/, so that the citation test above does not read
    these samples): a missing file, a missing anchor, a page nobody links."""
    (tmp_path / "pages").mkdir()
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Title\n\n## Two words\n\n[ok](pages/a.md#kept) [ok](#two-words) [ok](pages/a.md) [web](https://x.test/#y)\n"
        "[gone](pages/gone.md) [moved](pages/a.md#moved) [self](#nowhere) `[code](pages/z.md)`\n"
    )
    (tmp_path / "pages" / "a.md").write_text(
        '# A\n\n<a id="kept"></a>\n## Kept\n\n[back](../README.md#two-words) [up](../README.md#three)\n'
        "```\n## Moved\n```\n"
    )
    (tmp_path / "pages" / "b.md").write_text("# B, linked from nowhere\n")
    assert broken_links([readme, tmp_path / "pages" / "a.md"]) == [
        "README.md: pages/gone.md (no such file)",
        "README.md: pages/a.md#moved (no such anchor)",
        "README.md: #nowhere (no such anchor)",
        "a.md: ../README.md#three (no such anchor)",
    ]
    assert unlinked_pages(readme, tmp_path / "pages") == ["b.md"]
    assert slug("Real time: store webhooks on the REST road") == "real-time-store-webhooks-on-the-rest-road"
    assert slug("Shipments reach the store at least once, and only once in effect") == (
        "shipments-reach-the-store-at-least-once-and-only-once-in-effect"
    )
