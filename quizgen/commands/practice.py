"""``quizgen practice``: the self-checking HTML page (``--html``) or the terminal drill."""
from __future__ import annotations

import argparse
import sys


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    return n


def register(sub):
    p = sub.add_parser(
        "practice", help="practice: a self-checking HTML page (--html) or a terminal drill",
        description="Practice with fresh questions. With --html, write one self-contained, "
                    "self-checking HTML page (no network needed). Without it, run a drill in "
                    "the terminal: one question at a time, answer with a letter (several for "
                    "select-all, e.g. AC) or a number; q, Ctrl-D or Ctrl-C quit with a summary. "
                    "The seed is always printed so the same questions can be regenerated.")
    p.add_argument("--html", action="store_true", help="write the practice page instead of drilling")
    p.add_argument("--families", metavar="F,...",
                   help="comma-separated family names (default: all; see 'quizgen list')")
    p.add_argument("--n", type=_positive, default=None,
                   help="number of questions (default 20 for --html; the drill runs until q)")
    p.add_argument("--difficulty", default="paper", help="paper, standard or challenge (default paper)")
    p.add_argument("--seed", type=int, default=None,
                   help="sheet seed (default: a fresh random seed, printed)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="page file for --html (default output/practice-<seed>.html)")
    p.add_argument("--force", action="store_true", help="overwrite an existing page")
    p.add_argument("--answers", metavar="FILE",
                   help="drill: read answers from FILE, one per line (stdin is read the same way "
                        "when it is not a terminal)")
    p.set_defaults(func=run)


def run(args) -> int:
    import secrets
    from pathlib import Path

    from quizgen.errors import OutputError, ParamError
    from quizgen.practice import parse_families, practice_questions, practice_stream

    families = parse_families(args.families)
    if args.n is not None and args.n <= 0:
        raise ParamError("must be a positive integer", param="--n", value=args.n)
    if args.seed is not None and args.seed < 0:
        raise ParamError("must be a non-negative integer", param="--seed", value=args.seed)
    seed = args.seed if args.seed is not None else secrets.randbelow(10 ** 6)
    fam_arg = f" --families {','.join(families)}" if args.families else ""
    if args.html:
        from quizgen.render.practice import write_practice_html
        n = args.n or 20
        questions = practice_questions(families, n, args.difficulty, seed)
        path = Path(args.output or f"output/practice-{seed}.html")
        if path.exists() and not args.force:
            raise OutputError(f"{path} exists; use --force to overwrite it")
        if not path.parent.is_dir():
            raise OutputError(f"folder {path.parent} does not exist")
        command = (f"quizgen practice --html{fam_arg} --n {n} --difficulty {args.difficulty} "
                   f"--seed {seed}")
        write_practice_html(questions, path, title="CNN practice", seed=seed, command=command)
        print(f"wrote {path} ({n} questions, seed {seed})")
        return 0

    from quizgen.drill import line_reader, run_drill
    practice_questions(families, 1, args.difficulty, seed)  # bad options fail before the drill
    stream = practice_stream(families, args.difficulty, seed)
    if args.answers:
        try:
            lines = Path(args.answers).read_text(encoding="utf-8").splitlines()
        except OSError as err:
            raise ParamError(f"cannot read: {err.strerror}", param="--answers",
                             value=args.answers) from None
        read = line_reader(lines, sys.stdout)
    elif not sys.stdin.isatty():
        read = line_reader(sys.stdin, sys.stdout)
    else:
        read = input
    n_arg = f" --n {args.n}" if args.n else ""
    command = f"quizgen practice{fam_arg}{n_arg} --difficulty {args.difficulty} --seed {seed}"
    run_drill(stream, read, sys.stdout, seed=seed, limit=args.n, command=command)
    return 0
