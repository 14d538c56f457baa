"""Write an assembled exam's folder: PDFs, keys, scanner CSV, Canvas zip, manifest, practice.

``write_exam_folder(assembly, out_dir, force=False)`` writes ``<out_dir>/<slug>/``::

    exam_v1.pdf … exam_vK.pdf     one paper per version   (render.pdf.write_exam_pdf)
    key_v1.pdf … key_vK.pdf       one answer key each     (render.pdf.write_key_pdf)
    answer_key.csv                scanner key, all versions (render.csv.write_answer_key_csv)
    canvas_qti.zip                Canvas question groups  (render.qti.write_qti_zip)
    practice.html                 when the spec enables it (render.practice.write_practice_html)
    manifest.json                 how to regenerate and check every question (``manifest``)

Everything is written into a fresh hidden folder beside the target and renamed into place at
the end, so a failure (in any renderer, or an interrupt) leaves no half-written folder and an
existing folder untouched. An existing target is refused with ``OutputError`` unless ``force``;
with ``force`` it is swapped out only after the new folder is complete.
"""
from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from quizgen.assemble import Assembly, Placement
from quizgen.errors import OutputError
from quizgen.model import Question

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Written:
    """What ``write_exam_folder`` produced: the folder and its files by kind, in order."""

    folder: Path
    files: tuple[tuple[str, tuple[str, ...]], ...]     # (kind, file names)


def _renderer(module: str, name: str):
    """Look the renderer up at call time (one module per format; tests monkeypatch them)."""
    return getattr(importlib.import_module(f"quizgen.render.{module}"), name)


def target_folder(out_dir, slug: str) -> Path:
    return Path(out_dir) / slug


def check_target(target: Path, force: bool) -> None:
    if (target.exists() or target.is_symlink()) and not force:
        raise OutputError(f"output folder {target} already exists; use --force to replace it")


def write_exam_folder(assembly: Assembly, out_dir, *, force: bool = False,
                      progress: Progress | None = None) -> Written:
    """Write every output of ``assembly`` into ``<out_dir>/<slug>/`` (see module docstring)."""
    exam = assembly.exam
    target = target_folder(out_dir, exam.meta.slug)
    check_target(target, force)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{exam.meta.slug}.", suffix=".partial",
                                    dir=target.parent))
    except OSError as err:
        raise OutputError(f"cannot create a folder in {target.parent}: "
                          f"{err.strerror or err}") from None
    try:
        files = _write_all(assembly, tmp, progress)
        _chmod_like_mkdir(tmp)
        _move_into_place(tmp, target, force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Written(target, files)


def _write_all(assembly: Assembly, folder: Path, progress: Progress | None):
    exam = assembly.exam
    k = len(exam.versions)
    practice = bool(assembly.spec.practice.enabled)
    total = 2 * k + 3 + practice
    done = 0

    def tick(name: str):
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, name)

    exams, keys = [], []
    for version in exam.versions:
        name = f"exam_v{version.number}.pdf"
        _renderer("pdf", "write_exam_pdf")(exam, version, folder / name)
        exams.append(name)
        tick(name)
        name = f"key_v{version.number}.pdf"
        _renderer("pdf", "write_key_pdf")(exam, version, folder / name)
        keys.append(name)
        tick(name)
    _renderer("csv", "write_answer_key_csv")(exam, folder / "answer_key.csv")
    tick("answer_key.csv")
    _renderer("qti", "write_qti_zip")(exam, folder / "canvas_qti.zip")
    tick("canvas_qti.zip")
    files = [("exam PDFs", tuple(exams)), ("answer keys", tuple(keys)),
             ("scanner CSV", ("answer_key.csv",)), ("Canvas QTI", ("canvas_qti.zip",))]
    if practice:
        _renderer("practice", "write_practice_html")(
            exam.practice, folder / "practice.html", title=f"{exam.meta.title} — practice",
            seed=exam.meta.seed)
        files.append(("practice page", ("practice.html",)))
        tick("practice.html")
    from quizgen.render.json import dumps
    digests = {name: _sha256(folder / name) for _, names in files for name in names}
    (folder / "manifest.json").write_text(dumps(manifest(assembly, digests)), encoding="utf-8")
    files.append(("manifest", ("manifest.json",)))
    tick("manifest.json")
    return tuple(files)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _chmod_like_mkdir(folder: Path) -> None:
    """mkdtemp makes a private (0700) folder; give it the permissions mkdir would."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(folder, 0o777 & ~mask)


def _move_into_place(tmp: Path, target: Path, force: bool) -> None:
    if not (target.exists() or target.is_symlink()):
        os.replace(tmp, target)
        return
    check_target(target, force)   # it appeared while we were writing
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    old.rmdir()
    os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        os.replace(old, target)
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink()


# ----- manifest ----------------------------------------------------------------------------
def _question_entry(q: Question, place: Placement, **extra) -> dict:
    from quizgen.render.json import _plain_value
    entry = dict(extra)
    entry.update({
        "id": q.uid, "slot": place.slot, "item": place.item, "family": q.family,
        "seed": q.seed, "difficulty": q.difficulty, "kind": q.kind, "params": q.params,
        "points": q.points, "correct": list(q.correct_labels), "answer": _plain_value(q.answer),
        "tolerance": q.tolerance,
    })
    return entry


def manifest(assembly: Assembly, digests: dict[str, str] | None = None) -> dict:
    """Everything needed to regenerate and check each question (plain JSON types).

    A question is regenerated with ``build_question(family, seed=seed, difficulty=difficulty,
    kind=kind, params=slots[slot].params)``; with ``shuffle.options`` false its options are then
    put in ``assemble.canonical_order``. ``params`` per question are the values after sampling.
    """
    from quizgen import __version__
    exam, spec = assembly.exam, assembly.spec
    return {
        "generator": f"quizgen {__version__}",
        "spec": spec.source,
        "title": exam.meta.title,
        "slug": exam.meta.slug,
        "seed": exam.meta.seed,
        "versions": len(exam.versions),
        "questions_per_version": spec.questions_per_version,
        "shuffle": {"questions": spec.shuffle.questions, "options": spec.shuffle.options},
        "slots": [{"family": s.family, "count": s.count, "difficulty": s.difficulty,
                   "kind": s.kind, "params": s.params, "points": s.points, "title": s.title}
                  for s in spec.slots],
        "paper": [
            {"version": v.number, "code": v.code, "total_points": v.total_points,
             "questions": [_question_entry(q, place, number=n)
                           for n, (q, place) in enumerate(zip(v.questions, layout), 1)]}
            for v, layout in zip(exam.versions, assembly.paper)
        ],
        "canvas": {
            "variants": spec.canvas.variants,
            "time_limit": spec.canvas.time_limit,
            "shuffle_answers": spec.canvas.shuffle_answers,
            "groups": [{"title": g.title, "slot": place.slot, "item": place.item,
                        "pick": g.pick, "points_per_item": g.points_per_item,
                        "variants": [_question_entry(q, place) for q in g.variants]}
                       for g, place in zip(exam.groups, assembly.groups)],
        },
        "practice": [_question_entry(q, place) for q, place in
                     zip(exam.practice, assembly.practice)],
        "files": dict(sorted((digests or {}).items())),
    }
