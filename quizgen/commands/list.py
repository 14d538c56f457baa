"""``quizgen list``: the families, one line each; ``--params`` documents every parameter."""
from __future__ import annotations


def register(sub):
    p = sub.add_parser("list", help="list question families (one line each)",
                       description="List the question families. With --params, also every "
                                   "parameter's name, type, allowed range and meaning.")
    p.add_argument("--params", action="store_true", help="document each family's parameters")
    p.set_defaults(func=run)


def run(args) -> int:
    from quizgen import families
    for name in families.names():
        fam = families.get(name)
        print(f"{name:20s} {fam.title}  [kinds: {', '.join(fam.kinds)}]")
        if args.params:
            for prm in fam.params:
                print(f"    {prm.describe()}")
    return 0
