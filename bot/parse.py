"""Turn one markdown document into entries, using markdown-it-py's token stream.

Two shapes are recognised from the tokens, not from regexes over the text:

* many entries in one file: an entry is a heading whose body carries labels,
  either bold-label paragraphs (``**Root cause:** ...``) or label sub-headings
  (``#### Root cause``); headings above entries are categories;
* one entry per file: the title comes from front matter or the first heading,
  the id from the file name, and sections from the headings below the title.

Reading files from disk, and what to do with bad ones, is ingest.py's job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from markdown.extensions.toc import slugify, unique
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from . import labels
from .model import Diagnostic, Entry, Line

logger = logging.getLogger(__name__)

_md = MarkdownIt("commonmark").use(front_matter_plugin)

# Below this length a code span is a word, not an error string worth matching.
MIN_CODE_LEN = 4


@dataclass
class Block:
    """A top-level block: a heading, a paragraph, a list, a fence..."""

    kind: str
    start: int  # 0-based first source line
    end: int
    tokens: list[Token]
    level: int = 0  # heading level, for headings

    @property
    def inline(self) -> Token | None:
        return next((t for t in self.tokens if t.type == "inline"), None)


@dataclass
class Section:
    label: str  # as written; "" for text before the first label
    field: str | None  # canonical field from the synonym table, if any
    line: int  # 1-based
    lead: str = ""  # text that followed the label in its own paragraph
    blocks: list[Block] = field(default_factory=list)


@dataclass
class ParseResult:
    entries: list[Entry] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def parse_document(
    text: str, source: str, synonyms: dict[str, str] | None = None
) -> ParseResult:
    """Parse one markdown document (its text and display path) into entries."""
    synonyms = synonyms or labels.make_synonyms()
    result = ParseResult()
    tokens = _md.parse(text)
    source_lines = text.splitlines()

    front = _front_matter(tokens, source, result)
    blocks = _blocks(tokens, is_mdx=source.endswith(".mdx"))
    entry_heads = _entry_headings(blocks, synonyms)

    if entry_heads:
        _parse_many(blocks, entry_heads, source, source_lines, synonyms, result)
    else:
        _parse_single(blocks, front, source, source_lines, synonyms, result)
    return result


def _front_matter(tokens: list[Token], source: str, result: ParseResult) -> dict:
    token = next((t for t in tokens if t.type == "front_matter"), None)
    if token is None:
        return {}

    try:
        data = yaml.safe_load(token.content) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + (mark.line if mark else 0)
        result.diagnostics.append(
            Diagnostic(source, line, "error", f"front matter is not valid YAML: {exc}")
        )
        return {}

    if not isinstance(data, dict):
        result.diagnostics.append(
            Diagnostic(source, 1, "error", "front matter must be a YAML mapping")
        )
        return {}
    return data


def _blocks(tokens: list[Token], is_mdx: bool) -> list[Block]:
    """Group the flat token stream into top-level blocks."""
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
        if kind == "heading":
            block.level = int(token.tag[1])
        if is_mdx and kind == "paragraph" and _is_mdx_statement(block):
            continue
        blocks.append(block)
    return blocks


def _is_mdx_statement(block: Block) -> bool:
    inline = block.inline
    text = inline.content.lstrip() if inline else ""
    return text.startswith(("import ", "export "))


def _label_of(block: Block) -> str | None:
    """'Root cause' when a paragraph opens with **Root cause:**, else None."""
    if block.kind != "paragraph" or block.inline is None:
        return None
    children = [c for c in block.inline.children or [] if not _is_empty_text(c)]
    if len(children) < 3 or children[0].type != "strong_open":
        return None
    inner = children[1].content if children[1].type == "text" else ""
    after = children[3] if len(children) > 3 else None
    if inner.endswith(":"):
        return inner[:-1].strip()
    if after is not None and after.type == "text" and after.content.startswith(":"):
        return inner.strip()
    return None


def _is_empty_text(token: Token) -> bool:
    return token.type == "text" and token.content == ""


def _heading_text(block: Block) -> str:
    return inline_text(block.inline).strip() if block.inline else ""


def _entry_headings(blocks: list[Block], synonyms: dict[str, str]) -> list[int]:
    """Indexes of headings (level 2 and deeper) that open an entry."""
    found: list[int] = []
    for i, block in enumerate(blocks):
        if block.kind != "heading" or block.level < 2:
            continue
        if _is_label_heading(block, synonyms):
            continue
        if found and _within(blocks, found[-1], i):
            continue  # a heading inside an entry belongs to it
        if _has_labels(blocks, i, synonyms):
            found.append(i)
    return found


def _is_label_heading(block: Block, synonyms: dict[str, str]) -> bool:
    name = labels.normalize_label(_heading_text(block))
    return name in synonyms or name in _extra_labels()


def _extra_labels() -> set[str]:
    return {labels.normalize_label(x) for x in labels.KNOWN_EXTRA_LABELS}


def _within(blocks: list[Block], head: int, i: int) -> bool:
    level = blocks[head].level
    return all(
        not (b.kind == "heading" and b.level <= level) for b in blocks[head + 1 : i + 1]
    )


def _has_labels(blocks: list[Block], i: int, synonyms: dict[str, str]) -> bool:
    level = blocks[i].level
    for block in blocks[i + 1 :]:
        if block.kind == "heading":
            if block.level <= level:
                return False
            if _is_label_heading(block, synonyms):
                return True
            return False  # a sub-heading that is not a label: a category
        if _label_of(block) is not None:
            return True
    return False


def _parse_many(
    blocks: list[Block],
    heads: list[int],
    source: str,
    source_lines: list[str],
    synonyms: dict[str, str],
    result: ParseResult,
) -> None:
    used_ids: set[str] = set()
    for n, head in enumerate(heads):
        level = blocks[head].level
        end = len(blocks)
        for k in range(head + 1, len(blocks)):
            if blocks[k].kind == "heading" and blocks[k].level <= level:
                end = k
                break

        title = _heading_text(blocks[head])
        entry_id = unique(slugify(title, "-"), used_ids)
        if entry_id != slugify(title, "-"):
            result.diagnostics.append(
                Diagnostic(source, blocks[head].start + 1, "warning",
                           f"duplicate heading {title!r}: its anchor becomes #{entry_id}")
            )
        category = _category(blocks, head)
        sections = _sections(blocks[head + 1 : end], synonyms, source_lines)
        _build_entry(entry_id, title, category, blocks[head].start + 1, sections,
                     source, source_lines, result)


def _category(blocks: list[Block], head: int) -> str | None:
    level = blocks[head].level
    for block in reversed(blocks[:head]):
        if block.kind == "heading" and block.level < level:
            return _heading_text(block) if block.level > 1 else None
    return None


def _parse_single(
    blocks: list[Block],
    front: dict,
    source: str,
    source_lines: list[str],
    synonyms: dict[str, str],
    result: ParseResult,
) -> None:
    if not blocks and not front:
        return

    title = str(front.get("title") or "").strip()
    line = 1
    if not title:
        first = next((b for b in blocks if b.kind == "heading"), None)
        if first is None:
            result.diagnostics.append(
                Diagnostic(source, 1, "warning",
                           "no heading and no front matter title: file skipped")
            )
            return
        title, line = _heading_text(first), first.start + 1
        blocks = [b for b in blocks if b is not first]

    entry_id = Path(source).stem
    sections = _sections(blocks, synonyms, source_lines, headings_are_labels=True)
    if front.get("description"):
        sections.insert(0, Section("Description", None, 1, str(front["description"])))
    _build_entry(entry_id, title, None, line, sections, source, source_lines, result)


def _sections(
    blocks: list[Block],
    synonyms: dict[str, str],
    source_lines: list[str],
    headings_are_labels: bool = False,
) -> list[Section]:
    """Split an entry's body at its labels; text before the first label is kept."""
    sections: list[Section] = []
    current = Section("", None, blocks[0].start + 1 if blocks else 0)
    for block in blocks:
        new = _section_start(block, synonyms, headings_are_labels)
        if new is None:
            current.blocks.append(block)
            continue
        if current.label or current.blocks:
            sections.append(current)
        current = new
    if current.label or current.blocks:
        sections.append(current)
    return sections


def _section_start(
    block: Block, synonyms: dict[str, str], headings_are_labels: bool
) -> Section | None:
    if block.kind == "heading":
        if headings_are_labels or _is_label_heading(block, synonyms):
            text = _heading_text(block)
            return Section(text, synonyms.get(labels.normalize_label(text)),
                           block.start + 1)
        return None

    label = _label_of(block)
    if label is None:
        return None
    return Section(label, synonyms.get(labels.normalize_label(label)),
                   block.start + 1, lead=_text_after_label(block))


def _text_after_label(block: Block) -> str:
    """The rest of a label paragraph, as markdown ('**Date:** 2026-01-02' -> '2026-01-02')."""
    children = list(block.inline.children or []) if block.inline else []
    closes = [i for i, c in enumerate(children) if c.type == "strong_close"]
    rest = children[closes[0] + 1 :] if closes else []
    text = inline_markdown(rest)
    return text.lstrip(":").strip()


def _build_entry(
    entry_id: str,
    title: str,
    category: str | None,
    line: int,
    sections: list[Section],
    source: str,
    source_lines: list[str],
    result: ParseResult,
) -> None:
    entry = Entry(id=entry_id, title=title, source=source, line=line, category=category)
    lines = [Line(entry_id, "title", title, line, "Title")]

    for section in _split_inline_labels(sections):
        markdown = _section_markdown(section, source_lines)
        kind = _line_kind(section)
        lines.extend(_section_lines(entry_id, section, kind))

        if section.field == labels.DATE:
            entry.date = _first_line(markdown)
        elif section.field == labels.SEVERITY:
            entry.severity = _first_line(markdown)
        elif section.field == labels.SYMPTOMS:
            entry.symptoms.extend(_items(section))
        elif section.field in (labels.ROOT_CAUSE, labels.FIX, labels.PREVENTION):
            old = getattr(entry, section.field)
            setattr(entry, section.field, f"{old}\n\n{markdown}".strip())
        elif markdown:
            name = section.label or "Description"
            entry.sections[name] = f"{entry.sections.get(name, '')}\n\n{markdown}".strip()

        if not markdown and section.label:
            result.diagnostics.append(
                Diagnostic(source, section.line, "warning",
                           f"section {section.label!r} of {title!r} is empty")
            )

    result.entries.append(entry)
    result.lines.extend(lines)


def _split_inline_labels(sections: list[Section]) -> list[Section]:
    """'**Date:** x **Severity:** y' in one paragraph holds two labels; split them."""
    out: list[Section] = []
    for section in sections:
        out.append(section)
        if not section.lead or "**" not in section.lead:
            continue
        parts = section.lead.split("**")
        # parts: [lead0, label1, value1, label2, value2, ...]; a label ends with ':'
        if len(parts) < 3 or not all(p.rstrip().endswith(":") for p in parts[1::2]):
            continue
        section.lead = parts[0].strip()
        for label, value in zip(parts[1::2], parts[2::2]):
            name = label.strip().rstrip(":").strip()
            field_name = labels.make_synonyms().get(labels.normalize_label(name))
            out.append(Section(name, field_name, section.line, value.strip()))
    return out


def _section_markdown(section: Section, source_lines: list[str]) -> str:
    parts = [section.lead] if section.lead else []
    for block in section.blocks:
        parts.append("\n".join(source_lines[block.start : block.end]).strip("\n"))
    return "\n\n".join(p for p in parts if p.strip()).strip()


def _first_line(markdown: str) -> str:
    return markdown.strip().splitlines()[0].strip() if markdown.strip() else ""


def _line_kind(section: Section) -> str:
    if section.field in (labels.SYMPTOMS, labels.ROOT_CAUSE, labels.FIX):
        return {labels.SYMPTOMS: "symptom", labels.ROOT_CAUSE: "cause",
                labels.FIX: "fix"}[section.field]
    if section.field in (labels.DATE, labels.SEVERITY, labels.PREVENTION):
        return "other"
    if not section.label or section.label == "Description":
        return "description"
    if labels.FIX_LIKE.search(section.label):
        return "fix"
    return "other"


def _items(section: Section) -> list[str]:
    """One string per bullet or paragraph of a section (for symptoms)."""
    items = [section.lead] if section.lead else []
    for block in section.blocks:
        for token in block.tokens:
            if token.type == "inline" and token.level <= 3:
                items.append(inline_markdown(token.children or []).strip())
    return [i for i in items if i]


def _section_lines(entry_id: str, section: Section, kind: str) -> list[Line]:
    """The matchable lines of a section: its items, code spans and fence lines."""
    label = section.label or "Description"
    out: list[Line] = []
    if kind == "other" and section.field in (labels.DATE, labels.SEVERITY):
        return out

    if section.lead:
        out.append(Line(entry_id, kind, section.lead, section.line, label))
    for block in section.blocks:
        for token in block.tokens:
            line = (token.map[0] if token.map else block.start) + 1
            if token.type == "inline":
                out.append(Line(entry_id, kind, inline_markdown(token.children or []),
                                line, label))
                out.extend(_code_spans(entry_id, token, kind, line, label))
            elif token.type in ("fence", "code_block"):
                code_kind = "error" if kind in ("symptom", "description") else "code"
                for k, text in enumerate(token.content.splitlines()):
                    if text.strip():
                        out.append(Line(entry_id, code_kind, text.strip(),
                                        line + 1 + k, label))
    return out


def _code_spans(entry_id: str, token: Token, kind: str, line: int, label: str) -> list[Line]:
    code_kind = "error" if kind in ("symptom", "description", "title") else "code"
    return [
        Line(entry_id, code_kind, child.content.strip(), line, label)
        for child in token.children or []
        if child.type == "code_inline" and len(child.content.strip()) >= MIN_CODE_LEN
    ]


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
