"""Moodle GIFT question files -> card drafts.

Read as Moodle's own importer reads them: questions are separated by blank lines, lines
starting with ``//`` are comments, ``\\`` escapes ``~ = # { } :`` (and ``\\n`` is a newline,
``\\\\`` a backslash), ``::title::`` names a question, ``[html]``, ``[moodle]``, ``[plain]`` or
``[markdown]`` before a text sets its format, the first ``{`` and ``}`` hold the answers, and
text after the ``}`` makes a missing-word question. The type is decided in Moodle's order:
no braces is a description, ``{}`` an essay, ``{#`` numerical, a ``~`` multiple choice,
``=`` with ``->`` matching, ``T``/``TRUE``/``F``/``FALSE`` true/false, anything else short answer.

mlcards keeps multiple choice and true/false. Multiple choice with one ``=`` answer is a
single-answer card (``~%-N%`` penalties are dropped: a wrong answer is wrong; ``~%50%``
partial credit next to it is kept as that choice's feedback, "(50% credit in the source)");
without any ``=``, answers with a positive ``%weight%`` are the right ones of a select-all
card. Skipped, each reported as ``FILE:LINE: skipped <type> question``: the other types, and
questions whose meaning a card cannot keep: several ``=`` answers (GIFT accepts any one of
them), no answer with full credit, select-all weights that do not add up to 100%, more than
10 answers.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace

from mlcards.deckcheck import MAX_CHOICES
from mlcards.formats._common import CHOICE_IDS, Draft, DraftChoice, Issue, slugify
from mlcards.formats.markdown import escape_markdown, html_to_markdown

BLANK = r"\_\_\_\_\_"
"""The missing word's blank, as Markdown that shows ``_____``."""

# Escaped characters stand in as code points from a private-use plane while the structure
# is parsed, exactly as Moodle's importer swaps them for placeholders.
_RESERVED = re.compile("[\U000f0000-\U000f00ff]")
_PLACEHOLDER = {c: chr(0xF0000 + i) for i, c in enumerate("\\:#={}~n")}
_LITERAL = {v: ("\n" if k == "n" else k) for k, v in _PLACEHOLDER.items()}
_BLANK_MARK = chr(0xF00FF)
_ESCAPE = re.compile(r"\\([\\:#={}~n])")
_FORMAT = re.compile(r"\[(html|moodle|plain|markdown)\]")
_WEIGHT = re.compile(r"%(-?\d{1,3}(?:\.\d+)?)%")
_BAD_WEIGHT = re.compile(r"%[^%\s]{0,12}%")
_CONTEXT = re.compile(r"\$\w+\$")
_TF = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_FULL, _WEIGHT_SLACK = 100.0, 1.0


class _Problem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Unkept(Exception):
    """A multiple-choice question whose meaning a card cannot keep; the reason says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Skip:
    line: int
    kind: str
    reason: str = ""


@dataclass(frozen=True)
class _Category:
    tag: str


def _unescape(text: str) -> str:
    return "".join(_LITERAL.get(c, c) for c in text)


def _format_of(text: str, default: str) -> tuple[str, str]:
    """(format, text without its ``[format]`` prefix); the default when none is named."""
    text = text.strip()
    match = _FORMAT.match(text)
    if match is None:
        return default, text
    return match.group(1), text[match.end() :]


def _markdown(raw: str, fmt: str) -> str:
    text = _unescape(raw).strip()
    if fmt == "markdown":
        converted = text
    elif fmt == "plain":
        converted = escape_markdown(text)
    else:
        converted = html_to_markdown(text, newlines_break=fmt == "moodle")
    return converted.replace(_BLANK_MARK, BLANK).strip()


def _plain_text(raw: str, fmt: str) -> str:
    """Choice and feedback text, which mlcards shows as plain text: escapes resolved, HTML
    tags dropped and entities decoded, nothing escaped for Markdown."""
    text = _unescape(raw).strip()
    if fmt in ("html", "moodle"):
        import html

        text = html.unescape(re.sub(r"<[^<>]*>", " ", text))  # [^<>]: linear on a lone "<"
    return " ".join(text.replace(_BLANK_MARK, "_____").split())


def _plain(raw: str) -> str:
    """Source text for ids and messages: escapes resolved, the blank as written."""
    return _unescape(raw).replace(_BLANK_MARK, "_____").strip()


class _Block:
    """One question's lines joined, with the source line of every character."""

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.text = "\n".join(text for _, text in lines)
        self.numbers = [number for number, _ in lines]
        self.starts = []
        offset = 0
        for _, text in lines:
            self.starts.append(offset)
            offset += len(text) + 1

    @property
    def line(self) -> int:
        return self.numbers[0]

    def line_at(self, offset: int) -> int:
        return self.numbers[max(0, bisect.bisect_right(self.starts, offset) - 1)]


def _blocks(text: str) -> tuple[list[_Block], list[tuple[int, str]]]:
    blocks: list[_Block] = []
    problems: list[tuple[int, str]] = []
    current: list[tuple[int, str]] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            if current:
                blocks.append(_Block(current))
                current = []
            continue
        if line.startswith("//"):
            continue
        reserved = _RESERVED.search(line)
        if reserved:
            problems.append(
                (number, f"character U+{ord(reserved.group()):05X} (private use) is not allowed")
            )
            continue
        current.append((number, _ESCAPE.sub(lambda m: _PLACEHOLDER[m.group(1)], line)))
    if current:
        blocks.append(_Block(current))
    return blocks, problems


def rows(text: str, path: str) -> list[Draft | Issue]:
    """Every question's draft, skip or problem, in line order, for ``write_deck``."""
    blocks, early = _blocks(text)
    items: list[Draft | Issue] = [Issue(line, message) for line, message in early]
    tag = ""
    for block in blocks:
        try:
            result = _question(block, tag)
        except _Problem as problem:
            items.append(Issue(problem.line, problem.message))
            continue
        if isinstance(result, _Category):
            tag = result.tag
        elif isinstance(result, _Skip):
            reason = f": {result.reason}" if result.reason else ""
            items.append(Issue(result.line, f"skipped {result.kind} question{reason}", False))
        else:
            items.append(result)
    items.sort(key=lambda item: item.line)
    return items


def _category(block: _Block) -> _Category:
    if len(block.numbers) > 1:
        raise _Problem(
            block.numbers[1], "a $CATEGORY: line stands alone: put a blank line after it"
        )
    path = _unescape(block.text[len("$CATEGORY:") :]).strip()
    parts = [p.replace("//", "/").strip() for p in re.split(r"(?<!/)/(?!/)", path)]
    names = [p for p in parts if p and not _CONTEXT.fullmatch(p) and p.casefold() != "top"]
    return _Category(slugify(names[-1]) if names else "")


def _question(block: _Block, tag: str) -> Draft | _Skip | _Category:
    text = block.text
    if text.startswith("$CATEGORY:"):
        return _category(block)
    title = ""
    start = 0
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise _Problem(block.line, "the title opened with '::' is not closed by '::'")
        title = " ".join(_unescape(text[2:end]).split())
        start = end + 2
    opening = text.find("{", start)
    closing = text.find("}", start)
    if opening < 0 and closing < 0:
        return _Skip(block.line, "description")
    if closing < 0:
        raise _Problem(block.line_at(opening), "'{' opens the answers but no '}' closes them")
    if opening < 0 or closing < opening:
        raise _Problem(
            block.line_at(closing),
            "'}' without a '{' before it (write a literal brace as \\})",
        )
    again = text.find("{", closing + 1)
    if again >= 0:
        raise _Problem(
            block.line_at(again),
            "a second '{': a question has one answer block (write a literal brace as \\{)",
        )
    before, answers, after = text[start:opening], text[opening + 1 : closing], text[closing + 1 :]
    stem = before + _BLANK_MARK + after if after.strip() else before
    general = ""
    split = answers.rfind("####")
    if split >= 0:
        general, answers = answers[split + 4 :], answers[:split]
    body = answers.strip()
    kind = _kind(body)
    if kind not in ("multiple choice", "true/false"):
        return _Skip(block.line, kind)

    stem_format, stem_text = _format_of(stem, "moodle")
    question = _markdown(stem_text, stem_format)
    if not question:
        raise _Problem(block.line, "the question has no text")
    explanation = ""
    if general.strip():
        general_format, general_text = _format_of(general, stem_format)
        explanation = _markdown(general_text, general_format)
    choices: tuple[DraftChoice, ...]
    answer: tuple[str, ...]
    multiple, choice_key = False, ""
    if kind == "true/false":
        choices, answer = _true_false(body, stem_format), (_tf_answer(body),)
    else:
        offset = opening + 1 + (len(answers) - len(answers.lstrip()))
        try:
            choices, answer, multiple, choice_key = _multiple_choice(
                block, body, offset, stem_format
            )
        except _Unkept as unkept:
            return _Skip(block.line, kind, unkept.reason)
    return Draft(
        line=block.line,
        question=question,
        choices=choices,
        answer=answer,
        multiple=multiple,
        explanation=explanation,
        key=_plain(stem_text),
        choice_key=choice_key,
        title_id=slugify(title, 60),
        title=title,
        tags=(tag,) if tag else (),
    )


def _kind(answers: str) -> str:
    if not answers:
        return "essay"
    if answers.startswith("#"):
        return "numerical"
    if "~" in answers:
        return "multiple choice"
    if "=" in answers and "->" in answers:
        return "matching"
    if answers.split("#", 1)[0].strip() in _TF:
        return "true/false"
    return "short answer"


def _tf_answer(body: str) -> str:
    return "true" if _TF[body.split("#", 1)[0].strip()] else "false"


def _true_false(body: str, fmt: str) -> tuple[DraftChoice, ...]:
    """Moodle's rule: the first feedback is for a wrong answer, the second for a right one."""
    parts = body.split("#", 2)
    wrong = _feedback(parts[1], fmt) if len(parts) > 1 else ""
    right = _feedback(parts[2], fmt) if len(parts) > 2 else ""
    is_true = _tf_answer(body) == "true"
    return (
        DraftChoice("true", "True", right if is_true else wrong),
        DraftChoice("false", "False", wrong if is_true else right),
    )


def _feedback(raw: str, default: str) -> str:
    fmt, text = _format_of(raw, default)
    return _plain_text(text, fmt) if text.strip() else ""


@dataclass(frozen=True)
class _Answer:
    line: int
    right: bool  # written with '='
    weight: float
    text: str
    source: str
    feedback: str


def _split_answers(block: _Block, body: str, offset: int, fmt: str) -> list[_Answer]:
    marks = [m.start() for m in re.finditer("[=~]", body)]
    lead = body[: marks[0]].strip() if marks else body.strip()
    if lead:
        raise _Problem(
            block.line_at(offset),
            f"text {_plain(lead)!r} before the first answer: each answer starts with = or ~",
        )
    found: list[_Answer] = []
    for number, (at, end) in enumerate(zip(marks, marks[1:] + [len(body)], strict=True), 1):
        line = block.line_at(offset + at)
        piece = body[at + 1 : end].strip()
        weight = _FULL if body[at] == "=" else 0.0
        match = _WEIGHT.match(piece)
        if match:
            weight = float(match.group(1))
            if abs(weight) > _FULL:
                raise _Problem(line, f"answer {number}: weight {match.group()} is beyond ±100%")
            piece = piece[match.end() :]
        elif _BAD_WEIGHT.match(piece):
            bad = _BAD_WEIGHT.match(piece)
            assert bad is not None
            raise _Problem(line, f"answer {number}: weight {_plain(bad.group())!r} is not a number")
        text, _, feedback = piece.partition("#")
        answer_format, answer_text = _format_of(text, fmt)
        if not answer_text.strip():
            raise _Problem(line, f"answer {number} has no text")
        converted = _plain_text(answer_text, answer_format)
        if not converted:
            raise _Problem(line, f"answer {number} has no text once its HTML is converted")
        found.append(
            _Answer(
                line,
                body[at] == "=",
                weight,
                converted,
                _plain(answer_text),
                _feedback(feedback, fmt),
            )
        )
    return found


def _percent(weight: float) -> str:
    return f"{weight:g}%"


def _credit_note(feedback: str, weight: float) -> str:
    """Partial credit kept where the learner sees it: in the choice's feedback."""
    note = f"({_percent(weight)} credit in the source)"
    return f"{feedback} {note}" if feedback else note


def _multiple_choice(
    block: _Block, body: str, offset: int, fmt: str
) -> tuple[tuple[DraftChoice, ...], tuple[str, ...], bool, str]:
    """(choices, answer, select-all, the answers as written for ids); _Unkept when a card
    cannot mean what the question means."""
    answers = _split_answers(block, body, offset, fmt)
    key = "\n".join(a.source for a in answers)
    if len(answers) < 2:
        raise _Problem(block.line, "a multiple-choice question needs at least 2 answers")
    if len(answers) > MAX_CHOICES:
        raise _Unkept(f"{len(answers)} answers; a card has at most {MAX_CHOICES}")
    choices = tuple(DraftChoice(CHOICE_IDS[i], a.text, a.feedback) for i, a in enumerate(answers))
    if any(a.right for a in answers):
        full = [i for i, a in enumerate(answers) if a.weight >= _FULL]
        if len(full) > 1:
            shown = ", ".join(repr(answers[i].source) for i in full)
            raise _Unkept(
                f"{len(full)} answers are right ({shown}); GIFT accepts any one of them, "
                "a card has one right answer"
            )
        if not full:
            partial = [a for a in answers if 0 < a.weight < _FULL]
            shown = ", ".join(f"{a.source!r} ({_percent(a.weight)})" for a in partial)
            raise _Unkept(
                f"no answer has full credit, only {shown}; a card's answer is right or wrong"
            )
        choices = tuple(
            replace(choice, feedback=_credit_note(choice.feedback, answer.weight))
            if 0 < answer.weight < _FULL
            else choice
            for choice, answer in zip(choices, answers, strict=True)
        )
        return choices, (CHOICE_IDS[full[0]],), False, key
    correct = [i for i, a in enumerate(answers) if a.weight > 0]
    if not correct:
        raise _Problem(
            block.line,
            "no answer is right: mark one with = or give the right ones a positive %weight%",
        )
    total = sum(answers[i].weight for i in correct)
    if abs(total - _FULL) > _WEIGHT_SLACK:
        raise _Unkept(
            f"the positive weights add up to {_percent(total)}, not 100%, so which answers "
            "make a right selection is unclear"
        )
    return choices, tuple(CHOICE_IDS[i] for i in correct), True, key
