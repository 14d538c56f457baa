"""``quizgen preview FAMILY``: build one question and print it with its key and solution."""
from __future__ import annotations

import sys

from quizgen.errors import ParamError


def parse_param_args(items: list[str] | None) -> dict:
    """``["H=7", "K=3"]`` → ``{"H": "7", "K": "3"}`` (values are typed by the family)."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ParamError("expected NAME=VALUE", param="--param", value=item)
        out[key.strip()] = value.strip()
    return out


def register(sub):
    p = sub.add_parser(
        "preview", help="build one question and print it with its answer and solution",
        description="Build one question of FAMILY and print the stem, options, answer, worked "
                    "solution and the misconception behind each wrong option. Parameters not "
                    "given with --param are sampled from the difficulty's range; "
                    "'quizgen list --params' documents them.")
    p.add_argument("family", metavar="FAMILY", help="family name (see 'quizgen list')")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="fix a parameter, e.g. --param H=7 (repeatable)")
    p.add_argument("--kind", choices=("single", "multiple", "numeric"),
                   help="question kind (default: the family's first kind)")
    p.add_argument("--difficulty", default="standard", choices=("paper", "standard", "challenge"),
                   help="difficulty level (default standard)")
    p.add_argument("--format", default="text", choices=("text", "json"), help="output format")
    p.set_defaults(func=run)


def run(args) -> int:
    from quizgen import build_question
    from quizgen.render.json import dumps, question_dict
    from quizgen.render.text import question_text
    q = build_question(args.family, seed=args.seed, difficulty=args.difficulty, kind=args.kind,
                       params=parse_param_args(args.param))
    if args.format == "json":
        sys.stdout.write(dumps(question_dict(q)))
    else:
        print(f"[{q.family} · seed {q.seed} · {q.difficulty} · {q.kind}]")
        print(question_text(q, key=True))
    return 0
