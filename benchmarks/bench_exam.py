"""Exam generation benchmarks; writes benchmarks/RESULTS-exam.md.

(a) ``python -m quizgen generate banks/cs540_midterm.yaml`` (20 questions, 4 versions, every
    output: 4 exam PDFs, 4 key PDFs, the scanner CSV, the Canvas zip, the manifest) as a fresh
    subprocess, so interpreter start-up and imports are included. Median of ``--runs`` runs after
    one warm-up (which also writes the .pyc files). Reported beside it: the wall time of
    ``python -c pass`` and ``python -m quizgen --help`` (start-up floor) and ``quizgen validate``
    (start-up + assembly, no rendering). Aim: ≤ 1.5 s.
(b) 1,000 per-student versions of the same spec in one fresh process: the assembler (every
    paper version, the Canvas groups) plus the outputs whose size scales with the number of
    versions and that a 1,000-student run needs as files: ``answer_key.csv`` and
    ``manifest.json``. Per-version PDFs are measured separately on the first ``--pdf-sample``
    versions (exam + key) and extrapolated, clearly labelled. Aim: ≤ 60 s, ≤ 500 MB peak RSS.

Wall times on a shared machine are noisy; CPU time (user + sys of the child) is reported too.
Usage: ``python benchmarks/bench_exam.py [--runs 5] [--versions 1000] [--pdf-sample 10]``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "banks" / "cs540_midterm.yaml"
RESULTS = ROOT / "benchmarks" / "RESULTS-exam.md"


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one subprocess run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_of(cmd: list[str], runs: int) -> dict:
    timed(cmd)                                   # warm-up: .pyc files, page cache
    walls, cpus = zip(*(timed(cmd) for _ in range(runs)))
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus),
            "min_wall": min(walls), "max_wall": max(walls)}


def import_profile(cmd_args: list[str], top: int = 8) -> list[tuple[str, float]]:
    """The heaviest top-level imports (cumulative ms) of one run, from ``-X importtime``."""
    run = subprocess.run([sys.executable, "-X", "importtime", *cmd_args], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    rows = []
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line[12:].split("|")
        if not cumulative.strip().isdigit():
            continue
        if not name[1:].startswith(" "):          # one space, then two per nesting level
            rows.append((name.strip(), int(cumulative) / 1000))
    return sorted(rows, key=lambda r: -r[1])[:top]


# ----- (b), in a child process ------------------------------------------------------------
def child(versions: int, pdf_sample: int, out: Path) -> None:
    marks = [("start", time.perf_counter(), time.process_time())]

    def mark(name: str):
        marks.append((name, time.perf_counter(), time.process_time()))

    from quizgen.assemble import assemble
    from quizgen.output import manifest, write_json
    from quizgen.render.csv import write_answer_key_csv
    from quizgen.spec import load_spec
    mark("imports")
    spec = load_spec(SPEC)
    assembly = assemble(spec, versions=versions)
    mark("assemble")
    rss_assemble = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    write_answer_key_csv(assembly.exam, out / "answer_key.csv")
    mark("answer_key.csv")
    write_json(out / "manifest.json", manifest(assembly))
    mark("manifest.json")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from quizgen.render.pdf import write_exam_pdf, write_key_pdf
    t_pdf0, c_pdf0 = time.perf_counter(), time.process_time()
    for version in assembly.exam.versions[:pdf_sample]:
        write_exam_pdf(assembly.exam, version, out / f"exam_v{version.number}.pdf")
        write_key_pdf(assembly.exam, version, out / f"key_v{version.number}.pdf")
    sample = max(1, min(pdf_sample, versions))
    steps = [(name, t - marks[i][1], c - marks[i][2])
             for i, (name, t, c) in enumerate(marks[1:])]
    print(json.dumps({
        "questions": spec.questions_per_version, "versions": versions,
        "built": versions * spec.questions_per_version
        + spec.questions_per_version * spec.canvas.variants,
        "steps": steps,
        "total": marks[-1][1] - marks[0][1], "total_cpu": marks[-1][2] - marks[0][2],
        "csv_mb": (out / "answer_key.csv").stat().st_size / 2 ** 20,
        "manifest_mb": (out / "manifest.json").stat().st_size / 2 ** 20,
        "rss_mb_assemble": rss_assemble, "rss_mb": rss_mb,
        "pdf_per_version": (time.perf_counter() - t_pdf0) / sample,
        "pdf_cpu_per_version": (time.process_time() - c_pdf0) / sample,
        "rss_mb_after_pdf": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def phases_child(out: Path) -> None:
    """CPU seconds of each phase of (a), serially in one process (no worker processes)."""
    marks = [("interpreter start-up", 0.0, 0.0)]
    start = (time.perf_counter(), time.process_time())

    def mark(name: str):
        marks.append((name, time.perf_counter() - start[0], time.process_time() - start[1]))

    from quizgen.assemble import assemble
    from quizgen.output import manifest, write_json
    from quizgen.spec import load_spec
    mark("import quizgen core (numpy, yaml)")
    import quizgen.render.csv
    import quizgen.render.pdf
    import quizgen.render.qti
    mark("import renderers (reportlab, lxml)")
    spec = load_spec(SPEC)
    mark("load spec (imports every family, the engine)")
    assembly = assemble(spec)
    mark("assemble (4 versions + Canvas groups)")
    exam = assembly.exam
    for v in exam.versions:
        quizgen.render.pdf.write_exam_pdf(exam, v, out / f"exam_v{v.number}.pdf")
    mark("4 exam PDFs")
    for v in exam.versions:
        quizgen.render.pdf.write_key_pdf(exam, v, out / f"key_v{v.number}.pdf")
    mark("4 key PDFs")
    quizgen.render.csv.write_answer_key_csv(exam, out / "answer_key.csv")
    quizgen.render.qti.write_qti_zip(exam, out / "canvas_qti.zip")
    write_json(out / "manifest.json", manifest(assembly))
    mark("CSV, QTI zip, manifest")
    steps = [(name, t - marks[i][1], c - marks[i][2]) for i, (name, t, c) in
             enumerate(marks[1:])]
    print(json.dumps({"steps": steps}))


def phases() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        run = subprocess.run([sys.executable, __file__, "--phases-child", tmp], cwd=ROOT,
                             env=env, capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode:
        raise SystemExit(f"the phase run failed:\n{run.stderr}")
    result = json.loads(run.stdout)
    total = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    inside = sum(cpu for _, _, cpu in result["steps"])
    result["steps"].insert(0, ("interpreter start-up and exit", 0.0, max(0.0, total - inside)))
    result["total_cpu"] = total
    return result


def many_versions(versions: int, pdf_sample: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
        run = subprocess.run([sys.executable, __file__, "--child", str(versions), "--pdf-sample",
                              str(pdf_sample), "--child-out", tmp], cwd=ROOT, env=env,
                             capture_output=True, text=True)
        wall = time.perf_counter() - start
    if run.returncode:
        raise SystemExit(f"the {versions}-version run failed:\n{run.stderr}")
    result = json.loads(run.stdout)
    result["process_wall"] = wall
    return result


# ----- report -----------------------------------------------------------------------------
def report(a: dict, floor: dict, help_: dict, validate: dict, b: dict, imports, runs: int,
           split: dict) -> str:
    ok_a = "meets" if a["wall"] <= 1.5 else "misses"
    ok_b = "meets" if b["total"] <= 60 and b["rss_mb"] <= 500 else "misses"
    pdfs = b["pdf_per_version"] * b["versions"]
    lines = [
        "# Exam generation benchmarks",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average at start "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}. Produced by "
        "`python benchmarks/bench_exam.py`; wall times on a shared machine are noisy, so the "
        "child's CPU time (user + sys) is given as well.",
        "",
        f"## (a) {b['questions']}-question, 4-version exam, every output",
        "",
        f"`python -m quizgen generate banks/cs540_midterm.yaml --force --quiet` in a fresh "
        f"process (4 exam PDFs, 4 key PDFs, answer_key.csv, canvas_qti.zip, manifest.json), "
        f"median of {runs} runs after a warm-up:",
        "",
        "| command | median wall | min–max wall | median CPU |",
        "|---|---|---|---|",
        f"| `python -c pass` (interpreter floor) | {floor['wall']:.2f} s | "
        f"{floor['min_wall']:.2f}–{floor['max_wall']:.2f} s | {floor['cpu']:.2f} s |",
        f"| `python -m quizgen --help` | {help_['wall']:.2f} s | "
        f"{help_['min_wall']:.2f}–{help_['max_wall']:.2f} s | {help_['cpu']:.2f} s |",
        f"| `quizgen validate` (load + build all questions) | {validate['wall']:.2f} s | "
        f"{validate['min_wall']:.2f}–{validate['max_wall']:.2f} s | {validate['cpu']:.2f} s |",
        f"| **`quizgen generate`** | **{a['wall']:.2f} s** | "
        f"{a['min_wall']:.2f}–{a['max_wall']:.2f} s | {a['cpu']:.2f} s |",
        "",
        f"Aim ≤ 1.5 s wall: {ok_a} it.",
        "",
        "Where the CPU time goes (the same work serially in one process, CPU seconds):",
        "",
        "| phase | CPU |",
        "|---|---|",
        *[f"| {name} | {cpu:.2f} s |" for name, _, cpu in split["steps"]],
        f"| **total** | **{split['total_cpu']:.2f} s** |",
        "",
        "`generate` renders the files in forked worker processes (one per CPU) after rendering "
        "the first one itself, so on an idle machine the PDF phases overlap; on a loaded one "
        "they cannot.",
        "",
        "Heaviest top-level imports of `quizgen generate` (`python -X importtime`, cumulative):",
        "",
        "| module | ms |",
        "|---|---|",
        *[f"| `{name}` | {ms:.0f} |" for name, ms in imports],
        "",
        f"## (b) {b['versions']:,} per-student versions",
        "",
        f"One fresh process: load the spec, assemble {b['versions']:,} paper versions of "
        f"{b['questions']} questions plus the Canvas groups ({b['built']:,} questions built), "
        f"write `answer_key.csv` ({b['csv_mb']:.1f} MB) and `manifest.json` "
        f"({b['manifest_mb']:.1f} MB). Not included: the Canvas zip and practice page (their "
        "size does not depend on the number of versions) and the per-version PDFs (below).",
        "",
        "| step | wall | CPU |",
        "|---|---|---|",
        *[f"| {name} | {wall:.2f} s | {cpu:.2f} s |" for name, wall, cpu in b["steps"]],
        f"| **total in process** | **{b['total']:.2f} s** | {b['total_cpu']:.2f} s |",
        f"| process wall, start-up included | {b['process_wall']:.2f} s (with the PDF sample "
        "below) | |",
        "",
        f"Peak RSS: {b['rss_mb_assemble']:.0f} MB after assembly, **{b['rss_mb']:.0f} MB** after "
        f"the two files. Aim ≤ 60 s and ≤ 500 MB: {ok_b} it in wall time"
        f"{'' if b['total'] <= 60 else ' on this loaded machine'}; CPU time "
        f"{b['total_cpu']:.0f} s.",
        "",
        f"Per-version PDFs (exam + key), measured on the first versions: "
        f"{b['pdf_per_version']:.2f} s wall ({b['pdf_cpu_per_version']:.2f} s CPU) per "
        f"version, so about {pdfs:.0f} s for all {b['versions']:,} versions in one process "
        f"(peak RSS with the sample: {b['rss_mb_after_pdf']:.0f} MB), i.e. well outside the "
        "60 s aim if every student got a printed paper; that cost is the PDF renderer's, "
        "per page.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--versions", type=int, default=1000)
    ap.add_argument("--pdf-sample", type=int, default=10)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    ap.add_argument("--phases-child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.phases_child:
        phases_child(Path(args.phases_child))
        return 0
    if args.child:
        child(args.child, args.pdf_sample, Path(args.child_out))
        return 0
    py = sys.executable
    with tempfile.TemporaryDirectory() as out:
        generate = [py, "-m", "quizgen", "generate", str(SPEC), "--out", out, "--force", "--quiet"]
        a = median_of(generate, args.runs)
        imports = import_profile(generate[1:])
    floor = median_of([py, "-c", "pass"], args.runs)
    help_ = median_of([py, "-m", "quizgen", "--help"], args.runs)
    validate = median_of([py, "-m", "quizgen", "validate", str(SPEC)], args.runs)
    split = phases()
    b = many_versions(args.versions, args.pdf_sample)
    text = report(a, floor, help_, validate, b, imports, args.runs, split)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
