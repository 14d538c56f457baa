"""``quizgen generate`` and ``quizgen validate``: the exam folder, its determinism, the manifest
against the CSV and the exam, overrides, --force, atomic failure, and the bundled specs."""
from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import quizgen
from quizgen.assemble import canonical_order
from quizgen.cli import main
from quizgen.errors import OutputError, QuizgenError
from quizgen.spec import load_spec

SPEC = """\
title: "Generate test: CNNs & <pooling> — ⌊(n − k)/s⌋ + 1"
course: CS540
date: 2026-03-24
instructions: [Fill in one bubble per question., "Σ, √ and × are fine; \\"quotes\\" & 'too'."]
seed: 42
versions: 3
difficulty: paper
slots:
  - family: conv_output_size
    count: 2
  - family: conv_output_size
    kind: numeric
    points: 2
    params: {H: 22, K: 11, S: 2, P: 0}
  - family: conv_output_size
    kind: multiple
    difficulty: standard
  - family: concepts
    kind: multiple
    params: {tag: alexnet}
  - family: concepts
    params: {tag: pooling}
shuffle: {questions: true, options: true}
canvas: {variants: 3, time_limit: 20}
"""
SLUG = "generate-test-cnns-pooling-n-k-s-1"
PER_VERSION = 6


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digests(folder: Path) -> dict[str, str]:
    return {p.name: sha(p) for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "exam.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def generated(spec_path, tmp_path_factory):
    """Two runs of the same spec into different folders."""
    outs = [tmp_path_factory.mktemp(f"run{i}") for i in (1, 2)]
    for out in outs:
        assert main(["generate", str(spec_path), "--out", str(out), "--quiet"]) == 0
    return [out / SLUG for out in outs]


def test_files_written(generated):
    names = sorted(p.name for p in generated[0].iterdir())
    assert names == sorted(["answer_key.csv", "canvas_qti.zip", "manifest.json"]
                           + [f"exam_v{v}.pdf" for v in (1, 2, 3)]
                           + [f"key_v{v}.pdf" for v in (1, 2, 3)])
    assert all(p.stat().st_size > 0 for p in generated[0].iterdir())
    # nothing else in the parent: no temporary folders left behind
    assert [p.name for p in generated[0].parent.iterdir()] == [SLUG]


def test_same_spec_same_seed_byte_identical(generated):
    first, second = (digests(folder) for folder in generated)
    assert first == second


def test_parallel_and_serial_rendering_agree(spec_path, generated, tmp_path):
    from quizgen.assemble import assemble
    from quizgen.output import write_exam_folder, workers_for
    assembly = assemble(load_spec(spec_path))
    serial = write_exam_folder(assembly, tmp_path / "serial", workers=1)
    parallel = write_exam_folder(assembly, tmp_path / "parallel", workers=2)
    assert serial.files == parallel.files
    assert digests(serial.folder) == digests(parallel.folder) == digests(generated[0])
    assert workers_for(3) == 1 and workers_for(8) >= 1


def test_manifest_lists_every_file_digest(generated):
    folder = generated[0]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"] == {name: digest for name, digest in digests(folder).items()
                                 if name != "manifest.json"}


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_bytes_are_render_json_dumps(generated, tmp_path):
    from quizgen.output import write_json
    from quizgen.render.json import dumps
    text = (generated[0] / "manifest.json").read_text(encoding="utf-8")
    assert dumps(json.loads(text)) == text
    obj = {"b": [1, 2.5, "×⌊⌋ <&> \"q\""], "a": {"z": None, "y": True}}
    write_json(tmp_path / "x.json", obj)
    assert (tmp_path / "x.json").read_bytes() == dumps(obj).encode("utf-8")


def test_manifest_header(generated, spec_path):
    m = read_manifest(generated[0])
    assert m["generator"] == f"quizgen {quizgen.__version__}"
    assert m["spec"] == str(spec_path)
    assert (m["seed"], m["versions"], m["questions_per_version"]) == (42, 3, PER_VERSION)
    assert m["slug"] == SLUG and m["title"].startswith("Generate test")
    assert [v["version"] for v in m["paper"]] == [1, 2, 3]
    assert len({v["code"] for v in m["paper"]}) == 3
    assert [s["family"] for s in m["slots"]] == ["conv_output_size"] * 3 + ["concepts"] * 2
    assert m["slots"][1]["params"] == {"H": 22, "K": 11, "S": 2, "P": 0}
    assert len(m["canvas"]["groups"]) == PER_VERSION
    assert all(len(g["variants"]) == 3 for g in m["canvas"]["groups"])


def test_manifest_matches_csv(generated):
    folder = generated[0]
    m = read_manifest(folder)
    with open(folder / "answer_key.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    from_manifest = [(str(v["version"]), str(q["number"]), ";".join(q["correct"]), q["kind"],
                      q["family"], str(q["seed"]), q["id"])
                     for v in m["paper"] for q in v["questions"]]
    from_csv = [(r["version"], r["question"], r["correct"], r["kind"], r["family"], r["seed"],
                 r["question_id"]) for r in rows]
    assert from_manifest == from_csv
    assert len(rows) == 3 * PER_VERSION
    for v in m["paper"]:
        for q in v["questions"]:
            row = rows[(v["version"] - 1) * PER_VERSION + q["number"] - 1]
            assert float(row["points"]) == q["points"]
            if q["kind"] == "numeric":
                assert float(row["answer"]) == q["answer"]
                assert float(row["tolerance"]) == q["tolerance"]


def test_manifest_matches_the_exam(generated, spec_path):
    m = read_manifest(generated[0])
    exam = quizgen.build_exam(load_spec(spec_path))
    for version, entry in zip(exam.versions, m["paper"]):
        assert entry["code"] == version.code
        assert entry["total_points"] == version.total_points
        for n, (q, e) in enumerate(zip(version.questions, entry["questions"]), 1):
            assert e["number"] == n
            assert (e["id"], e["seed"], e["family"], e["kind"], e["difficulty"], e["points"]) == \
                (q.uid, q.seed, q.family, q.kind, q.difficulty, q.points)
            assert e["params"] == q.params
            assert e["correct"] == list(q.correct_labels)
    for group, entry in zip(exam.groups, m["canvas"]["groups"]):
        assert entry["title"] == group.title
        assert [v["id"] for v in entry["variants"]] == [q.uid for q in group.variants]


def test_manifest_regenerates_every_question(generated):
    m = read_manifest(generated[0])
    for v in m["paper"]:
        for e in v["questions"]:
            q = quizgen.build_question(e["family"], seed=e["seed"], difficulty=e["difficulty"],
                                       kind=e["kind"], params=m["slots"][e["slot"]]["params"],
                                       points=e["points"])
            if not m["shuffle"]["options"]:
                q = canonical_order(q)
            assert (q.uid, list(q.correct_labels), q.params) == (e["id"], e["correct"],
                                                                e["params"])


def test_version_code_on_every_page(generated):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed")
    m = read_manifest(generated[0])
    for v in m["paper"]:
        for name in (f"exam_v{v['version']}.pdf", f"key_v{v['version']}.pdf"):
            text = subprocess.run(["pdftotext", str(generated[0] / name), "-"],
                                  capture_output=True, text=True, check=True).stdout
            pages = [p for p in text.split("\f") if p.strip()]
            assert pages and all(v["code"] in p for p in pages), name


def test_overrides_seed_and_versions(spec_path, generated, tmp_path, capsys):
    assert main(["generate", str(spec_path), "--out", str(tmp_path), "--seed", "7",
                 "--versions", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    folder = tmp_path / SLUG
    assert out[-1] == f"wrote {folder}"
    assert "  exam PDFs:     exam_v1.pdf … exam_v2.pdf (2)" in out
    assert "  Canvas QTI:    canvas_qti.zip" in out
    names = {p.name for p in folder.iterdir()}
    assert {"exam_v1.pdf", "exam_v2.pdf", "key_v2.pdf"} <= names
    assert "exam_v3.pdf" not in names
    m = read_manifest(folder)
    assert (m["seed"], m["versions"]) == (7, 2)
    default = read_manifest(generated[0])
    assert [q["seed"] for q in m["paper"][0]["questions"]] != \
        [q["seed"] for q in default["paper"][0]["questions"]]
    with open(folder / "answer_key.csv", newline="", encoding="utf-8") as fh:
        assert {r["version"] for r in csv.DictReader(fh)} == {"1", "2"}


def test_existing_folder_refused_and_untouched(spec_path, tmp_path, capsys):
    folder = tmp_path / SLUG
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    before = os.stat(folder / "notes.txt").st_mtime_ns
    assert main(["generate", str(spec_path), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"quizgen: error: output folder {folder} already exists; use --force to "
                   f"replace it"]
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert os.stat(folder / "notes.txt").st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [SLUG]


def test_force_replaces(spec_path, generated, tmp_path):
    folder = tmp_path / SLUG
    folder.mkdir()
    (folder / "stale.pdf").write_text("old", encoding="utf-8")
    assert main(["generate", str(spec_path), "--out", str(tmp_path), "--force", "--quiet"]) == 0
    assert digests(folder) == digests(generated[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == [SLUG]


def failing_renderer(*args, **kwargs):
    raise OutputError("injected failure in the QTI renderer")


def test_renderer_failure_leaves_nothing(spec_path, tmp_path, capsys, monkeypatch):
    import quizgen.render.qti
    monkeypatch.setattr(quizgen.render.qti, "write_qti_zip", failing_renderer)
    assert main(["generate", str(spec_path), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "quizgen: error: injected failure in the QTI renderer"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("workers", [1, 2])
def test_failure_in_a_pdf_leaves_nothing_serial_or_parallel(spec_path, tmp_path, monkeypatch,
                                                             workers):
    import quizgen.render.pdf
    from quizgen.assemble import assemble
    from quizgen.output import write_exam_folder
    real = quizgen.render.pdf.write_key_pdf

    def fail_on_v2(exam, version, path):
        if version.number == 2:
            raise OutputError(f"cannot write {path.name}")
        return real(exam, version, path)
    monkeypatch.setattr(quizgen.render.pdf, "write_key_pdf", fail_on_v2)
    assembly = assemble(load_spec(spec_path))
    with pytest.raises(QuizgenError, match="cannot write key_v2.pdf"):
        write_exam_folder(assembly, tmp_path / "new" / "out", workers=workers)
    assert list(tmp_path.iterdir()) == []       # the parents it made are gone too


def test_renderer_crash_with_force_keeps_the_old_folder(spec_path, tmp_path, monkeypatch):
    import quizgen.render.csv
    folder = tmp_path / SLUG
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")

    def crash(*args, **kwargs):
        raise RuntimeError("renderer bug")
    monkeypatch.setattr(quizgen.render.csv, "write_answer_key_csv", crash)
    with pytest.raises(RuntimeError, match="renderer bug"):
        main(["generate", str(spec_path), "--out", str(tmp_path), "--force"])
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [SLUG]


def test_practice_page(spec_path, tmp_path, capsys):
    import importlib.util
    path = tmp_path / "practice.yaml"
    path.write_text(SPEC + "practice: {enabled: true, n: 2}\n", encoding="utf-8")
    out = tmp_path / "out"
    status = main(["generate", str(path), "--out", str(out)])
    if importlib.util.find_spec("quizgen.render.practice") is None:
        # the renderer has not landed: one clean error, nothing written
        assert status == 2
        assert capsys.readouterr().err.strip() == (
            "quizgen: error: this quizgen has no renderer quizgen.render.practice, needed for "
            "write_practice_html()")
        assert not out.exists()
        return
    assert status == 0
    assert "  practice page: practice.html" in capsys.readouterr().out
    folder = out / SLUG
    assert (folder / "practice.html").stat().st_size > 0
    m = read_manifest(folder)
    assert len(m["practice"]) == 2 * 5 and "practice.html" in m["files"]
    paper_seeds = {q["seed"] for v in m["paper"] for q in v["questions"]}
    assert not paper_seeds & {q["seed"] for q in m["practice"]}


def test_practice_page_shows_a_working_regenerate_command(tmp_path):
    import html
    import re
    import shlex
    pytest.importorskip("quizgen.render.practice")
    path = tmp_path / "my <exam> & 'co'.yaml"       # needs shell quoting and HTML escaping
    path.write_text(SPEC + "practice: {enabled: true, n: 1}\n", encoding="utf-8")
    assert main(["generate", str(path), "--out", str(tmp_path / "a"), "--seed", "5",
                 "--versions", "2", "--quiet"]) == 0
    page = (tmp_path / "a" / SLUG / "practice.html").read_text(encoding="utf-8")
    shown = re.search(r"Same sheet again: <code>(.*?)</code>", page)
    assert shown, "no regenerate command on the practice page"
    command = html.unescape(shown.group(1))
    assert command == f"quizgen generate {shlex.quote(str(path))} --seed 5"
    assert "<exam>" not in page and "&lt;exam&gt;" in page
    argv = shlex.split(command)
    assert argv[:2] == ["quizgen", "generate"] and argv[2] == str(path)
    # running it (into another folder) writes the same sheet, byte for byte
    assert main(argv[1:] + ["--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert sha(tmp_path / "b" / SLUG / "practice.html") == \
        sha(tmp_path / "a" / SLUG / "practice.html")


def test_validate_writes_nothing(spec_path, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["validate", str(spec_path)]) == 0
    assert capsys.readouterr().out == f"OK: {PER_VERSION} questions, 3 versions\n"
    assert main(["validate", str(spec_path), "--versions", "1"]) == 0
    assert capsys.readouterr().out == f"OK: {PER_VERSION} questions, 1 version\n"
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_only_on_a_terminal(spec_path, tmp_path, repo_root):
    pexpect = pytest.importorskip("pexpect")
    env = dict(os.environ, PYTHONPATH=str(repo_root), COLUMNS="120")
    child = pexpect.spawn(sys.executable, ["-m", "quizgen", "generate", str(spec_path), "--out",
                                           str(tmp_path / "tty"), "--versions", "1"], env=env, encoding="utf-8",
                          timeout=120, dimensions=(24, 160))
    child.expect(r"building \[[#.]+\] \d+/\d+")
    child.expect(pexpect.EOF)
    rest = child.before
    child.close()
    assert child.exitstatus == 0
    assert f"wrote {tmp_path / 'tty' / SLUG}" in rest
    # not a terminal (captured), or --quiet on a terminal: no bar
    run = subprocess.run([sys.executable, "-m", "quizgen", "generate", str(spec_path), "--out",
                          str(tmp_path / "pipe"), "--versions", "1"], cwd=repo_root, capture_output=True, text=True)
    assert run.returncode == 0 and run.stderr == ""
    child = pexpect.spawn(sys.executable, ["-m", "quizgen", "generate", str(spec_path), "--out",
                                           str(tmp_path / "quiet"), "--quiet", "--versions", "1"],
                          env=env,
                          encoding="utf-8", timeout=120)
    child.expect(pexpect.EOF)
    assert "building" not in child.before and child.before.strip() == \
        f"wrote {tmp_path / 'quiet' / SLUG}"


BUNDLED = ["cs540_midterm.yaml", "deeprob_weekly.yaml"]


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_spec_validates(name, repo_root):
    path = repo_root / "banks" / name
    spec = load_spec(path)
    run = subprocess.run([sys.executable, "-m", "quizgen", "validate", str(path)],
                         cwd=repo_root, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    versions = f"{spec.versions} version" + ("s" if spec.versions > 1 else "")
    assert run.stdout == f"OK: {spec.questions_per_version} questions, {versions}\n"


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_spec_generates(name, repo_root, tmp_path):
    path = repo_root / "banks" / name
    spec = load_spec(path)
    assert main(["generate", str(path), "--out", str(tmp_path), "--quiet"]) == 0
    folder = tmp_path / spec.slug
    names = {p.name for p in folder.iterdir()}
    expected = {"answer_key.csv", "canvas_qti.zip", "manifest.json"}
    expected |= {f"{kind}_v{v}.pdf" for kind in ("exam", "key") for v in
                 range(1, spec.versions + 1)}
    if spec.practice.enabled:
        expected.add("practice.html")
    assert names == expected
    m = read_manifest(folder)
    assert m["versions"] == spec.versions
    assert all(len(v["questions"]) == spec.questions_per_version for v in m["paper"])
    assert all(len(g["variants"]) == spec.canvas.variants for g in m["canvas"]["groups"])
