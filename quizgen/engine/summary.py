"""Per-layer accounting table of a model: shapes, parameters, MACs, pooling ops, memory.

Computed without running the model: the model's own ``forward`` is traced with shape probes
(:func:`quizgen.engine.layers.trace_shapes`) and each leaf layer reports its closed-form cost.

Conventions (DESIGN.md, "Counting and rounding conventions"):

* **MACs** (multiply-adds) of conv and linear layers only; **FLOPs = 2·MACs**. The DeepRob table's
  "Flop (M)" column and the ResNet paper's "FLOPs" are MACs. Batch norm, activations and the
  residual additions are not counted.
* **Pool ops** = ``C·H'·W'·K_h·K_w`` per pooling layer (DeepRob).
* **Memory** of a row = its output elements × ``bytes_per_element`` (4 = float32), like the
  DeepRob "Memory (KB)" column; KB = bytes / 1024, printed rounded half up (182.25 → 182,
  546.75 → 547). The input is not a row; ``Summary.input_elements`` holds it (CS231n's VGG
  table lists the input as its first row).
* **Params** include biases; ``weight_params`` and ``bias_params`` split them (CS231n's VGG
  table counts weights only).
* **Rows.** By default a row is shown for every layer that holds parameters or changes the
  shape (conv, pool, linear, flatten, batch norm). Activations, dropout and identities change
  neither, so they are folded into the layer before them (as in-place ops; the lecture tables
  do the same); an adaptive pool that is a no-op at this input (AlexNet's 6×6 at 227, VGG's
  7×7 at 224) is folded likewise. ``all_layers=True`` shows every leaf call, in call order.
* **Totals** sum the rows shown (parameters once per layer), so with the default rows the
  memory total is the lecture's "sum of the table" and does not count in-place activations.
* Shapes are shown as given: ``C×H×W`` input → per-sample shapes; ``N×C×H×W`` → batch shapes,
  and MACs, ops and memory are for the whole batch.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass
from typing import Any, Sequence

from quizgen.engine import shapes as S
from quizgen.engine.layers import Module, trace_shapes
from quizgen.errors import EngineError

__all__ = ["SummaryRow", "Totals", "Summary", "summary", "format_shape"]


def format_shape(shape: Sequence[int], sep: str = "x") -> str:
    """``(64, 56, 56)`` → ``"64x56x56"``."""
    return sep.join(str(v) for v in shape)


@dataclass(frozen=True)
class SummaryRow:
    """One layer call: where it is, what it maps, and what it costs."""

    name: str
    type: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    weight_params: int
    bias_params: int
    params: int
    macs: int
    flops: int
    pool_ops: int
    output_elements: int
    memory_bytes: int

    @property
    def memory_kb(self) -> float:
        """Exact KB (bytes / 1024)."""
        return S.kb(self.memory_bytes)

    @property
    def memory_kb_rounded(self) -> int:
        """KB rounded half up, as the lecture tables print it."""
        return S.round_half_up(self.memory_kb)


@dataclass(frozen=True)
class Totals:
    """Sums over the rows shown (parameters counted once per layer)."""

    weight_params: int
    bias_params: int
    params: int
    macs: int
    flops: int
    pool_ops: int
    output_elements: int
    memory_bytes: int

    @property
    def memory_kb(self) -> float:
        return S.kb(self.memory_bytes)


@dataclass(frozen=True)
class Summary:
    """The table: ``rows`` in call order and their ``totals``."""

    model: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    bytes_per_element: int
    all_layers: bool
    input_elements: int
    input_bytes: int
    rows: tuple[SummaryRow, ...]
    totals: Totals

    def row(self, name: str) -> SummaryRow:
        """The first row called ``name``."""
        for r in self.rows:
            if r.name == name:
                return r
        raise EngineError(f"summary of {self.model}: no row named {name!r}; rows: "
                          + ", ".join(r.name for r in self.rows))

    # -- renderings --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for r in self.rows:
            d = asdict(r)
            d["input_shape"] = list(r.input_shape)
            d["output_shape"] = list(r.output_shape)
            d["memory_kb"] = r.memory_kb
            rows.append(d)
        totals = asdict(self.totals)
        totals["memory_kb"] = self.totals.memory_kb
        return {
            "model": self.model,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            "bytes_per_element": self.bytes_per_element,
            "all_layers": self.all_layers,
            "input_elements": self.input_elements,
            "input_bytes": self.input_bytes,
            "rows": rows,
            "totals": totals,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    CSV_FIELDS = ("layer", "type", "input_shape", "output_shape", "weight_params",
                  "bias_params", "params", "macs", "flops", "pool_ops", "output_elements",
                  "memory_bytes", "memory_kb")

    def to_csv(self) -> str:
        """One header line and one line per row; exact integers, KB as an exact decimal."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(self.CSV_FIELDS)
        for r in self.rows:
            writer.writerow([r.name, r.type, format_shape(r.input_shape),
                             format_shape(r.output_shape), r.weight_params, r.bias_params,
                             r.params, r.macs, r.flops, r.pool_ops, r.output_elements,
                             r.memory_bytes, _exact(r.memory_kb)])
        return buf.getvalue()

    def to_table(self) -> str:
        """A plain-text table: layer, type, output shape, params, MACs, pool ops, memory KB."""
        header = ("Layer", "Type", "Output", "Params", "MACs", "Pool ops", "Memory (KB)")
        body = [(r.name, r.type, format_shape(r.output_shape), f"{r.params:,}", f"{r.macs:,}",
                 f"{r.pool_ops:,}", f"{r.memory_kb_rounded:,}") for r in self.rows]
        t = self.totals
        total = ("Total", "", "", f"{t.params:,}", f"{t.macs:,}", f"{t.pool_ops:,}",
                 f"{S.round_half_up(t.memory_kb):,}")
        widths = [max(len(str(line[i])) for line in [header, *body, total])
                  for i in range(len(header))]
        numeric = {3, 4, 5, 6}

        def fmt(line: Sequence[str]) -> str:
            cells = [(str(c).rjust(w) if i in numeric else str(c).ljust(w))
                     for i, (c, w) in enumerate(zip(line, widths))]
            return "  ".join(cells).rstrip()

        rule = "  ".join("-" * w for w in widths)
        bpe = self.bytes_per_element
        lines = [
            f"{self.model}: input {format_shape(self.input_shape)}, output "
            f"{format_shape(self.output_shape)}, {bpe} byte{'s' if bpe != 1 else ''} per element",
            fmt(header), rule, *(fmt(b) for b in body), rule, fmt(total),
            f"FLOPs (2·MACs): {t.flops:,}; weights {t.weight_params:,} + biases "
            f"{t.bias_params:,}; input memory {S.round_half_up(S.kb(self.input_bytes)):,} KB",
        ]
        return "\n".join(lines) + "\n"


def _exact(x: float) -> str:
    """A float that is a whole number prints without '.0'; others print their exact repr."""
    return str(int(x)) if x == int(x) else repr(x)


def _parse_input_shape(input_shape: Any) -> tuple[tuple[int, ...], bool]:
    try:
        dims = tuple(input_shape)
    except TypeError:
        raise EngineError(f"summary: input_shape must be C×H×W or N×C×H×W, got "
                          f"{input_shape!r}") from None
    if len(dims) not in (3, 4) or any(isinstance(v, bool) or not isinstance(v, int)
                                      and not hasattr(v, "__index__") for v in dims):
        raise EngineError(f"summary: input_shape must be C×H×W or N×C×H×W (3 or 4 integers), "
                          f"got {input_shape!r}")
    dims = tuple(int(v) for v in dims)
    if any(v < 1 for v in dims):
        raise EngineError(f"summary: every size in input_shape must be positive, got "
                          f"{format_shape(dims)}")
    batched = len(dims) == 4
    return (dims if batched else (1, *dims)), batched


def summary(model: Module, input_shape: Sequence[int], bytes_per_element: int = 4, *,
            all_layers: bool = False, name: str | None = None) -> Summary:
    """The accounting table of ``model`` on an input of ``input_shape`` (C×H×W or N×C×H×W).

    Nothing is run and no parameter is created; shapes and costs come from the closed forms in
    :mod:`quizgen.engine.shapes`. See the module docstring for what rows and totals count.
    """
    if not isinstance(model, Module):
        raise EngineError(f"summary: model must be a Module, got {type(model).__name__}")
    if isinstance(bytes_per_element, bool) or not isinstance(bytes_per_element, int) \
            or bytes_per_element < 1:
        raise EngineError(f"summary: bytes_per_element must be a positive integer, got "
                          f"{bytes_per_element!r}")
    full, batched = _parse_input_shape(input_shape)
    records = trace_shapes(model, full)
    names = {id(m): n for n, m in model.named_modules()}

    def show(shape: tuple[int, ...]) -> tuple[int, ...]:
        return shape if batched else shape[1:]

    rows = []
    seen_params: set[int] = set()
    weight_total = bias_total = 0
    for rec in records:
        c = rec.cost
        if not all_layers and c.params == 0 and rec.output_shape == rec.input_shape:
            continue
        elements = math.prod(rec.output_shape)
        rows.append(SummaryRow(
            name=names.get(id(rec.module)) or type(rec.module).__name__,
            type=type(rec.module).__name__,
            input_shape=show(rec.input_shape), output_shape=show(rec.output_shape),
            weight_params=c.weight_params, bias_params=c.bias_params, params=c.params,
            macs=c.macs, flops=2 * c.macs, pool_ops=c.pool_ops, output_elements=elements,
            memory_bytes=S.activation_bytes(elements, bytes_per_element),
        ))
        if id(rec.module) not in seen_params:
            seen_params.add(id(rec.module))
            weight_total += c.weight_params
            bias_total += c.bias_params
    macs = sum(r.macs for r in rows)
    totals = Totals(
        weight_params=weight_total, bias_params=bias_total, params=weight_total + bias_total,
        macs=macs, flops=2 * macs, pool_ops=sum(r.pool_ops for r in rows),
        output_elements=sum(r.output_elements for r in rows),
        memory_bytes=sum(r.memory_bytes for r in rows),
    )
    out_shape = records[-1].output_shape if records else full
    input_elements = math.prod(full)
    return Summary(
        model=name or type(model).__name__, input_shape=show(full), output_shape=show(out_shape),
        bytes_per_element=bytes_per_element, all_layers=bool(all_layers),
        input_elements=input_elements,
        input_bytes=S.activation_bytes(input_elements, bytes_per_element),
        rows=tuple(rows), totals=totals,
    )
