"""``quizgen stress FAMILY``: build many questions with consecutive seeds and summarise them."""
from __future__ import annotations

import sys


def register(sub):
    p = sub.add_parser(
        "stress", help="build N questions of a family and report answers, letters, "
                       "misconceptions, duplicates, failures and timing",
        description="Build N questions of FAMILY with consecutive seeds and print: the answer "
                    "range (min/max of numeric answers, distinct answers), the correct-letter "
                    "histogram, how often each misconception appears among the wrong options, "
                    "how often near values had to fill the options, how many stems repeat, the "
                    "failures (exceptions or broken invariants, with the first messages) and the "
                    "build time per question (mean, p95). Exits 1 if any question failed.")
    p.add_argument("family", metavar="FAMILY", help="family name (see 'quizgen list')")
    p.add_argument("--n", type=int, default=1000, help="number of questions (default 1000)")
    p.add_argument("--kind", choices=("single", "multiple", "numeric"),
                   help="question kind (default: the family's first kind)")
    p.add_argument("--difficulty", default="standard", choices=("paper", "standard", "challenge"),
                   help="difficulty level (default standard)")
    p.add_argument("--seed-start", type=int, default=0, metavar="N",
                   help="first seed (default 0)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="fix a parameter for every question (repeatable)")
    p.add_argument("--format", default="text", choices=("text", "json"), help="output format")
    p.set_defaults(func=run)


def run(args) -> int:
    from quizgen.commands.preview import parse_param_args
    from quizgen.errors import QuizgenError
    from quizgen.render.json import dumps
    from quizgen.stress import format_report, stress
    if args.seed_start < 0:
        raise QuizgenError(f"--seed-start must be a non-negative integer, got {args.seed_start}")
    report = stress(args.family, args.n, kind=args.kind, difficulty=args.difficulty,
                    seed_start=args.seed_start, params=parse_param_args(args.param))
    if args.format == "json":
        sys.stdout.write(dumps(report.to_dict()))
    else:
        sys.stdout.write(format_report(report))
    return 0 if report.ok else 1
