"""The Canvas QTI 1.2 zip: structure, schema validity, answer keys, groups, escaping,
determinism, and a round trip through Canvas's own converter when it is available."""
from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
import zipfile
from fractions import Fraction
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from quizgen import families
from quizgen.errors import OutputError
from quizgen.exam import Exam, QuestionGroup
from quizgen.render import qti
from quizgen.render.exactnum import exact
from render_samples import HOSTILE, HOSTILE_TITLE, family_exam, hostile_questions, sample_exam

Q = "{%s}" % qti.NS_QTI
MIGRATE = Path("/tmp/QTIMigrationTool/migrate.py")


@pytest.fixture(scope="module")
def exam() -> Exam:
    return sample_exam()


@pytest.fixture(scope="module")
def package(exam, tmp_path_factory) -> Path:
    return qti.write_qti_zip(exam, tmp_path_factory.mktemp("qti") / "canvas_qti.zip")


@pytest.fixture(scope="module")
def files(package) -> dict[str, bytes]:
    with zipfile.ZipFile(package) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _strict(data: bytes):
    return etree.fromstring(data, etree.XMLParser(recover=False, resolve_entities=False))


@pytest.fixture(scope="module")
def assessment(files):
    (name,) = [n for n in files if n.endswith(".xml") and "/" in n and "assessment_meta" not in n]
    return _strict(files[name])


def _fields(item) -> dict[str, str]:
    return {f.findtext(Q + "fieldlabel"): f.findtext(Q + "fieldentry") or ""
            for f in item.iter(Q + "qtimetadatafield")}


def _html_text(fragment: str) -> str:
    return lxml.html.fragment_fromstring(fragment, create_parent="div").text_content()


# ---- package layout --------------------------------------------------------------------------
def test_zip_layout_manifest_and_meta(files, exam):
    ident = next(n.split("/")[0] for n in files if "/" in n)
    assert sorted(files) == sorted(["imsmanifest.xml", f"{ident}/{ident}.xml",
                                    f"{ident}/assessment_meta.xml"])
    manifest = _strict(files["imsmanifest.xml"])
    assert manifest.tag == "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}manifest"
    assert b"imsqti_v2" not in files["imsmanifest.xml"]
    assert b"imsqti_item_xmlv2" not in files["imsmanifest.xml"]
    cp = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
    resources = {r.get("type"): r for r in manifest.iter(cp + "resource")}
    assert set(resources) == {"imsqti_xmlv1p2", qti.META_RESOURCE}
    quiz = resources["imsqti_xmlv1p2"]
    assert quiz.find(cp + "file").get("href") == f"{ident}/{ident}.xml"
    meta_res = resources[qti.META_RESOURCE]
    assert quiz.find(cp + "dependency").get("identifierref") == meta_res.get("identifier")
    assert meta_res.find(cp + "file").get("href") == f"{ident}/assessment_meta.xml"

    meta = _strict(files[f"{ident}/assessment_meta.xml"])
    c = "{http://canvas.instructure.com/xsd/cccv1p0}"
    assert meta.tag == c + "quiz"
    assert meta.findtext(c + "title") == HOSTILE_TITLE
    assert meta.findtext(c + "shuffle_answers") == "true"
    assert meta.findtext(c + "time_limit") == "50"
    expected_points = sum(g.pick * Fraction(g.points_per_item) for g in exam.groups)
    assert exact(float(meta.findtext(c + "points_possible"))) == expected_points
    description = _html_text(meta.findtext(c + "description"))
    for line in exam.meta.instructions:
        assert line in description


def test_no_time_limit_without_duration(tmp_path):
    files = qti.qti_files(sample_exam(duration=None))
    meta = next(v for k, v in files.items() if k.endswith("assessment_meta.xml"))
    assert b"time_limit" not in meta and b"qmd_timelimit" not in next(
        v for k, v in files.items() if k.endswith(".xml") and "/" in k and "meta" not in k)


def test_zip_entries_are_fixed(package):
    with zipfile.ZipFile(package) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.compress_type == zipfile.ZIP_DEFLATED


# ---- schema ------------------------------------------------------------------------------------
def test_assessment_is_valid_qti12(shared_dir, assessment):
    xsd = shared_dir / "schemas" / "qti12" / "ims_qtiasiv1p2.xsd"
    if not xsd.is_file():
        pytest.skip(f"QTI 1.2 schema not found at {xsd}")
    etree.XMLSchema(etree.parse(str(xsd))).assertValid(assessment)


# ---- groups and keys ------------------------------------------------------------------------
def _group_sections(assessment):
    root = assessment.find(f"{Q}assessment/{Q}section")
    assert root.get("ident") == "root_section"
    return root.findall(Q + "section")


def test_groups_match_exam(assessment, exam):
    sections = _group_sections(assessment)
    assert len(sections) == len(exam.groups)
    for section, group in zip(sections, exam.groups):
        assert section.get("title") == group.title
        sel = section.find(f"{Q}selection_ordering/{Q}selection")
        assert sel.findtext(Q + "selection_number") == str(group.pick)
        assert exact(float(sel.findtext(f"{Q}selection_extension/{Q}points_per_item"))) \
            == exact(group.points_per_item)
        assert len(section.findall(Q + "item")) == len(group.variants)


def _scoring_condition(item):
    conds = [rc for rc in item.iter(Q + "respcondition")
             if rc.find(Q + "setvar") is not None]
    assert len(conds) == 1, "exactly one scoring condition"
    cond = conds[0]
    assert cond.findtext(Q + "setvar") == "100" and cond.get("continue") == "No"
    # Canvas reads weights condition by condition: the scoring one must come last.
    assert item.findall(f"{Q}resprocessing/{Q}respcondition")[-1] is cond
    return cond.find(Q + "conditionvar")


def check_keys(assessment, exam):
    """Every item's type, points, answer ids, key and feedback equal its Question's."""
    n_items = 0
    for section, group in zip(_group_sections(assessment), exam.groups):
        for item, q in zip(section.findall(Q + "item"), group.variants):
            n_items += 1
            fields = _fields(item)
            assert item.get("ident") == qti.ncname(q.uid)
            assert fields["question_type"] == qti.QUESTION_TYPES[q.kind]
            assert exact(float(fields["points_possible"])) == exact(q.points)
            ids = fields["original_answer_ids"].split(",")
            assert fields["assessment_question_identifierref"]
            cv = _scoring_condition(item)
            if q.kind == "numeric":
                (orr,) = cv
                assert orr.tag == Q + "or"
                x = Fraction(orr.findtext(Q + "varequal"))
                lo = Fraction(orr.findtext(f"{Q}and/{Q}vargte"))
                hi = Fraction(orr.findtext(f"{Q}and/{Q}varlte"))
                want, tol = exact(q.answer), exact(q.tolerance)
                ulp = Fraction(1, 10 ** 12)
                assert abs(x - want) <= ulp / 2
                assert want - tol - ulp < lo <= want - tol   # rounded outward, never inward
                assert want + tol <= hi < want + tol + ulp
                if (want * 10 ** 12).denominator == 1:       # terminating: printed exactly
                    assert (x, lo, hi) == (want, want - tol, want + tol)
                assert item.find(f".//{Q}render_fib").get("fibtype") == "Decimal"
                continue
            labels = [r.get("ident") for r in item.iter(Q + "response_label")]
            assert labels == ids and len(ids) == len(q.choices)
            correct = {i for i, c in zip(ids, q.choices) if c.correct}
            wrong = set(ids) - correct
            lid = item.find(f".//{Q}response_lid")
            if q.kind == "single":
                assert lid.get("rcardinality") == "Single"
                assert [v.text for v in cv] == list(correct)
            else:
                assert lid.get("rcardinality") == "Multiple"
                (both,) = cv
                assert both.tag == Q + "and"
                assert {v.text for v in both.findall(Q + "varequal")} == correct
                assert {n.findtext(Q + "varequal") for n in both.findall(Q + "not")} == wrong
            # per-answer feedback: the explanation of every option that has one
            fb = {f.get("ident"): _html_text(f.findtext(f".//{Q}mattext"))
                  for f in item.findall(Q + "itemfeedback")}
            for aid, choice in zip(ids, q.choices):
                if choice.explanation:
                    assert fb[f"{aid}_fb"] == choice.explanation
                if not choice.correct:
                    assert f"{aid}_fb" in fb, "every wrong option explains its misconception"
    assert n_items == sum(len(g.variants) for g in exam.groups)


def test_every_item_key_equals_its_question(assessment, exam):
    check_keys(assessment, exam)


def test_solution_is_general_feedback(assessment, exam):
    from quizgen.render.text import blocks_text
    first = _group_sections(assessment)[0].find(Q + "item")
    q = exam.groups[0].variants[0]
    fb = first.find(Q + "itemfeedback[@ident='general_fb']")
    text = _html_text(fb.findtext(f".//{Q}mattext"))
    assert "(3 × 3 × 3 + 1) × 64 = 1792" in text and HOSTILE in text
    assert blocks_text(q.solution).split("\n")[0][3:] in " ".join(text.split())


# ---- escaping ------------------------------------------------------------------------------
def test_hostile_text_is_escaped_once(assessment):
    item = _group_sections(assessment)[0].find(Q + "item")
    stem_html = item.find(f"{Q}presentation/{Q}material/{Q}mattext").text
    div = lxml.html.fragment_fromstring(stem_html, create_parent="div")
    text = div.text_content()
    assert HOSTILE in text                      # survives XML and HTML unescaping exactly
    assert "&amp;" not in text and "&lt;" not in text   # not double-escaped
    assert not div.xpath("//script|//style|//*[@class]")
    # inline math as sub/superscripts, matrices and tables as real tables
    assert [s.text for s in div.iter("sub")][:2] == ["h", "in"]
    assert "2" in [s.text for s in div.iter("sup")]
    tables = div.findall(".//table")
    assert len(tables) == 4                     # the Matrix, two in the MatrixRow, the Table
    shaded = [td for td in tables[0].iter("td") if "background-color" in td.get("style")]
    assert [td.text for td in shaded] == ["1", "−2", "4", "5"]
    assert tables[3].find("caption").text == "Table: 'AlexNet' <start>"
    assert [th.text for th in tables[3].iter("th")] == ["Layer <name>", "Output", "Params"]
    choices = [_html_text(m.text) for m in item.iter(Q + "mattext")
               if m.getparent().getparent().tag == Q + "response_label"]
    assert choices[1] == "x < 1 & y > 2 ]]>"
    assert choices[2] == "“quoted” 210 ≤ √4"   # 2<sup>10</sup> reads as 210 in plain text


def test_raw_xml_contains_no_unescaped_markup(files):
    name = next(n for n in files if "/" in n and "meta" not in n)
    raw = files[name].decode("utf-8")
    assert "]]>" not in raw
    assert "<p " not in raw and "<table" not in raw   # HTML lives in text, escaped once
    assert "&amp;lt;" in raw                            # '<' in text: HTML-escaped, then XML


def test_control_characters_are_refused_clearly():
    q = hostile_questions()[0]
    bad = dataclasses.replace(q, stem=(q.stem[0].__class__(("bell \x07 here",)),))
    exam = sample_exam()
    group = dataclasses.replace(exam.groups[0], variants=(bad,), pick=1)
    with pytest.raises(OutputError, match=q.uid):
        qti.qti_files(dataclasses.replace(exam, groups=(group,)))


# ---- refusals --------------------------------------------------------------------------------
def _with_group(group: QuestionGroup) -> Exam:
    return dataclasses.replace(sample_exam(), groups=(group,))


def test_points_must_agree_with_group():
    q = hostile_questions(points=1.0)[0]
    with pytest.raises(OutputError, match="per item"):
        qti.qti_files(_with_group(QuestionGroup("g", (q,), 1, 2.0)))


def test_pick_bounds_and_empty_groups():
    q = hostile_questions()[0]
    with pytest.raises(OutputError, match="pick 2"):
        qti.qti_files(_with_group(QuestionGroup("g", (q,), 2, 2.0)))
    with pytest.raises(OutputError, match="no variants"):
        qti.qti_files(_with_group(QuestionGroup("g", (), 1, 2.0)))
    with pytest.raises(OutputError, match="no question groups"):
        qti.qti_files(dataclasses.replace(sample_exam(), groups=()))


@pytest.mark.parametrize("answer, tol, ok", [
    (Fraction(1, 20000), 0.0, False),     # 0.00005: Canvas turns any entry below 1e-4 into 0
    (0.00005, 0.00001, False),
    (0.00005, 0.00005, True),             # the interval reaches 0.0001
    (0.0, 0.0, True),                     # 0 can be typed
    (0.12345, 0.0, False),                # five decimals, no tolerance: never matches
    (0.12345, 0.00005, True),
    (123456, 0.0, True),
])
def test_numeric_answers_canvas_can_grade(answer, tol, ok):
    q = dataclasses.replace(hostile_questions()[2], answer=answer, tolerance=tol)
    exam = _with_group(QuestionGroup("g", (q,), 1, q.points))
    if ok:
        qti.qti_files(exam)
    else:
        with pytest.raises(OutputError, match="4 decimals"):
            qti.qti_files(exam)


def test_repeated_question_gets_distinct_idents():
    q = hostile_questions()[0]
    exam = _with_group(QuestionGroup("g", (q, q), 1, q.points))
    exam = dataclasses.replace(exam, groups=exam.groups + (QuestionGroup("h", (q,), 1, q.points),))
    idents = qti.item_idents(exam)
    assert idents == [[qti.ncname(q.uid), qti.ncname(q.uid) + "-2"], [qti.ncname(q.uid) + "-3"]]
    assert qti.ncname("9 bad:id.x") == "q9-bad-id-x"


# ---- determinism ----------------------------------------------------------------------------
def test_same_exam_same_bytes(tmp_path, package):
    again = qti.write_qti_zip(sample_exam(), tmp_path / "again.zip")   # questions rebuilt
    digest = lambda p: hashlib.sha256(Path(p).read_bytes()).hexdigest()  # noqa: E731
    assert digest(again) == digest(package)


def test_same_bytes_in_another_process(package, tmp_path):
    """No dependence on hash randomization, time or process state."""
    out = tmp_path / "other.zip"
    code = ("import sys; sys.path[:0] = sys.argv[2:]; from render_samples import sample_exam; "
            "from quizgen.render.qti import write_qti_zip; write_qti_zip(sample_exam(), sys.argv[1])")
    tests_dir = Path(__file__).resolve().parent
    env = {"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code, str(out), str(tests_dir), str(tests_dir.parent)],
                   check=True, env=env, timeout=300)
    assert out.read_bytes() == package.read_bytes()


def test_identifiers_derive_from_content(files, exam):
    other = dataclasses.replace(exam, meta=dataclasses.replace(exam.meta, seed=exam.meta.seed + 1))
    ident = lambda fs: next(n.split("/")[0] for n in fs if "/" in n)  # noqa: E731
    assert ident(qti.qti_files(other)) != ident(files)
    assert ident(files).startswith("quizgen-cnn-midterm-")


# ---- Canvas's own converter -----------------------------------------------------------------
def canvas_check(shared_dir: Path, package: Path) -> None:
    """Run ../shared/tools/canvas_qti_check.py; require exit 0 and every line OK."""
    if not MIGRATE.is_file():
        pytest.skip(f"Canvas's converter (instructure/QTIMigrationTool) is not checked out at "
                    f"{MIGRATE.parent}; see ../shared/tools/README.md")
    checker = shared_dir / "tools" / "canvas_qti_check.py"
    r = subprocess.run([sys.executable, str(checker), str(package), "--migrate", str(MIGRATE)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    lines = r.stdout.strip().splitlines()
    assert lines[-1].endswith(" 0 problems")
    assert all(line.startswith("OK ") for line in lines[:-1]), r.stdout


def test_canvas_converter_keeps_every_key(shared_dir, package):
    canvas_check(shared_dir, package)


# ---- every registered family ----------------------------------------------------------------
def _family_package(name: str, tmp_path: Path) -> tuple[Exam, Path, etree._Element]:
    exam = family_exam(name)
    package = qti.write_qti_zip(exam, tmp_path / f"{name}.zip")
    with zipfile.ZipFile(package) as zf:
        (xml,) = [n for n in zf.namelist() if "/" in n and "assessment_meta" not in n]
        return exam, package, _strict(zf.read(xml))


@pytest.mark.parametrize("name", families.names())
def test_every_family_keys(name, tmp_path):
    exam, _, assessment = _family_package(name, tmp_path)
    check_keys(assessment, exam)


@pytest.mark.parametrize("name", families.names())
def test_every_family_schema_and_canvas(name, shared_dir, tmp_path):
    _, package, assessment = _family_package(name, tmp_path)
    xsd = shared_dir / "schemas" / "qti12" / "ims_qtiasiv1p2.xsd"
    if not xsd.is_file():
        pytest.skip(f"QTI 1.2 schema not found at {xsd}")
    etree.XMLSchema(etree.parse(str(xsd))).assertValid(assessment)
    canvas_check(shared_dir, package)
