"""Turn one markdown document into entries, in whichever layout it is written.

Three layouts are told apart from markdown-it tokens, never from regexes over
the text:

* log: many entries in one file. An entry is a heading whose body carries
  labels, as bold paragraphs (``**Root cause:** ...``) or as sub-headings
  (``#### Root cause``); headings above entries are categories.
* faq: many entries in one file, no labels. No heading is a label, and at
  one heading level there are two or more headings of which at least half
  read like an error (words such as "error", "failed", "cannot", or a code
  like NG0100 or ECONNREFUSED). Each such heading is the error message and
  its body is the fix.
* page: one entry per file. The title comes from front matter ``title:`` or
  the first heading, the id from the file name, and every heading below the
  title opens a section.

Detection tries log, then faq, then page. A file can say which it is with
front matter ``layout: faq`` (or log, page), and so can a source in
known-issue.toml; either wins over detection. Reading files is ingest.py's job.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import yaml
from markdown.extensions.toc import slugify, unique

from . import labels
from .blocks import (Block, Document, inline_markdown, inline_text, read_document,
                     swallowing_fences, unclosed_fences, unclosed_front_matter)
from .model import Entry
from .sections import (Context, ParseResult, Section, build_entry, items, label_of,
                       section_markdown, split_sections)

__all__ = ["LAYOUTS", "ParseResult", "detect_layout", "inline_markdown", "inline_text",
           "parse_document"]

logger = logging.getLogger(__name__)

LAYOUTS = ("log", "faq", "page")

# What makes a heading read like an error message rather than a topic.
_ERRORISH = re.compile(
    r"error|exception|fail|fatal|denied|refused|timed? ?out|cannot|can't|unable|"
    r"not found|invalid|unexpected|missing|undefined|unknown|not allowed|crash|"
    r"(?-i:\b[A-Z]{1,5}-?\d{3,5}\b|\bE[A-Z]{3,}\b)",
    re.I,
)
_QUESTION_PREFIX = re.compile(r"^(?:Q|Question)\s*[:.]\s*", re.I)


def parse_document(
    text: str,
    source: str,
    synonyms: dict[str, str] | None = None,
    layout: str | None = None,
) -> ParseResult:
    """Parse one markdown document (its text and display path) into entries."""
    synonyms = synonyms or labels.make_synonyms()
    doc = read_document(text, is_mdx=source.lower().endswith(".mdx"))
    ctx = Context(doc, source, synonyms, ParseResult())

    front = _front_matter(ctx)
    _check_fences(ctx)

    # Asked once: it reports an unknown layout, and that must be said once.
    declared = _declared_layout(ctx, front)
    chosen = layout or declared or detect_layout(doc, synonyms)
    if chosen == "log":
        _parse_log(ctx)
    elif chosen == "faq":
        _parse_faq(ctx)
    else:
        if layout is None and declared is None:
            _hint_faq(ctx)
        _parse_page(ctx, front)
    return ctx.result


def _hint_faq(ctx: Context) -> None:
    """A page read as one entry although some of its headings are error messages.

    Only for pages without label headings: a page with "Possible Ways to Fix
    It" is one problem, whatever its sub-headings say.
    """
    headings = [b for b in ctx.doc.blocks if b.kind == "heading" and b.level >= 2]
    if len(headings) < 2 or any(_is_label_heading(b, ctx.synonyms) for b in headings):
        return
    errorish = [b for b in headings if _ERRORISH.search(b.text)]
    if errorish:
        ctx.report(errorish[0].start + 1, "warning",
                   f"read as one page, though {len(errorish)} heading(s) read like error "
                   "messages; if each is its own problem, add front matter "
                   "'layout: faq'")


def detect_layout(doc: Document, synonyms: dict[str, str]) -> str:
    """'log', 'faq' or 'page', from the document's headings and labels."""
    if _entry_headings(doc.blocks, synonyms):
        return "log"
    if _faq_level(doc.blocks, synonyms) is not None:
        return "faq"
    return "page"


def _front_matter(ctx: Context) -> dict:
    if unclosed_front_matter(ctx.doc):
        ctx.report(1, "error", "front matter is never closed: add a '---' line "
                               "after its last key")
        ctx.result.damaged = True
        return {}

    token = next((t for t in ctx.doc.tokens[:1] if t.type == "front_matter"), None)
    if token is None:
        return {}
    try:
        data = yaml.safe_load(token.content) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        ctx.report(2 + (mark.line if mark else 0), "error",
                   f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}")
        ctx.result.damaged = True
        return {}

    if not isinstance(data, dict):
        ctx.report(1, "error", "front matter must be a YAML mapping (key: value lines)")
        ctx.result.damaged = True
        return {}
    return data


def _check_fences(ctx: Context) -> None:
    for start in unclosed_fences(ctx.doc):
        ctx.report(start + 1, "error", "code fence is never closed: everything after "
                                       "it is read as code")
        ctx.result.damaged = True
    for start, swallowed in swallowing_fences(ctx.doc):
        ctx.report(start + 1, "error", f"code block swallows markdown (line "
                                       f"{swallowed + 1}): a fence above is probably "
                                       "missing its closing ```")
        ctx.result.damaged = True


def _declared_layout(ctx: Context, front: dict) -> str | None:
    declared = front.get("layout")
    if declared is None:
        return None
    if declared in LAYOUTS:
        return str(declared)
    ctx.report(1, "warning", f"unknown layout {declared!r} in front matter: use one "
                             f"of {', '.join(LAYOUTS)}; detecting it instead")
    return None


def _is_label_heading(block: Block, synonyms: dict[str, str]) -> bool:
    return labels.normalize_label(block.text) in synonyms


def _is_label_paragraph(block: Block, synonyms: dict[str, str]) -> bool:
    label = label_of(block, synonyms)
    if label is None:
        return False
    known = labels.normalize_label(label) in synonyms
    return known or labels.suggest(label, synonyms) is not None


def _entry_headings(blocks: list[Block], synonyms: dict[str, str]) -> list[int]:
    """Indexes of headings (level 2 and deeper) that open a log entry."""
    found: list[int] = []
    inside: int | None = None  # level of the entry being read
    for i, block in enumerate(blocks):
        if block.kind != "heading":
            continue
        if inside is not None and block.level > inside:
            continue  # a heading inside an entry belongs to it
        inside = None
        if block.level < 2 or _is_label_heading(block, synonyms):
            continue
        if _has_labels(blocks, i, synonyms):
            found.append(i)
            inside = block.level
    return found


def _has_labels(blocks: list[Block], i: int, synonyms: dict[str, str]) -> bool:
    level = blocks[i].level
    for block in blocks[i + 1 :]:
        if block.kind == "heading":
            # A first sub-heading that is not a label makes this a category;
            # a misspelt one ("#### Symptons") still makes an entry, reported.
            return block.level > level and (
                _is_label_heading(block, synonyms)
                or labels.suggest(block.text, synonyms) is not None)
        if _is_label_paragraph(block, synonyms):
            return True
    return False


def _has_subheadings(blocks: list[Block], head: int, end: int) -> bool:
    return any(b.kind == "heading" for b in blocks[head + 1 : end])


def _body_end(blocks: list[Block], head: int) -> int:
    level = blocks[head].level
    for k in range(head + 1, len(blocks)):
        if blocks[k].kind == "heading" and blocks[k].level <= level:
            return k
    return len(blocks)


def _parse_log(ctx: Context) -> None:
    blocks = ctx.doc.blocks
    heads = set(_entry_headings(blocks, ctx.synonyms))
    entry_levels = {blocks[i].level for i in heads}
    used_ids: set[str] = set()

    categories: list[Block] = []  # the headings above the current one, outermost first
    for i, block in enumerate(blocks):
        if block.kind != "heading":
            continue
        while categories and categories[-1].level >= block.level:
            categories.pop()
        above = categories[-1] if categories else None
        category = above.text if above is not None and above.level > 1 else None
        categories.append(block)

        end = _body_end(blocks, i)
        if i in heads and _untitled(ctx, block):
            continue
        if i in heads:
            entry = _new_entry(ctx, block, used_ids, category)
            build_entry(ctx, entry, split_sections(ctx, blocks[i + 1 : end]))
        elif block.level in entry_levels and end == i + 1:
            ctx.report(block.start + 1, "warning",
                       f"heading {block.text!r} has no body: it is not an entry")
        elif block.level in entry_levels and not _has_subheadings(blocks, i, end):
            # Text the other entries' way of writing would make an entry.
            ctx.report(block.start + 1, "warning",
                       f"heading {block.text!r} has text but no labels, so it is not "
                       "read as an entry: add **Symptoms:** and **Fix:**")


def _untitled(ctx: Context, head: Block, title: str | None = None) -> bool:
    """An entry heading with no text: report it; it has no name and no anchor."""
    if (head.text if title is None else title).strip():
        return False
    ctx.report(head.start + 1, "error", f"empty heading: write the entry's title after "
                                        f"the '{'#' * head.level}'; entry skipped")
    return True


def _new_entry(ctx: Context, head: Block, used_ids: set[str], category: str | None,
               title: str | None = None) -> Entry:
    """An entry for a heading, its id the heading's anchor (unique in the file)."""
    title = title or head.text
    slug = slugify(title, "-")
    entry_id = unique(slug, used_ids)
    if entry_id != slug:
        ctx.report(head.start + 1, "warning",
                   f"duplicate heading {title!r}: its anchor becomes #{entry_id}")
    return Entry(id=entry_id, title=title, source=ctx.source, line=head.start + 1,
                 category=category)


def _faq_level(blocks: list[Block], synonyms: dict[str, str]) -> int | None:
    """The heading level whose headings are error messages, if the file is a FAQ."""
    by_level: dict[int, list[Block]] = {}
    for block in blocks:
        if block.kind == "heading" and _is_label_heading(block, synonyms):
            return None
        if block.kind == "heading" and block.level >= 2:
            by_level.setdefault(block.level, []).append(block)

    best: tuple[int, int] | None = None  # (errorish count, level)
    for level, heads in by_level.items():
        errorish = sum(1 for h in heads if _ERRORISH.search(h.text))
        if errorish >= 2 and errorish * 2 >= len(heads):
            best = max(best or (0, 0), (errorish, -level))
    return -best[1] if best else None


def _parse_faq(ctx: Context) -> None:
    blocks = ctx.doc.blocks
    level = _faq_level(blocks, ctx.synonyms) or _shallowest_heading(blocks)
    used_ids: set[str] = set()

    category: str | None = None
    for i, block in enumerate(blocks):
        if block.kind != "heading" or block.level > level:
            continue
        if block.level < level:
            category = block.text if block.level > 1 else None
            continue

        end = _body_end(blocks, i)
        title = _QUESTION_PREFIX.sub("", block.text)
        if _untitled(ctx, block, title):
            continue
        if end == i + 1:
            ctx.report(block.start + 1, "warning",
                       f"question {title!r} has no answer below it: skipped")
            continue
        entry = _new_entry(ctx, block, used_ids, category, title)
        sections = split_sections(ctx, blocks[i + 1 : end], known_labels_only=True)
        build_entry(ctx, entry, sections, lead_field=labels.FIX)
        if not entry.symptoms:
            entry.symptoms = [title]


def _shallowest_heading(blocks: list[Block]) -> int:
    levels = [b.level for b in blocks if b.kind == "heading" and b.level >= 2]
    return min(levels, default=2)


def _parse_page(ctx: Context, front: dict) -> None:
    blocks = ctx.doc.blocks
    if not blocks and not front:
        return

    title = str(front.get("title") or "").strip()
    line = 1
    if not title:
        # A section label ("## Fix") is never a title, even with nothing above it.
        first = next((b for b in blocks if b.kind == "heading" and b.text.strip()
                      and not _is_label_heading(b, ctx.synonyms)), None)
        if first is None:
            ctx.report(1, "warning", "no title: give the file a '# Title' heading or "
                                     "front matter 'title:'; file skipped")
            return
        title, line = first.text, first.start + 1
        blocks = [b for b in blocks if b is not first]
    if not blocks:
        ctx.report(line, "warning", f"{title!r} has a title and nothing below it")

    sections = split_sections(ctx, blocks, headings_are_labels=True,
                              known_labels_only=True)
    if front.get("description"):
        sections.insert(0, Section("Description", None, 1, str(front["description"])))
    entry = Entry(id=Path(ctx.source).stem, title=title, source=ctx.source, line=line)
    build_entry(ctx, entry, sections)

    if not entry.symptoms:
        entry.symptoms = _opening(title, sections)
    if not entry.fix:
        entry.fix = _fallback_fix(ctx, sections, entry)


def _opening(title: str, sections: list[Section]) -> list[str]:
    """A page without a symptoms section: its title and opening paragraph say it."""
    lead = next((s for s in sections if s.label in ("", "Description")), None)
    opening = items(lead)[:1] if lead else []
    return [title] + [text for text in opening if text != title]


def _fallback_fix(ctx: Context, sections: list[Section], entry: Entry) -> str:
    """A page with no fix section answers with what it has, best first.

    Sections named like a fix ("Ways to fix oversized images"), then any other
    named section that is not a link list, then the opening text after its
    first paragraph, then all of it. Never the cause: a reply would show it
    twice, once as the fix, and `check` would not say the fix is missing.
    """
    named = [s for s in sections if s.label not in ("", "Description") and not s.field
             and labels.normalize_label(s.label) not in labels.LINK_LABELS]
    fix_like = [s for s in named if labels.FIX_LIKE.search(s.label)]
    for group in (fix_like, named):
        text = "\n\n".join(section_markdown(ctx.doc, s) for s in group).strip()
        if text:
            return text

    lead = next((s for s in sections if s.label in ("", "Description")), None)
    if lead is not None:
        rest = Section(lead.label, None, lead.line, blocks=lead.blocks[1:])
        text = section_markdown(ctx.doc, rest) or section_markdown(ctx.doc, lead)
        if text:
            return text
    return ""
