"""The markdown-it token stream of one document, grouped into top-level blocks.

Layouts (parse.py) think in blocks: a heading, a paragraph, a list, a fence.
This module makes them, and makes MDX and JSX harmless on the way: `import`
lines, wrapper tags such as <AppOnly> and embeds such as <docs-video/> never
reach an entry, and <docs-code> regions become code fences. It also spots the
damage markdown-it repairs silently (a fence or front matter left open), since
only the source lines can tell. It knows nothing about labels or entries.
"""

from __future__ import annotations

from collections.abc import Callable

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

md = MarkdownIt("commonmark").use(front_matter_plugin)
# Block structure only (no inline parsing): enough to find JSX tag lines cheaply.
_block_md = MarkdownIt("commonmark").use(front_matter_plugin).disable("inline")

# A line holding only tags: "<AppOnly>", "</PagesOnly>", '<docs-video src="x"/>'.
_TAG_LINE = re.compile(r"\s*(?:</?[A-Za-z][\w.:-]*(?:\s[^<>]*)?/?>\s*)+")
# Any line that starts with a tag: only then can there be tag lines to blank.
_MAYBE_TAG_LINE = re.compile(r"^ {0,3}</?[A-Za-z]", re.M)
_TAG = re.compile(r"</?([A-Za-z][\w.:-]*)")
# JSX components are Capitalised; custom elements (docs-code) carry a hyphen.
# Plain lowercase HTML in a .md file is left alone: it may be the point.
_JSX_NAME = re.compile(r"[A-Z][\w.]*|[a-z][\w]*-[\w-]*")
# Elements whose body is code, rendered by the docs site as a code block.
_CODE_TAGS = frozenset({"docs-code", "code-block", "codeblock", "pre"})
_LANGUAGE = re.compile(r"""language=["']?([\w+-]+)""")
_CODE_SPAN = re.compile(r"(`+).*?\1")


@dataclass
class Block:
    """A top-level block: a heading, a paragraph, a list, a fence..."""

    kind: str
    start: int  # 0-based first source line
    end: int
    tokens: list[Token]
    level: int = 0  # heading level, for headings
    inline: Token | None = None  # the first inline run: a heading's or paragraph's text
    text: str = ""  # a heading's title as plain text


@dataclass
class Document:
    """One parsed document: its tokens, its source lines and its blocks."""

    tokens: list[Token]
    lines: list[str]
    blocks: list[Block] = field(default_factory=list)
    is_mdx: bool = False

    def markdown(self, block: Block) -> str:
        """The block's source, minus any JSX tags written inline."""
        text = "\n".join(self.lines[block.start : block.end]).strip("\n")
        tags = {t.content for t in _inline_children(block) if self.is_jsx(t)}
        return _without(text, tags) if tags else text

    def is_jsx(self, token: Token) -> bool:
        """Whether an html token is a tag we drop (JSX, or any tag in MDX)."""
        if token.type not in ("html_inline", "html_block"):
            return False
        name = _TAG.match(token.content.strip())
        return bool(name) and (self.is_mdx or bool(_JSX_NAME.fullmatch(name.group(1))))


def read_document(text: str, is_mdx: bool = False) -> Document:
    """Tokenize text; tag-only lines of JSX are blanked first, keeping line numbers."""
    lines = text.splitlines()
    if is_mdx or _MAYBE_TAG_LINE.search(text):
        # Which lines are tags is a question for the block structure (a tag in
        # a code fence is code), so ask a block-only parse before the real one.
        blocks_only = Document(_block_md.parse(text), lines, is_mdx=is_mdx)
        edited = _rewrite_tag_lines(blocks_only)
        if edited != lines:
            lines, text = edited, "\n".join(edited) + "\n"

    doc = Document(md.parse(text), lines, is_mdx=is_mdx)
    doc.blocks = _blocks(doc)
    return doc


def _rewrite_tag_lines(doc: Document) -> list[str]:
    """Blank JSX tag lines; turn a <docs-code> pair into a ~~~ fence."""
    lines = list(doc.lines)
    tag_lines = [
        i
        for token in doc.tokens
        if token.type == "html_block" and token.map and doc.is_jsx(token)
        for i in range(*token.map)
        if i < len(lines) and _TAG_LINE.fullmatch(lines[i])
    ]

    open_code: int | None = None
    for i in tag_lines:
        name = _TAG.match(lines[i].strip())
        tag = name.group(1).lower() if name else ""
        closing = lines[i].lstrip().startswith("</")
        if tag in _CODE_TAGS and not closing and not lines[i].rstrip().endswith("/>"):
            open_code = i
            continue
        if tag in _CODE_TAGS and closing and open_code is not None:
            language = _LANGUAGE.search(lines[open_code])
            lines[open_code] = "~~~~" + (language.group(1) if language else "")
            lines[i] = "~~~~"
            open_code = None
            continue
        lines[i] = ""
    if open_code is not None:
        lines[open_code] = ""
    if doc.is_mdx:
        _blank_loose_jsx(doc, lines)
    return lines


# In MDX a tag may carry JavaScript (<Tabs items={['a', 'b']}>), which is no HTML
# to markdown-it, and a comment is {/* ... */}: both would read as prose.
_LOOSE_JSX_LINE = re.compile(r"\s*(</?[A-Za-z][\w.-]*(\s[^<>]*)?/?>\s*)+")
_JSX_COMMENT_LINE = re.compile(r"\s*\{/\*.*?\*/\}\s*")


_COMPONENT_TAG = re.compile(r"</?[A-Z][\w.]*(\s[^<>]*)?/?>")
_CODE_SPAN = re.compile(r"(`+).*?\1")


def _blank_loose_jsx(doc: Document, lines: list[str]) -> None:
    """Blank MDX lines that are only tags or comments, and drop component tags
    from prose lines (not from code spans), outside code blocks."""
    for token in doc.tokens:
        if token.type not in ("paragraph_open", "html_block") or not token.map:
            continue
        for i in range(*token.map):
            if i >= len(lines):
                continue
            if _LOOSE_JSX_LINE.fullmatch(lines[i]) or _JSX_COMMENT_LINE.fullmatch(lines[i]):
                lines[i] = ""
            elif "<" in lines[i]:
                lines[i] = _outside_code(lines[i], lambda t: _COMPONENT_TAG.sub("", t))


def _outside_code(line: str, change: Callable[[str], str]) -> str:
    out, last = [], 0
    for span in _CODE_SPAN.finditer(line):
        out += [change(line[last:span.start()]), span.group(0)]
        last = span.end()
    return "".join(out + [change(line[last:])])


def _blocks(doc: Document) -> list[Block]:
    """Group the flat token stream into top-level blocks."""
    tokens = doc.tokens
    blocks: list[Block] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        j = i
        if token.nesting == 1:
            depth = 0
            while True:
                depth += tokens[j].nesting
                if depth == 0:
                    break
                j += 1
        group = tokens[i : j + 1]
        i = j + 1

        if token.type in ("front_matter", "html_block") or token.map is None:
            continue
        kind = token.type.removesuffix("_open")
        block = Block(kind, token.map[0], token.map[1], group)
        if len(group) > 1 and group[1].type == "inline":
            block.inline = group[1]
        if kind == "heading":
            block.level = int(token.tag[1])
            block.text = inline_text(block.inline).strip()
        if doc.is_mdx and kind == "paragraph" and _is_mdx_statement(block):
            continue
        blocks.append(block)
    return blocks


def _is_mdx_statement(block: Block) -> bool:
    inline = block.inline
    text = inline.content.lstrip() if inline else ""
    return text.startswith(("import ", "export "))


def _inline_children(block: Block) -> list[Token]:
    return [c for t in block.tokens if t.type == "inline" for c in t.children or []]


def _without(text: str, tags: set[str]) -> str:
    """Text with the given tags removed everywhere except inside code spans."""
    out: list[str] = []
    last = 0
    for span in _CODE_SPAN.finditer(text):
        out.append(_strip_tags(text[last : span.start()], tags))
        out.append(span.group(0))
        last = span.end()
    out.append(_strip_tags(text[last:], tags))
    return "".join(out)


def _strip_tags(text: str, tags: set[str]) -> str:
    for tag in tags:
        text = text.replace(tag, "")
    return text


def unclosed_fences(doc: Document) -> list[int]:
    """0-based opening lines of fences that markdown-it closed for us at the end."""
    found = []
    for token in doc.tokens:
        if token.type != "fence" or not token.map:
            continue
        start, end = token.map
        closed = start < end - 1 < len(doc.lines)
        last = doc.lines[end - 1] if closed else ""
        if end - 1 <= start or not _closes(last, token.markup):
            found.append(start)
    return found


# Lines that are markdown structure, not code: "## Category", "**Root cause:**".
_STRUCTURE = re.compile(r"^(#{2,6} \S|\*\*[A-Z][\w -]{1,40}:\*\*)")
_MARKDOWN_INFO = {"markdown", "md", "mdx"}


def swallowing_fences(doc: Document) -> list[tuple[int, int]]:
    """(opening line, swallowed line), 0-based, of fences that hold headings or labels.

    A stray opening fence pairs with the next fence down, and everything in
    between, entries included, turns into code: markdown-it sees nothing wrong.
    Fences that show markdown on purpose (```markdown) are left alone.
    """
    found = []
    for token in doc.tokens:
        if token.type != "fence" or not token.map:
            continue
        if token.info.strip().split(" ")[0].lower() in _MARKDOWN_INFO:
            continue
        for offset, line in enumerate(token.content.splitlines()):
            if _STRUCTURE.match(line):
                found.append((token.map[0], token.map[0] + 1 + offset))
                break
    return found


def _closes(line: str, markup: str) -> bool:
    stripped = line.lstrip(" >\t")
    run = len(stripped) - len(stripped.lstrip(markup[0]))
    return run >= len(markup) and not stripped[run:].strip()


def unclosed_front_matter(doc: Document) -> bool:
    """A leading '---', then 'key: value', and no closing '---': broken front matter."""
    if not doc.lines or doc.lines[0].rstrip() != "---":
        return False
    if any(t.type == "front_matter" for t in doc.tokens[:1]):
        return False
    following = next((ln for ln in doc.lines[1:] if ln.strip()), "")
    return bool(re.match(r"[\w-]+\s*:", following))


def inline_text(token: Token | None) -> str:
    """Plain text of an inline token: code spans keep their content, markup goes."""
    if token is None:
        return ""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


def inline_markdown(children: list[Token]) -> str:
    """Markdown for a run of inline tokens, without raw HTML or JSX tags."""
    parts: list[str] = []
    links: list[str] = []
    for child in children:
        kind = child.type
        if kind == "text":
            parts.append(child.content)
        elif kind == "code_inline":
            fence = "``" if "`" in child.content else "`"
            parts.append(f"{fence}{child.content}{fence}")
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind in ("strong_open", "strong_close"):
            parts.append("**")
        elif kind in ("em_open", "em_close"):
            parts.append("*")
        elif kind == "link_open":
            links.append(str(child.attrs.get("href", "")))
            parts.append("[")
        elif kind == "link_close":
            parts.append(f"]({links.pop() if links else ''})")
        elif kind == "image":
            parts.append(child.content)
    return "".join(parts)
