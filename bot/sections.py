"""The labelled sections of one entry, and the Entry and Lines they make.

Every layout (parse.py) ends the same way: a title, a run of blocks, and labels
that split the run. Here the run is cut at its labels (bold ``**Fix:**``
paragraphs or label headings), each label is looked up in the synonym table,
and the sections fill the entry's fields and its matchable lines. Which
headings open an entry is not decided here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markdown_it.token import Token

from . import labels
from .blocks import Block, Document, inline_markdown
from .model import Diagnostic, Entry, Line

# Below this length a code span is a word, not an error string worth matching.
MIN_CODE_LEN = 4


@dataclass
class ParseResult:
    entries: list[Entry] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # The document is broken as a whole (unreadable, a fence or front matter
    # left open): a reload keeps serving the file's last good version instead.
    damaged: bool = False


@dataclass
class Context:
    """What every step of parsing one document needs."""

    doc: Document
    source: str
    synonyms: dict[str, str]
    result: ParseResult

    def report(self, line: int, level: str, message: str) -> None:
        self.result.diagnostics.append(Diagnostic(self.source, line, level, message))

    def is_label(self, name: str) -> bool:
        return labels.normalize_label(name) in self.synonyms

    def field_of(self, name: str) -> str | None:
        return self.synonyms.get(labels.normalize_label(name)) or None


@dataclass
class Section:
    label: str  # as written; "" for text before the first label
    field: str | None  # canonical field from the synonym table, if any
    line: int  # 1-based
    lead: str = ""  # text that followed the label in its own paragraph
    blocks: list[Block] = field(default_factory=list)
    level: int = 0  # heading level of a label heading; 0 for bold labels


def label_of(block: Block, synonyms: dict[str, str] | None = None) -> str | None:
    """'Root cause' when a paragraph opens with **Root cause:**, else None.

    Given the synonym table, a paragraph that is nothing but a known label,
    "**Symptoms**" or "Symptoms:", counts too: some teams write labels so.
    """
    if block.kind != "paragraph" or block.inline is None:
        return None
    children = [c for c in block.inline.children or [] if not _is_empty_text(c)]
    bare = _bare_label(children) if synonyms is not None else ""
    if bare and labels.normalize_label(bare) in (synonyms or {}):
        return bare
    if len(children) < 3 or children[0].type != "strong_open":
        return None
    inner = children[1].content if children[1].type == "text" else ""
    after = children[3] if len(children) > 3 else None
    if inner.endswith(":"):
        return inner[:-1].strip()
    if after is not None and after.type == "text" and after.content.startswith(":"):
        return inner.strip()
    return None


def _bare_label(children: list[Token]) -> str:
    """The text of a paragraph made of one bold run or of plain text ending in ':'."""
    kinds = [c.type for c in children]
    if kinds == ["strong_open", "text", "strong_close"] or (
        kinds == ["strong_open", "text", "strong_close", "text"]
        and children[3].content.strip() == ":"
    ):
        return children[1].content.strip().rstrip(":").strip()
    if kinds == ["text"] and children[0].content.rstrip().endswith(":"):
        return children[0].content.strip().rstrip(":").strip()
    return ""


def _is_empty_text(token: Token) -> bool:
    return token.type == "text" and token.content == ""


def split_sections(
    ctx: Context,
    blocks: list[Block],
    headings_are_labels: bool = False,
    known_labels_only: bool = False,
) -> list[Section]:
    """Split an entry's body at its labels; text before the first label is kept.

    With headings_are_labels (a page), every heading opens a section, except a
    deeper heading that is not a label: it is a sub-part of the section above
    ("Possible Ways to Fix It" over "##### Disable preloading"). With
    known_labels_only, a bold lead-in that is not a label ("**Manage contexts
    correctly:**") is emphasis inside a section, not a section of its own.
    """
    sections: list[Section] = []
    current = Section("", None, blocks[0].start + 1 if blocks else 0)
    for block in blocks:
        new = _section_start(ctx, block, headings_are_labels, known_labels_only)
        if new is None or _is_sub_part(ctx, new, current):
            current.blocks.append(block)
            continue
        if current.label or current.blocks:
            sections.append(current)
        current = new
    if current.label or current.blocks:
        sections.append(current)
    return sections


def _is_sub_part(ctx: Context, new: Section, current: Section) -> bool:
    """A deeper heading that is no label, below a label heading."""
    return (bool(new.level and current.level) and new.level > current.level
            and not ctx.is_label(new.label))


def _section_start(
    ctx: Context, block: Block, headings_are_labels: bool, known_labels_only: bool
) -> Section | None:
    if block.kind == "heading":
        text = block.text
        misspelt = labels.suggest(text, ctx.synonyms) is not None
        if not (headings_are_labels or ctx.is_label(text) or misspelt):
            return None
        _check_spelling(ctx, text, block.start + 1, "heading")
        return Section(text, ctx.field_of(text), block.start + 1, level=block.level)

    label = label_of(block, ctx.synonyms)
    if label is None:
        return None
    known = ctx.is_label(label) or labels.suggest(label, ctx.synonyms) is not None
    if known_labels_only and not known:
        return None
    _check_spelling(ctx, label, block.start + 1, "label")
    return Section(label, ctx.field_of(label), block.start + 1,
                   lead=_text_after_label(block))


def _check_spelling(ctx: Context, label: str, line: int, what: str) -> None:
    guess = labels.suggest(label, ctx.synonyms)
    if guess is not None:
        ctx.report(line, "error",
                   f"unknown {what} {label!r}: did you mean {guess!r}? (or add it "
                   "to [labels] in known-issue.toml)")


def _text_after_label(block: Block) -> str:
    """The rest of a label paragraph: '**Date:** 2026-01-02' gives '2026-01-02'."""
    children = list(block.inline.children or []) if block.inline else []
    closes = [i for i, c in enumerate(children) if c.type == "strong_close"]
    rest = children[closes[0] + 1 :] if closes else []
    text = inline_markdown(rest)
    return text.lstrip(":").strip()


def build_entry(
    ctx: Context,
    entry: Entry,
    sections: list[Section],
    lead_field: str | None = None,
) -> Entry:
    """Fill entry from its sections, add it and its lines to the result.

    lead_field says what unlabelled opening text is: a FAQ answer is the fix.
    """
    lines = [Line(entry.id, "title", entry.title, entry.line, "Title")]

    for section in _split_inline_labels(ctx, sections):
        if not section.label and lead_field:
            section.field = lead_field
        markdown = section_markdown(ctx.doc, section)
        kind = _line_kind(section)
        lines.extend(_section_lines(ctx.doc, entry.id, section, kind))
        _fill(entry, section, markdown)

        if not markdown and section.label:
            ctx.report(section.line, "warning",
                       f"section {section.label!r} of {entry.title!r} is empty")

    ctx.result.entries.append(entry)
    ctx.result.lines.extend(lines)
    return entry


def _fill(entry: Entry, section: Section, markdown: str) -> None:
    if section.field == labels.DATE:
        entry.date = _first_line(markdown)
    elif section.field == labels.SEVERITY:
        entry.severity = _first_line(markdown)
    elif section.field == labels.SYMPTOMS:
        entry.symptoms.extend(items(section))
    elif section.field in (labels.ROOT_CAUSE, labels.FIX, labels.PREVENTION):
        old = getattr(entry, section.field)
        setattr(entry, section.field, f"{old}\n\n{markdown}".strip())
    elif markdown:
        name = section.label or "Description"
        entry.sections[name] = f"{entry.sections.get(name, '')}\n\n{markdown}".strip()


def _split_inline_labels(ctx: Context, sections: list[Section]) -> list[Section]:
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
            out.append(Section(name, ctx.field_of(name), section.line, value.strip()))
    return out


def section_markdown(doc: Document, section: Section) -> str:
    parts = [section.lead] if section.lead else []
    parts.extend(doc.markdown(block) for block in section.blocks)
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


def items(section: Section) -> list[str]:
    """One string per bullet or paragraph of a section (for symptoms)."""
    found = [section.lead] if section.lead else []
    for block in section.blocks:
        for token in block.tokens:
            if token.type == "inline" and token.level <= 3:
                found.append(inline_markdown(token.children or []).strip())
    return [i for i in found if i]


def _section_lines(
    doc: Document, entry_id: str, section: Section, kind: str
) -> list[Line]:
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


def _code_spans(
    entry_id: str, token: Token, kind: str, line: int, label: str
) -> list[Line]:
    code_kind = "error" if kind in ("symptom", "description", "title") else "code"
    return [
        Line(entry_id, code_kind, child.content.strip(), line, label)
        for child in token.children or []
        if child.type == "code_inline" and len(child.content.strip()) >= MIN_CODE_LEN
    ]
