"""Text from other formats -> Markdown that shows what its author wrote.

Deck text is Markdown, rendered by rich (markdown-it, CommonMark with tables and
strikethrough). Plain text must therefore be escaped, or ``P(H) * P(W) * P(X)`` turns
italic, ``_ refers to a model`` loses its blank, ``1. Adam`` becomes a list and ``<b>``
disappears as raw HTML. The escaping is minimal where that is safe, so the YAML a converter
writes stays readable: ``snake_case`` and ``a < b`` keep their characters as written.

HTML (GIFT's ``[html]`` and ``[moodle]`` texts) is converted to the same Markdown by a small
writer over the standard library's parser: emphasis, code, links, lists and line breaks are
kept, every other tag is dropped with its text kept, and no raw HTML is left.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

NBSP = "\u00a0"
"""Leading spaces become no-break spaces: they keep indentation visible without turning
four spaces into a code block (CommonMark counts only U+0020 and tabs as indentation)."""

_ALWAYS = re.compile(r"[\\`*\[]")
_LOOSE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")  # not between letters/digits
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_TILDES = re.compile(r"~(?=~)|(?<=~)~")
_RULE_FIRST = re.compile(r":?-+:?")
_RULE_CELL = re.compile(r":?-*:?")
# What makes a line a block: a heading, a quote, a list item, a setext underline or rule.
_LINE_START = re.compile(r"^(?:#{1,6}(?=\s|$)|>|[-+](?=\s|$)|[-=][-=\s]*$|(\d{1,9})[.)](?=\s|$))")


def _escape_inline(text: str, *, pipes: bool) -> str:
    text = _ALWAYS.sub(lambda m: "\\" + m.group(), text)
    text = _LOOSE_UNDERSCORE.sub(r"\\_", text)
    text = _TAG_START.sub(r"\\<", text)
    text = _ENTITY.sub(r"\\&", text)
    text = _TILDES.sub(r"\\~", text)
    if pipes:
        text = text.replace("|", "\\|")
    return text


def _escape_line_start(text: str) -> str:
    match = _LINE_START.match(text)
    if match is None:
        return text
    if match.group(1) is not None:  # "1." or "1)": an ordered list item
        return match.group(1) + "\\" + text[len(match.group(1)) :]
    return "\\" + text


def _is_table_rule(line: str) -> bool:
    """``|---|:--:|``: a line that makes the line above a table header. Cell by cell, not one
    regex: nested quantifiers over runs of spaces backtrack exponentially."""
    body = line.strip(" \t")
    body = body[1:] if body.startswith("|") else body
    cells = [cell.strip(" \t") for cell in body.split("|")]
    return bool(_RULE_FIRST.fullmatch(cells[0])) and all(
        _RULE_CELL.fullmatch(cell) for cell in cells[1:]
    )


def _has_table_rule(lines: list[str]) -> bool:
    """Whether a line could make the one above it a table header: a rule of cells, with or
    without pipes (``-:`` under ``|`` is a one-column table), when any line has a pipe."""
    return any("|" in line for line in lines) and any(
        "-" in line and _is_table_rule(line) for line in lines
    )


def escape_markdown(text: str) -> str:
    """Plain text -> Markdown that renders as the same text, line breaks included."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    pipes = _has_table_rule(lines)
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        body = line.lstrip(" \t")
        if not body:
            out.append("")
            continue
        indent = line[: len(line) - len(body)].replace("\t", "    ").replace(" ", NBSP)
        escaped = _escape_line_start(_escape_inline(body, pipes=pipes))
        if pipes and "|" not in body and _is_table_rule(body) and not escaped.startswith("\\"):
            escaped = "\\" + escaped  # ("-:" under a line with a pipe: no table)
        out.append(indent + escaped)
    return _join_lines(out)


def _join_lines(lines: list[str]) -> str:
    """Join lines with hard breaks inside a paragraph and one blank line between paragraphs."""
    joined: list[str] = []
    for line in lines:
        if not line:
            if joined and joined[-1]:
                joined.append("")
            continue
        if joined and joined[-1]:
            joined[-1] += "\\"
        joined.append(line)
    while joined and not joined[-1]:
        joined.pop()
    return "\n".join(joined)


# -- HTML ---------------------------------------------------------------------------------

MAX_LIST_DEPTH = 8
"""Lists nested deeper are written at this depth: output stays linear in the input."""

_BREAK = "\uffff"  # a hard line break, resolved when the text is finished (a noncharacter)
_BLOCK_TAGS = frozenset(
    {"p", "div", "section", "article", "header", "footer", "blockquote", "table", "dl", "dd"}
    | {"dt", "figure", "figcaption", "address", "center", "form", "fieldset", "main", "nav"}
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_STRONG = frozenset({"b", "strong"})
_EMPHASIS = frozenset({"i", "em", "cite", "var", "dfn"})
_CODE = frozenset({"code", "tt", "kbd", "samp"})
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})
_VOID = frozenset({"br", "img", "hr", "input", "wbr", "meta", "link", "col", "area", "source"})
_LINK = re.compile(r"(?:https?://|mailto:)\S+", re.IGNORECASE)


class _MarkdownWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.line_start = True
        self.space = False  # whitespace seen and not yet written
        self.pending: list[str] = []  # opening emphasis markers waiting for their first text
        self.lists: list[list[int]] = []  # one [counter] per open list; counter < 0: bullets
        self.links: list[str] = []  # hrefs of open links ("" when the link is dropped)
        self.code: list[str] | None = None  # text of the open <code> or <pre>
        self.pre = False
        self.skipping = 0

    # writing
    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.line_start = False

    def _text(self, text: str) -> None:
        words = text.split()
        if not words:
            self.space = self.space or bool(text)
            return
        lead = text[0].isspace()
        trail = text[-1].isspace()
        body = _escape_inline(" ".join(words), pipes=True)
        if self.line_start:
            body = _escape_line_start(body)
        elif (lead or self.space) and not self._ends_with_space():
            self.out.append(" ")
        self.out.extend(self.pending)
        self.pending.clear()
        self._emit(body)
        self.space = trail

    def _ends_with_space(self) -> bool:
        return bool(self.out) and self.out[-1].endswith((" ", "\n", _BREAK))

    def _break(self) -> None:
        self.pending.clear()
        self.out.append(_BREAK)
        self.line_start = True
        self.space = False

    def _block(self) -> None:
        self.pending.clear()
        if self.out:
            self.out.append("\n\n")
        self.line_start = True
        self.space = False

    def _marker(self, marker: str, opening: bool) -> None:
        if opening:
            self.pending.append(marker)
        elif self.pending:
            self.pending.pop()  # nothing was written inside: drop the pair
        else:
            self.out.append(marker)
            self.space = self.space and not self.line_start

    # parsing
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
            return
        if self.skipping:
            return
        if self.code is not None:
            if tag == "br":
                self.code.append("\n")
            return
        values = {name: value or "" for name, value in attrs}
        if tag == "br":
            self._break()
        elif tag in _BLOCK_TAGS or tag in _HEADINGS:
            self._block()
            if tag in _HEADINGS:
                self._marker("**", True)
        elif tag == "tr":
            if not self.line_start:
                self._break()
        elif tag in ("td", "th"):
            if not self.line_start:
                self._text(" | ")
        elif tag in ("ul", "ol", "menu"):
            if not self.lists:
                self._block()
            self.lists.append([1 if tag == "ol" else -1])
        elif tag == "li":
            self._list_item()
        elif tag == "hr":
            self._block()
            self._emit("---")
            self._block()
        elif tag in _STRONG:
            self._marker("**", True)
        elif tag in _EMPHASIS:
            self._marker("*", True)
        elif tag in _CODE or tag == "pre":
            if tag == "pre":
                self._block()
            self.pre = tag == "pre"
            self.code = []
        elif tag == "a":
            href = values.get("href", "").strip()
            self.links.append(href if _LINK.fullmatch(href) else "")
            if self.links[-1]:
                self._marker("[", True)
        elif tag == "img":
            alt = " ".join(values.get("alt", "").split())
            self._text(f"[image: {alt}]" if alt else "[image]")
        elif tag == "sup":
            self._text("^")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def _list_item(self) -> None:
        if not self.lists:
            self.lists.append([-1])
        if self.out and not self.out[-1].endswith("\n"):
            self.out.append("\n")
        counter = self.lists[-1]
        bullet = "- " if counter[0] < 0 else f"{counter[0]}. "
        if counter[0] > 0:
            counter[0] += 1
        depth = min(len(self.lists), MAX_LIST_DEPTH) - 1  # deeper lists stay at this indent
        self._emit("   " * depth + bullet)
        self.line_start = True  # the item's text still starts a line for escaping
        self.space = False

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping:
            return
        if self.code is not None:
            if tag in _CODE or tag == "pre":
                self._close_code()
            return
        if tag in _HEADINGS:
            self._marker("**", False)
            self._block()
        elif tag in _BLOCK_TAGS:
            self._block()
        elif tag in ("ul", "ol", "menu"):
            if self.lists:
                self.lists.pop()
            if not self.lists:
                self._block()
        elif tag in _STRONG:
            self._marker("**", False)
        elif tag in _EMPHASIS:
            self._marker("*", False)
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href:
                if self.pending and self.pending[-1] == "[":
                    self.pending.pop()
                    self._text(href)
                else:
                    target = f"<{href}>" if re.search(r"[\s()<>]", href) else href
                    self.out.append(f"]({target})")

    def _close_code(self) -> None:
        assert self.code is not None
        raw = "".join(self.code)
        self.code = None
        if self.pre:
            self.pre = False
            body = raw.strip("\n")
            if body.strip():
                fence = "`" * max(3, _longest_run(body, "`") + 1)
                self._emit(f"{fence}\n{body}\n{fence}")
            self._block()
            return
        text = " ".join(raw.split())
        if not text:
            return
        fence = "`" * (_longest_run(text, "`") + 1)
        pad = " " if text.startswith("`") or text.endswith("`") else ""
        if self.space and not self._ends_with_space() and not self.line_start:
            self.out.append(" ")
        self.out.extend(self.pending)
        self.pending.clear()
        self._emit(f"{fence}{pad}{text}{pad}{fence}")
        self.space = False

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.code is not None:
            self.code.append(data)
        else:
            self._text(data)

    def finish(self) -> str:
        self.close()
        if self.code is not None:
            self._close_code()
        text = "".join(self.out)
        text = re.sub(f"(^|\n\n)[\\s{_BREAK}]+", r"\1", text)  # no break opens a paragraph
        text = _resolve_breaks(text)
        text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
        text = re.sub(r"\n{3,}", "\n\n", text)
        return text.strip()


def _resolve_breaks(text: str) -> str:
    """Hard breaks: two or more in a row end the paragraph, one at the end of a line is
    dropped, any other becomes Markdown's ``\\``; spaces around them go. Done by splitting,
    in one pass: a regex with ``[ ]*`` on both sides is quadratic on a long run of spaces."""
    parts = text.split(_BREAK)
    out = [parts[0].rstrip(" ")]
    index, last = 1, len(parts) - 1
    while index <= last:
        count = 1
        while index < last and not parts[index].strip(" "):
            count += 1
            index += 1
        rest = parts[index].lstrip(" ")
        if index < last:
            rest = rest.rstrip(" ")
        if count >= 2:
            out.append("\n\n")
        elif rest and not rest.startswith("\n"):
            out.append("\\\n")
        out.append(rest)
        index += 1
    return "".join(out)


def _longest_run(text: str, char: str) -> int:
    runs = re.findall(f"{re.escape(char)}+", text)
    return max((len(run) for run in runs), default=0)


def html_to_markdown(html: str, *, newlines_break: bool = False) -> str:
    """HTML -> Markdown with no HTML left. ``newlines_break`` reads every newline as a line
    break, as Moodle's own "moodle auto-format" does for text typed without tags."""
    if newlines_break:
        html = html.replace("\r\n", "\n").replace("\n", "<br>")
    writer = _MarkdownWriter()
    writer.feed(html.replace(_BREAK, ""))
    return writer.finish()
