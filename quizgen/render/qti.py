"""Canvas Classic Quizzes export: a QTI 1.2 zip with one question group per ``Exam.groups`` entry.

Layout of the zip (what Canvas's importer and its converter, instructure/QTIMigrationTool, read)::

    imsmanifest.xml            IMS CP manifest (namespace imsccv1p1/imscp_v1p1), two resources:
                               the assessment (type imsqti_xmlv1p2) and its Canvas metadata
                               (type associatedcontent/imscc_xmlv1p1/learning-application-resource)
    <id>/<id>.xml              <questestinterop> (namespace ims_qtiasiv1p2): one assessment,
                               a root section, and per group a nested <section> with
                               selection_ordering/selection/selection_number = pick and
                               selection_extension/points_per_item, holding every variant
    <id>/assessment_meta.xml   <quiz> (namespace canvas cccv1p0): title, description (the
                               instructions), shuffle_answers, time_limit, points_possible

Items by kind:

- ``single`` → ``multiple_choice_question``: one ``respcondition`` ``varequal`` → SCORE 100.
- ``multiple`` → ``multiple_answers_question``: one ``respcondition`` whose ``<and>`` holds a
  ``varequal`` per correct choice and a ``<not><varequal>`` per wrong one.
- ``numeric`` → ``numerical_question``: ``<or><varequal>x</varequal><and><vargte>x − tol
  </vargte><varlte>x + tol</varlte></and></or>``. Canvas rounds what a student types to 4
  decimals (so anything below 1e-4 in magnitude becomes 0); an answer interval holding no
  4-decimal number could never be graded correct and is refused with ``OutputError``.

Each item carries the ``qtimetadatafield``s question_type, points_possible, original_answer_ids
and assessment_question_identifierref. General feedback (``general_fb``) is the worked solution;
per-answer feedback (``<answer id>_fb``) is the choice's explanation (the misconception sentence
for a wrong option). Feedback conditions come before the scoring condition, as in Canvas's own
exports: Canvas reads answer weights condition by condition, so the scoring one must be last.

Stems, choices and feedback are HTML fragments from ``htmlblocks`` placed as the text of
``mattext texttype="text/html"``; the XML is built with lxml, whose serializer escapes that text
exactly once, cannot emit malformed XML and rejects characters XML forbids (reported as
``OutputError`` naming the question). lxml rather than Jinja templates for that reason: every
field here is either structure or escaped text, so there is nothing a template would make
clearer, and no template can forget an escape.

Identifiers derive from the content only: an item's ident is its question ``uid``, answer ids
append the option label, the assessment id hashes the slug, seed and item ids. The zip has
sorted entries, timestamps 1980-01-01 00:00:00, fixed permissions and deflate level 9: the same
exam gives the same bytes.
"""
from __future__ import annotations

import hashlib
import io
import math
import re
import zipfile
from fractions import Fraction
from pathlib import Path

from lxml import etree

from quizgen.errors import OutputError
from quizgen.exam import Exam, QuestionGroup
from quizgen.misconceptions import CATALOGUE
from quizgen.model import LABELS, Question
from quizgen.render.exactnum import PLACES, exact, number_text
from quizgen.render.htmlblocks import blocks_html, esc

NS_QTI = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
NS_CP = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
NS_CCC = "http://canvas.instructure.com/xsd/cccv1p0"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"

QUESTION_TYPES = {"single": "multiple_choice_question",
                  "multiple": "multiple_answers_question",
                  "numeric": "numerical_question"}
META_RESOURCE = "associatedcontent/imscc_xmlv1p1/learning-application-resource"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
CANVAS_DECIMALS = 4

_NOT_NCNAME = re.compile(r"[^A-Za-z0-9_-]")


def ncname(s: str) -> str:
    """An identifier Canvas's converter keeps unchanged: ASCII letters, digits, ``-`` and
    ``_``, starting with a letter or ``_`` (other characters become ``-``)."""
    s = _NOT_NCNAME.sub("-", s) or "_"
    return s if (s[0].isalpha() or s[0] == "_") else "q" + s


class _Doc:
    """Element factory for one namespace (keeps the tree-building code short)."""

    def __init__(self, ns: str):
        self.ns = ns

    def root(self, tag: str, nsmap: dict | None = None, **attrs) -> etree._Element:
        return self._checked(lambda: etree.Element(
            f"{{{self.ns}}}{tag}", {k: str(v) for k, v in attrs.items()},
            nsmap={None: self.ns, **(nsmap or {})}), attrs)

    def sub(self, parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
        def make():
            el = etree.SubElement(parent, f"{{{self.ns}}}{tag}",
                                  {k: str(v) for k, v in attrs.items()})
            if text is not None:
                el.text = text
            return el
        return self._checked(make, attrs, text)

    @staticmethod
    def _checked(make, attrs, text=None):
        try:
            return make()
        except ValueError as err:  # lxml refuses characters XML cannot hold (e.g. U+0000)
            bad = " ".join([text or ""] + [str(v) for v in attrs.values()]).strip()
            raise OutputError(f"cannot write {bad[:60]!r} to XML: {err}") from None


def _serialize(root) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            + etree.tostring(root, encoding="UTF-8", pretty_print=True))


# ---- identifiers ---------------------------------------------------------------------------
def item_idents(exam: Exam) -> list[list[str]]:
    """Per group, per variant: the item ident (the question uid; a repeated uid gets ``-2``,
    ``-3``… in order of appearance)."""
    seen: dict[str, int] = {}
    out = []
    for group in exam.groups:
        idents = []
        for q in group.variants:
            base = ncname(q.uid)
            seen[base] = seen.get(base, 0) + 1
            idents.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
        out.append(idents)
    return out


def assessment_ident(exam: Exam, idents: list[list[str]]) -> str:
    """``quizgen-<slug>-<digest>``; the digest covers slug, seed and every item ident."""
    h = hashlib.sha256("\n".join([exam.meta.slug, str(exam.meta.seed)]
                                 + [",".join(g) for g in idents]).encode()).hexdigest()[:12]
    return f"{ncname('quizgen-' + exam.meta.slug)[:48]}-{h}"


def answer_ids(q: Question, ident: str) -> list[str]:
    """Answer ids of an item: ``<ident>-A``, ``<ident>-B``…; a numeric item has one,
    ``<ident>-answer``."""
    if q.kind == "numeric":
        return [f"{ident}-answer"]
    return [f"{ident}-{LABELS[i]}" for i in range(len(q.choices))]


# ---- numeric answers -----------------------------------------------------------------------
def numeric_bounds(q: Question) -> tuple[Fraction, Fraction, Fraction]:
    """(value, low, high) of a numeric question, checked for what Canvas can grade; low and
    high are x ∓ tolerance rounded outward to ``exactnum.PLACES`` decimals."""
    try:
        x, tol = exact(q.answer), exact(q.tolerance)
    except (TypeError, ValueError):
        raise OutputError(f"question {q.uid}: numeric answer {q.answer!r} ± {q.tolerance!r} is "
                          f"not a finite number") from None
    if tol < 0:
        raise OutputError(f"question {q.uid}: negative tolerance {q.tolerance!r}")
    lo, hi = x - tol, x + tol
    scale = 10 ** CANVAS_DECIMALS
    if math.ceil(lo * scale) > math.floor(hi * scale):
        raise OutputError(
            f"question {q.uid}: numeric answer {number_text(x)} ± {number_text(tol)} contains no "
            f"number with {CANVAS_DECIMALS} decimals; Canvas rounds a student's entry to "
            f"{CANVAS_DECIMALS} decimals (below 0.0001 it becomes 0), so no entry could be graded "
            f"correct. Widen the tolerance or change the unit.")
    # bounds rounded outward to the printed precision, so the interval never shrinks
    unit = 10 ** PLACES
    return x, Fraction(math.floor(lo * unit), unit), Fraction(math.ceil(hi * unit), unit)


# ---- the assessment ------------------------------------------------------------------------
Q = _Doc(NS_QTI)


def _mattext(parent, html: str, where: str) -> None:
    material = Q.sub(parent, "material")
    try:
        Q.sub(material, "mattext", html, texttype="text/html")
    except OutputError as err:
        raise OutputError(f"{where}: {err}") from None


def _metadata(item, fields: list[tuple[str, str]]) -> None:
    md = Q.sub(Q.sub(item, "itemmetadata"), "qtimetadata")
    for label, entry in fields:
        field = Q.sub(md, "qtimetadatafield")
        Q.sub(field, "fieldlabel", label)
        Q.sub(field, "fieldentry", entry)


def _feedback_condition(rp, linkrefid: str, answer_id: str | None = None) -> None:
    cond = Q.sub(rp, "respcondition", **{"continue": "Yes"})
    cv = Q.sub(cond, "conditionvar")
    if answer_id is None:
        Q.sub(cv, "other")
    else:
        Q.sub(cv, "varequal", answer_id, respident="response1")
    Q.sub(cond, "displayfeedback", feedbacktype="Response", linkrefid=linkrefid)


def _choice_feedback(choice) -> str:
    if choice.explanation:
        return choice.explanation
    return CATALOGUE.get(choice.misconception, "") if choice.misconception else ""


def _item(section, q: Question, ident: str, title: str) -> None:
    where = f"question {q.uid}"
    if q.kind not in QUESTION_TYPES:
        raise OutputError(f"{where}: unknown kind {q.kind!r}")
    ids = answer_ids(q, ident)
    item = Q.sub(section, "item", ident=ident, title=title)
    _metadata(item, [("question_type", QUESTION_TYPES[q.kind]),
                     ("points_possible", number_text(q.points)),
                     ("original_answer_ids", ",".join(ids)),
                     ("assessment_question_identifierref", f"{ident}-bank")])

    presentation = Q.sub(item, "presentation")
    _mattext(presentation, blocks_html(q.stem), where)
    if q.kind == "numeric":
        value, lo, hi = numeric_bounds(q)
        fib = Q.sub(Q.sub(presentation, "response_str", ident="response1", rcardinality="Single"),
                    "render_fib", fibtype="Decimal")
        Q.sub(fib, "response_label", ident="answer1")
    else:
        if not any(c.correct for c in q.choices) or (
                q.kind == "single" and sum(c.correct for c in q.choices) != 1):
            raise OutputError(f"{where}: a {q.kind} question needs "
                              f"{'exactly one' if q.kind == 'single' else 'at least one'} "
                              f"correct choice")
        lid = Q.sub(presentation, "response_lid", ident="response1",
                    rcardinality="Single" if q.kind == "single" else "Multiple")
        render = Q.sub(lid, "render_choice")
        for aid, choice in zip(ids, q.choices):
            _mattext(Q.sub(render, "response_label", ident=aid),
                     blocks_html(choice.content, inline=True), where)

    rp = Q.sub(item, "resprocessing")
    Q.sub(Q.sub(rp, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname="SCORE",
          vartype="Decimal")
    if q.solution:
        _feedback_condition(rp, "general_fb")
    feedback = [(aid, _choice_feedback(c)) for aid, c in zip(ids, q.choices)]
    feedback = [(aid, text) for aid, text in feedback if text]
    for aid, _ in feedback:
        _feedback_condition(rp, f"{aid}_fb", aid)

    scoring = Q.sub(rp, "respcondition", **{"continue": "No"})
    cv = Q.sub(scoring, "conditionvar")
    if q.kind == "single":
        Q.sub(cv, "varequal", next(aid for aid, c in zip(ids, q.choices) if c.correct),
              respident="response1")
    elif q.kind == "multiple":
        both = Q.sub(cv, "and")
        for aid, choice in zip(ids, q.choices):
            parent = both if choice.correct else Q.sub(both, "not")
            Q.sub(parent, "varequal", aid, respident="response1")
    else:
        either = Q.sub(cv, "or")
        Q.sub(either, "varequal", number_text(value), respident="response1")
        within = Q.sub(either, "and")
        Q.sub(within, "vargte", number_text(lo), respident="response1")
        Q.sub(within, "varlte", number_text(hi), respident="response1")
    Q.sub(scoring, "setvar", "100", action="Set", varname="SCORE")

    if q.solution:
        fb = Q.sub(item, "itemfeedback", ident="general_fb")
        _mattext(Q.sub(fb, "flow_mat"), blocks_html(q.solution), where)
    for aid, text in feedback:
        fb = Q.sub(item, "itemfeedback", ident=f"{aid}_fb")
        _mattext(Q.sub(fb, "flow_mat"), f"<p>{esc(text)}</p>", where)


def _check_group(group: QuestionGroup, index: int) -> None:
    where = f"question group {index + 1} ({group.title!r})"
    if not group.variants:
        raise OutputError(f"{where} has no variants")
    if not 1 <= group.pick <= len(group.variants):
        raise OutputError(f"{where}: pick {group.pick} must lie between 1 and the "
                          f"{len(group.variants)} variants")
    for q in group.variants:
        if exact(q.points) != exact(group.points_per_item):
            raise OutputError(f"{where}: question {q.uid} is worth {number_text(q.points)} "
                              f"points but the group gives {number_text(group.points_per_item)} "
                              f"per item; Canvas would silently use the group's value")


def assessment_xml(exam: Exam, ident: str, idents: list[list[str]]) -> bytes:
    """The ``questestinterop`` document."""
    root = Q.root("questestinterop", nsmap={"xsi": NS_XSI})
    root.set(f"{{{NS_XSI}}}schemaLocation",
             f"{NS_QTI} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd")
    assessment = Q.sub(root, "assessment", ident=ident, title=exam.meta.title)
    md = Q.sub(assessment, "qtimetadata")
    fields = [("cc_maxattempts", "1")]
    if exam.meta.duration_minutes:
        fields.append(("qmd_timelimit", str(int(exam.meta.duration_minutes))))
    for label, entry in fields:
        field = Q.sub(md, "qtimetadatafield")
        Q.sub(field, "fieldlabel", label)
        Q.sub(field, "fieldentry", entry)
    root_section = Q.sub(assessment, "section", ident="root_section")
    for g, (group, group_idents) in enumerate(zip(exam.groups, idents)):
        _check_group(group, g)
        gid = "group-" + hashlib.sha256(",".join(group_idents).encode()).hexdigest()[:12]
        section = Q.sub(root_section, "section", ident=gid, title=group.title)
        selection = Q.sub(Q.sub(section, "selection_ordering"), "selection")
        Q.sub(selection, "selection_number", str(group.pick))
        Q.sub(Q.sub(selection, "selection_extension"), "points_per_item",
              number_text(group.points_per_item))
        n = len(group.variants)
        for k, (q, item_ident) in enumerate(zip(group.variants, group_idents), 1):
            _item(section, q, item_ident, f"{group.title} ({k}/{n})" if n > 1 else group.title)
    return _serialize(root)


# ---- Canvas metadata and manifest ----------------------------------------------------------
def points_possible(exam: Exam) -> Fraction:
    """What the quiz is worth: Σ pick × points_per_item over the groups."""
    return sum((group.pick * exact(group.points_per_item) for group in exam.groups), Fraction(0))


def assessment_meta_xml(exam: Exam, ident: str) -> bytes:
    """The Canvas ``<quiz>`` settings document."""
    C = _Doc(NS_CCC)
    root = C.root("quiz", nsmap={"xsi": NS_XSI}, identifier=ident)
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_CCC} https://canvas.instructure.com/xsd/cccv1p0.xsd")
    meta, points = exam.meta, number_text(points_possible(exam))
    C.sub(root, "title", meta.title)
    C.sub(root, "description", "\n".join(f"<p>{esc(line)}</p>" for line in meta.instructions))
    C.sub(root, "shuffle_answers", "true" if meta.shuffle_answers else "false")
    C.sub(root, "scoring_policy", "keep_highest")
    C.sub(root, "quiz_type", "assignment")
    C.sub(root, "points_possible", points)
    if meta.duration_minutes:
        C.sub(root, "time_limit", str(int(meta.duration_minutes)))
    C.sub(root, "allowed_attempts", "1")
    C.sub(root, "available", "false")
    assignment = C.sub(root, "assignment", identifier=f"{ident}-assignment")
    C.sub(assignment, "title", meta.title)
    C.sub(assignment, "workflow_state", "unpublished")
    C.sub(assignment, "quiz_identifierref", ident)
    C.sub(assignment, "points_possible", points)
    C.sub(assignment, "grading_type", "points")
    C.sub(assignment, "submission_types", "online_quiz")
    return _serialize(root)


def manifest_xml(ident: str) -> bytes:
    """The IMS content-packaging manifest listing the assessment and its Canvas metadata."""
    M = _Doc(NS_CP)
    root = M.root("manifest", nsmap={"xsi": NS_XSI}, identifier=f"{ident}-manifest")
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_CP} http://www.imsglobal.org/xsd/imscp_v1p1.xsd")
    metadata = M.sub(root, "metadata")
    M.sub(metadata, "schema", "IMS Content")
    M.sub(metadata, "schemaversion", "1.1.3")
    M.sub(root, "organizations")
    resources = M.sub(root, "resources")
    quiz = M.sub(resources, "resource", identifier=ident, type="imsqti_xmlv1p2")
    M.sub(quiz, "file", href=f"{ident}/{ident}.xml")
    M.sub(quiz, "dependency", identifierref=f"{ident}-meta")
    meta = M.sub(resources, "resource", identifier=f"{ident}-meta", type=META_RESOURCE,
                 href=f"{ident}/assessment_meta.xml")
    M.sub(meta, "file", href=f"{ident}/assessment_meta.xml")
    return _serialize(root)


def qti_files(exam: Exam) -> dict[str, bytes]:
    """Path in the zip → content, for every file of the package."""
    if not exam.groups:
        raise OutputError("the exam has no question groups to export to Canvas")
    idents = item_idents(exam)
    ident = assessment_ident(exam, idents)
    return {
        "imsmanifest.xml": manifest_xml(ident),
        f"{ident}/{ident}.xml": assessment_xml(exam, ident, idents),
        f"{ident}/assessment_meta.xml": assessment_meta_xml(exam, ident),
    }


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A deterministic zip: sorted entries, fixed date, permissions and compression."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            zf.writestr(info, files[name], compresslevel=9)
    return buf.getvalue()


def write_qti_zip(exam: Exam, path) -> Path:
    """Write the Canvas QTI 1.2 zip of ``exam`` to ``path``; returns the path."""
    path = Path(path)
    data = zip_bytes(qti_files(exam))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from None
    return path
