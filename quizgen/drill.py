"""The terminal drill: one question at a time, feedback, worked solution, running score.

Answers are read from a callable (``input`` on a terminal, or lines of a file / piped stdin for
scripted use): a letter, several letters for select-all ("AC", "A,C", "a c"), or a number.
``q`` (or ``quit``), end of input (Ctrl-D) and Ctrl-C end the drill with a summary.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, TextIO

from quizgen.model import LABELS, Question
from quizgen.numbers import fmt
from quizgen.render.text import blocks_text, question_text

QUIT = {"q", "quit", "exit"}


@dataclass
class DrillResult:
    asked: int = 0
    right: int = 0

    def summary(self, seed: int, command: str = "") -> str:
        """"Score: 3/4 (75%). Seed 21. To get the same questions again, run:" and ``command``
        indented on a line of its own (no punctuation glued to it, so it copies and pastes
        as is); without ``command``, one sentence naming ``--seed``."""
        pct = f" ({100 * self.right // self.asked}%)" if self.asked else ""
        score = f"Score: {self.right}/{self.asked}{pct}. Seed {seed}."
        if not command:
            return f"{score} The same questions again with --seed {seed}."
        return f"{score} To get the same questions again, run:\n  {command}"


class _Quit(Exception):
    pass


def parse_answer(q: Question, text: str):
    """The answer typed for ``q``: a set of letters, or a float; ``None`` when not understood."""
    t = text.strip()
    if q.kind == "numeric":
        t = t.replace("−", "-").replace(",", "")
        try:
            return float(t)
        except ValueError:
            return None
    letters = {ch.upper() for ch in re.sub(r"[\s,;]+", "", t)}
    valid = set(LABELS[:len(q.choices)])
    if not letters or not letters <= valid:
        return None
    if q.kind == "single" and len(letters) != 1:
        return None
    return letters


def _prompt(q: Question) -> str:
    if q.kind == "numeric":
        return "Your answer (a number, q to quit): "
    last = LABELS[len(q.choices) - 1]
    if q.kind == "multiple":
        return "Your answer (all correct letters, e.g. AC; q to quit): "
    return f"Your answer (A–{last}, q to quit): "


def _is_right(q: Question, answer) -> bool:
    if q.kind == "numeric":
        return abs(answer - float(q.answer)) <= q.tolerance + 1e-9 * max(1.0, abs(float(q.answer)))
    return answer == set(q.correct_labels)


def _feedback(q: Question, answer, right: bool) -> str:
    lines = ["Right!" if right else "Wrong."]
    if q.kind == "numeric":
        tol = f" (± {fmt(q.tolerance)})" if q.tolerance else ""
        if not right:
            lines.append(f"The answer is {fmt(q.answer, group=True)}{tol}.")
    else:
        if not right:
            lines.append(f"The answer is {', '.join(q.correct_labels)}.")
        for i, c in enumerate(q.choices):
            if LABELS[i] in answer and not c.correct:
                lines.append(f"Why {LABELS[i]} is wrong: {c.explanation}")
    lines.append("Solution:\n" + blocks_text(q.solution))
    return "\n".join(lines)


def run_drill(questions: Iterable[Question], read: Callable[[str], str], out: TextIO, *,
              seed: int, limit: int | None = None, command: str = "") -> DrillResult:
    """Ask questions until ``q``, end of input, Ctrl-C or ``limit``; print a summary naming
    ``command`` (the command line that asks the same questions again)."""
    result = DrillResult()
    out.write(f"quizgen practice drill · seed {seed} · answer with a letter or a number; "
              "q quits.\n")
    try:
        for number, q in enumerate(questions, 1):
            if limit is not None and number > limit:
                break
            out.write("\n" + question_text(q, number) + "\n")
            out.flush()
            while True:
                try:
                    text = read(_prompt(q))
                except EOFError:
                    raise _Quit from None
                if text.strip().lower() in QUIT:
                    raise _Quit
                answer = parse_answer(q, text)
                if answer is not None:
                    break
                out.write("Not understood: " + ("type a number.\n" if q.kind == "numeric" else
                          f"type letters from A to {LABELS[len(q.choices) - 1]}.\n"))
            right = _is_right(q, answer)
            result.asked += 1
            result.right += right
            out.write(_feedback(q, answer, right) + "\n")
            out.write(f"Score so far: {result.right}/{result.asked}\n")
    except (_Quit, KeyboardInterrupt):
        out.write("\n")
    out.write(result.summary(seed, command) + "\n")
    out.flush()
    return result


def line_reader(lines: Iterable[str], echo: TextIO) -> Callable[[str], str]:
    """A ``read`` for scripted answers: prints the prompt and the answer it takes."""
    it = iter(lines)

    def read(prompt: str) -> str:
        try:
            line = next(it)
        except StopIteration:
            raise EOFError from None
        echo.write(prompt + line.rstrip("\n") + "\n")
        return line
    return read
