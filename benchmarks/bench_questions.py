"""Question-building throughput per family and kind; writes benchmarks/RESULTS-questions.md.

For every registered family and every kind it offers, ``--n`` questions are built with
consecutive seeds (difficulty cycling paper, standard, challenge) through the public
``build_question`` — sampling, the two-way answer check, options, stem template, worked
solution — in ``--repeats`` rounds after a warm-up of 30 questions (imports, templates, the
engine summaries and the families' caches are warm, as in a long exam run). Reported per
family × kind: questions per second from the median round's wall time and from its CPU time
(``time.process_time``; on a shared machine the CPU figure is the steadier one), and the mean
time per question. The aim for the arithmetic families is ≥ 1,000 questions/s.

Usage: ``python benchmarks/bench_questions.py [--n 1000] [--repeats 3] [--family NAME ...]``.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quizgen import build_question, families  # noqa: E402
from quizgen.model import DIFFICULTIES  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS-questions.md"
AIM = 1000
WARMUP = 30


def one_round(name: str, kind: str, n: int, start: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) to build ``n`` questions from seed ``start``."""
    w0, c0 = time.perf_counter(), time.process_time()
    for seed in range(start, start + n):
        build_question(name, seed=seed, difficulty=DIFFICULTIES[seed % 3], kind=kind)
    return time.perf_counter() - w0, time.process_time() - c0


def measure(name: str, kind: str, n: int, repeats: int) -> dict:
    one_round(name, kind, WARMUP, 10 ** 6)
    rounds = [one_round(name, kind, n, r * n) for r in range(repeats)]
    wall = statistics.median(w for w, _ in rounds)
    cpu = statistics.median(c for _, c in rounds)
    return {"family": name, "kind": kind, "n": n, "wall": wall, "cpu": cpu,
            "qps_wall": n / wall, "qps_cpu": n / cpu if cpu else float("inf"),
            "ms": 1000 * wall / n}


def engine_share(name: str, kind: str, n: int = 200) -> float:
    """Fraction of build time spent in ``quizgen.engine`` (calls entering the engine from
    outside it, cumulative), from a cProfile run of ``n`` builds."""
    import cProfile
    import pstats
    prof = cProfile.Profile()
    prof.enable()
    one_round(name, kind, n, 2 * 10 ** 6)
    prof.disable()
    stats = pstats.Stats(prof).stats
    inside = lambda func: "/quizgen/engine/" in func[0].replace("\\", "/")
    total = sum(tt for (_, _, tt, _, _) in stats.values())
    engine = 0.0
    for func, (_, _, _, _, callers) in stats.items():
        if inside(func):
            engine += sum(ct for caller, (_, _, _, ct) in callers.items() if not inside(caller))
    return engine / total if total else 0.0


def table(rows: list[dict]) -> list[str]:
    out = ["| family | kind | questions/s (wall) | questions/s (CPU) | ms per question | "
           f"≥ {AIM:,}/s (CPU) |", "|---|---|---:|---:|---:|:---:|"]
    for r in rows:
        ok = "yes" if r["qps_cpu"] >= AIM else "**no**"
        out.append(f"| {r['family']} | {r['kind']} | {r['qps_wall']:,.0f} | "
                   f"{r['qps_cpu']:,.0f} | {r['ms']:.2f} | {ok} |")
    return out


def per_family(rows: list[dict]) -> list[str]:
    out = ["| family | kinds | questions/s over all kinds (wall) | (CPU) |", "|---|---|---:|---:|"]
    for name in dict.fromkeys(r["family"] for r in rows):
        mine = [r for r in rows if r["family"] == name]
        n = sum(r["n"] for r in mine)
        out.append(f"| {name} | {', '.join(r['kind'] for r in mine)} | "
                   f"{n / sum(r['wall'] for r in mine):,.0f} | "
                   f"{n / sum(r['cpu'] for r in mine):,.0f} |")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="questions per round (default 1000)")
    ap.add_argument("--repeats", type=int, default=3, help="rounds per family × kind")
    ap.add_argument("--family", action="append", help="only these families (repeatable)")
    ap.add_argument("--no-write", action="store_true", help="print only; keep RESULTS as is")
    args = ap.parse_args(argv)
    names = args.family or families.names()
    load = os.getloadavg()
    rows, failed = [], []
    for name in names:
        for kind in families.get(name).kinds:
            try:
                r = measure(name, kind, args.n, args.repeats)
            except Exception as err:  # report a broken family, keep measuring the others
                failed.append(f"{name} {kind}: {type(err).__name__}: {str(err)[:200]}")
                print(f"{name:20s} {kind:9s} FAILED {failed[-1]}", flush=True)
                continue
            rows.append(r)
            print(f"{name:20s} {kind:9s} {r['qps_wall']:8,.0f}/s wall {r['qps_cpu']:8,.0f}/s CPU"
                  f"  {r['ms']:6.2f} ms", flush=True)
    slow = [r for r in rows if r["qps_cpu"] < AIM]
    lines = [
        "# Question-building benchmark",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average at start "
        f"{load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}. Produced by "
        f"`python benchmarks/bench_questions.py --n {args.n} --repeats {args.repeats}`.",
        "",
        f"Each row: {args.n:,} questions with consecutive seeds (difficulty cycling paper, "
        "standard, challenge) built through `build_question` (sampling, both answer "
        "computations and their check, options, stem template, worked solution; no output "
        f"rendering), median of {args.repeats} rounds after a {WARMUP}-question warm-up. "
        "Wall times on a shared machine are noisy; the CPU-time rate (process time) is the "
        f"steadier figure and is the one compared with the aim of {AIM:,} questions/s.",
        "",
        "## Per family and kind",
        "",
        *table(rows),
        "",
        "## Per family",
        "",
        *per_family(rows),
        "",
        "## Reading",
        "",
    ]
    if slow:
        lines.append(f"{len(slow)} of {len(rows)} family × kind rows fall short of "
                     f"{AIM:,}/s (CPU). For each, the share of its build time spent inside "
                     "`quizgen.engine` (profiled separately over 200 builds; the profiler's "
                     "overhead inflates small Python calls, so read the share as approximate):")
        lines += ["", "| family | kind | questions/s (CPU) | time in the engine |",
                  "|---|---|---:|---:|"]
        for r in slow:
            share = engine_share(r["family"], r["kind"])
            lines.append(f"| {r['family']} | {r['kind']} | {r['qps_cpu']:,.0f} | "
                         f"{100 * share:.0f}% |")
        lines += ["", "The last column is the part of each build spent in the engine run that "
                  "checks the answer a second way; the rest is the family's own work (exact "
                  "arithmetic, expression trees, options, stem template, worked solution) and "
                  "the shared build pipeline."]
    else:
        lines.append(f"Every family × kind row reaches {AIM:,}/s (CPU).")
    if failed:
        lines += ["", "Not measured (the build failed):", ""] + [f"- {f}" for f in failed]
    lines.append("")
    text = "\n".join(lines)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
