"""The ``quizgen`` command line: thin subcommands, each one library call.

Every subcommand lives in ``quizgen/commands/<name>.py`` and exposes ``register(subparsers)``,
which adds its parser and sets ``func`` to a callable taking the parsed arguments and returning an
exit status. Heavy imports happen inside those callables so that ``quizgen --help`` stays fast.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from quizgen.errors import QuizgenError

#: Subcommand modules under quizgen.commands, in the order ``--help`` lists them.
COMMANDS: list[str] = ["list", "preview", "stress", "practice", "validate", "generate", "summary"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quizgen",
        description="Write randomized, verified exams and practice sheets about convolutional "
                    "neural networks.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"quizgen.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except QuizgenError as err:
        print(f"quizgen: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("quizgen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
