"""``quizgen summary MODEL``: the per-layer table (shapes, params, MACs, memory) of a model."""
from __future__ import annotations

import re


#: The registered models (``quizgen.engine.models.MODELS``), spelled out here so that building
#: the parser does not import numpy; a test keeps the two lists equal.
MODEL_NAMES = ("lenet5", "lenet5_32", "lenet_deeprob", "alexnet", "vgg11", "vgg13", "vgg16",
               "vgg19", "googlenet_stem", "resnet18", "resnet34", "resnet50", "resnet101",
               "resnet152")


def register(sub):
    p = sub.add_parser(
        "summary", help="per-layer table of a reference model (shapes, params, MACs, memory)",
        description="Print the per-layer accounting of a reference network without running it: "
                    "output shape, parameters (with biases), MACs (multiply-adds; FLOPs = "
                    "2·MACs), pooling ops (C·H'·W'·K²) and output memory (elements × bytes, "
                    "KB = bytes/1024, rounded half up in the table). Activations and dropout "
                    "are folded into the layer before them unless --all is given.")
    p.add_argument("model", metavar="MODEL",
                   help=", ".join(MODEL_NAMES))
    p.add_argument("--input", metavar="CxHxW", default=None,
                   help="input shape C×H×W or N×C×H×W, e.g. 3x227x227 "
                        "(default: the model's usual input)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table",
                   help="output format (csv and json carry exact integers; default: table)")
    p.add_argument("--bytes", type=int, default=4, metavar="N",
                   help="bytes per element for memory (default 4, float32)")
    p.add_argument("--all", action="store_true", dest="all_layers",
                   help="show every layer call, activations and dropout included")
    p.set_defaults(func=run)


def parse_shape(text: str) -> tuple[int, ...]:
    """``"3x227x227"`` (also ``×``, ``*`` or ``,`` as separators) → ``(3, 227, 227)``."""
    from quizgen.errors import QuizgenError
    parts = [t.strip() for t in re.split(r"[x×X*,]", text.strip())]
    if len(parts) not in (3, 4) or not all(t.isdigit() for t in parts):
        raise QuizgenError(f"--input {text!r}: expected C×H×W or N×C×H×W with positive "
                           "integers, e.g. 3x227x227")
    dims = tuple(int(t) for t in parts)
    if any(v < 1 for v in dims):
        raise QuizgenError(f"--input {text!r}: every size must be positive")
    return dims


def run(args) -> int:
    from quizgen.engine.models import MODELS, get_model
    from quizgen.engine.summary import summary
    from quizgen.errors import QuizgenError

    key = args.model.strip().lower().replace("-", "_")
    if key not in MODELS:
        raise QuizgenError(f"unknown model {args.model!r}; known models: {', '.join(MODELS)}")
    if args.bytes < 1:
        raise QuizgenError(f"--bytes {args.bytes}: must be a positive integer")
    shape = parse_shape(args.input) if args.input else MODELS[key].input_shape
    table = summary(get_model(key), shape, args.bytes, all_layers=args.all_layers, name=key)
    if args.format == "json":
        print(table.to_json())
    elif args.format == "csv":
        print(table.to_csv(), end="")
    else:
        print(table.to_table(), end="")
    return 0
