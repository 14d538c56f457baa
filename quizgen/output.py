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

The files are independent of each other, so on a multi-core Linux machine they are rendered by
forked worker processes (``workers_for``); the bytes are the same as a serial run's.
"""
from __future__ import annotations

import hashlib
import importlib
import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from quizgen.assemble import Assembly, Placement
from quizgen.errors import OutputError, QuizgenError
from quizgen.model import Question

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Written:
    """What ``write_exam_folder`` produced: the folder and its files by kind, in order."""

    folder: Path
    files: tuple[tuple[str, tuple[str, ...]], ...]     # (kind, file names)


def _renderer(module: str, name: str):
    """Look the renderer up at call time (one module per format; tests monkeypatch them)."""
    try:
        found = importlib.import_module(f"quizgen.render.{module}")
    except ModuleNotFoundError as err:
        if err.name != f"quizgen.render.{module}":
            raise
        raise OutputError(f"this quizgen has no renderer quizgen.render.{module}, needed for "
                          f"{name}()") from None
    return getattr(found, name)


def target_folder(out_dir, slug: str) -> Path:
    return Path(out_dir) / slug


def check_target(target: Path, force: bool) -> None:
    if (target.exists() or target.is_symlink()) and not force:
        raise OutputError(f"output folder {target} already exists; use --force to replace it")


def write_exam_folder(assembly: Assembly, out_dir, *, force: bool = False,
                      progress: Progress | None = None, workers: int | None = None) -> Written:
    """Write every output of ``assembly`` into ``<out_dir>/<slug>/`` (see module docstring).

    ``workers``: processes rendering files in parallel (default ``workers_for``; 1: none)."""
    exam = assembly.exam
    target = target_folder(out_dir, exam.meta.slug)
    check_target(target, force)
    created = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{exam.meta.slug}.", suffix=".partial",
                                    dir=target.parent))
    except OSError as err:
        raise OutputError(f"cannot create a folder in {target.parent}: "
                          f"{err.strerror or err}") from None
    try:
        files = _write_all(assembly, tmp, progress, workers)
        _chmod_like_mkdir(tmp)
        _move_into_place(tmp, target, force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for folder in created:          # deepest first: the parents this call made, if empty
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    return Written(target, files)


@dataclass(frozen=True)
class _Job:
    """One file to render: ``render.<module>.<function>(<what>, path, **kwargs)``, where
    ``what`` is the exam and, for per-version files, that version (by index)."""

    name: str
    module: str
    function: str
    version: int | None = None
    practice: bool = False


def _jobs(assembly: Assembly) -> tuple[list[_Job], list[tuple[str, tuple[str, ...]]]]:
    exam = assembly.exam
    jobs: list[_Job] = []
    for i, v in enumerate(exam.versions):
        jobs.append(_Job(f"exam_v{v.number}.pdf", "pdf", "write_exam_pdf", i))
        jobs.append(_Job(f"key_v{v.number}.pdf", "pdf", "write_key_pdf", i))
    jobs.append(_Job("answer_key.csv", "csv", "write_answer_key_csv"))
    jobs.append(_Job("canvas_qti.zip", "qti", "write_qti_zip"))
    kinds = [("exam PDFs", tuple(j.name for j in jobs if j.function == "write_exam_pdf")),
             ("answer keys", tuple(j.name for j in jobs if j.function == "write_key_pdf")),
             ("scanner CSV", ("answer_key.csv",)), ("Canvas QTI", ("canvas_qti.zip",))]
    if assembly.spec.practice.enabled:
        jobs.append(_Job("practice.html", "practice", "write_practice_html", practice=True))
        kinds.append(("practice page", ("practice.html",)))
    return jobs, kinds


def _run_job(exam, job: _Job, folder: Path) -> None:
    render = _renderer(job.module, job.function)
    path = folder / job.name
    if job.practice:
        render(exam.practice, path, title=f"{exam.meta.title} — practice", seed=exam.meta.seed,
               command=regenerate_command(exam.meta))
    elif job.version is not None:
        render(exam, exam.versions[job.version], path)
    else:
        render(exam, path)


def regenerate_command(meta) -> str:
    """The command that writes this exam (and its practice page) again: ``quizgen generate
    <spec, as given> --seed N``, the path shell-quoted; "" for a spec not read from a file.
    The practice set depends only on the spec and the seed, not on ``--versions`` or ``--out``
    (left out so the page stays byte-identical wherever it is written)."""
    if not meta.source or meta.source == "<spec>":
        return ""
    return f"quizgen generate {shlex.quote(meta.source)} --seed {meta.seed}"


_FORKED: tuple | None = None     # (exam, folder) inherited by forked workers


def _forked_job(job: _Job) -> None:
    """Run one job in a worker; QuizgenErrors come back as plain, picklable QuizgenErrors."""
    exam, folder = _FORKED
    try:
        _run_job(exam, job, folder)
    except QuizgenError as err:
        raise QuizgenError(str(err)) from None


def workers_for(n_jobs: int) -> int:
    """Worker processes for ``n_jobs`` files: one per available CPU (at most 8), only where
    ``fork`` exists (workers inherit the exam instead of unpickling it) and for at least 4
    files, where the pool's start-up pays off; 1 means render in this process."""
    import multiprocessing
    if n_jobs < 4 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:       # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8, n_jobs))


def _write_all(assembly: Assembly, folder: Path, progress: Progress | None, workers: int | None):
    """Render every file into ``folder`` (in worker processes when ``workers`` > 1: each file
    is independent, so the bytes do not depend on who renders it), then the manifest."""
    exam = assembly.exam
    jobs, kinds = _jobs(assembly)
    total = len(jobs) + 1
    workers = workers_for(len(jobs)) if workers is None else workers

    def tick(done: int, name: str):
        if progress is not None:
            progress(done, total, name)

    if workers <= 1:
        for n, job in enumerate(jobs, 1):
            _run_job(exam, job, folder)
            tick(n, job.name)
    else:
        # Import every renderer and render the first file here, so that the forked workers
        # inherit the modules and the renderers' caches (fonts) instead of each loading them.
        for job in jobs:
            _renderer(job.module, job.function)
        _run_job(exam, jobs[0], folder)
        tick(1, jobs[0].name)
        _render_in_workers(exam, jobs[1:], folder, workers, lambda n, name: tick(n + 1, name))
    digests = {job.name: _sha256(folder / job.name) for job in jobs}
    write_json(folder / "manifest.json", manifest(assembly, digests))
    tick(total, "manifest.json")
    return tuple(kinds) + (("manifest", ("manifest.json",)),)


def _render_in_workers(exam, jobs: list[_Job], folder: Path, workers: int, tick) -> None:
    import multiprocessing
    from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait

    global _FORKED
    _FORKED = (exam, folder)
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = {pool.submit(_forked_job, job): job for job in jobs}
            pending, done_count = set(futures), 0
            try:
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
                    for future in finished:
                        future.result()             # re-raises the worker's error here
                        done_count += 1
                        tick(done_count, futures[future].name)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
    finally:
        _FORKED = None


def write_json(path: Path, obj) -> None:
    """Write ``obj`` with exactly the bytes of ``render.json.dumps(obj)``, streamed to the file
    (a 1,000-version manifest is ~16 MB; no need to hold it as one string)."""
    import json
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(obj, fh, indent=2, sort_keys=True, ensure_ascii=False)
        fh.write("\n")


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
