"""``quizgen validate SPEC``: load a spec and build every question once; write nothing."""
from __future__ import annotations


def register(sub):
    p = sub.add_parser(
        "validate", help="check an exam spec: load it and build every question once",
        description="Check SPEC (see docs/exam-spec.md): fields, types, families, kinds and "
                    "parameters, then build every paper version, Canvas variant and practice "
                    "question once, as 'generate' would. Writes nothing. Prints 'OK: N "
                    "questions, K versions' or one error naming the file, field, value and "
                    "line, and exits 2.")
    p.add_argument("spec", metavar="SPEC", help="exam spec (YAML)")
    p.add_argument("--seed", type=int, metavar="N", help="override the spec's seed")
    p.add_argument("--versions", type=int, metavar="K", help="override the number of versions")
    p.set_defaults(func=run)


def run(args) -> int:
    from quizgen.assemble import build_exam
    from quizgen.spec import load_spec

    spec = load_spec(args.spec)
    exam = build_exam(spec, seed=args.seed, versions=args.versions)
    n, k = spec.questions_per_version, len(exam.versions)
    print(f"OK: {n} question{'s' * (n != 1)}, {k} version{'s' * (k != 1)}")
    return 0
