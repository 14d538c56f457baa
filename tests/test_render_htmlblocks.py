"""Content blocks → HTML fragments: structure per block type, escaping, inline styles only."""
from __future__ import annotations

from fractions import Fraction

import lxml.html
import pytest

from quizgen.mathexpr import Add, Mul, Paren, Pow, Sym
from quizgen.model import Math, Matrix, MatrixRow, Steps, T, Table
from quizgen.render.htmlblocks import block_html, blocks_html, runs_html
from render_samples import HOSTILE, hostile_questions


def parse(fragment: str):
    return lxml.html.fragment_fromstring(fragment, create_parent="div")


def test_text_with_inline_math_uses_sub_and_sup():
    html = block_html(T("Let ", Sym("n", "h"), " and ", Pow(Sym("x"), 2), " with ",
                        Mul(Paren(Add(Mul(3, 3, 3), 1)), 64), "."))
    assert html.startswith("<p ") and html.endswith("</p>")
    assert "n<sub>h</sub>" in html and "x<sup>2</sup>" in html
    assert parse(html).text_content() == "Let nh and x2 with (3 × 3 × 3 + 1) × 64."


def test_runs_are_escaped():
    assert runs_html((("a<b", ""), ("&", "sub"), ('"', "sup"))) == \
        "a&lt;b<sub>&amp;</sub><sup>&quot;</sup>"


@pytest.mark.parametrize("style, needle", [("note", "font-size: 0.9em"),
                                           ("strong", "font-weight: bold")])
def test_text_styles(style, needle):
    assert needle in block_html(T("x", style=style))


def test_hostile_text_round_trips():
    html = block_html(T(HOSTILE))
    assert parse(html).text_content() == HOSTILE
    assert "<" not in html[html.index(">") + 1:html.rindex("<")]


def test_math_is_a_centred_paragraph():
    html = block_html(Math(Pow(Sym("n"), 2)))
    el = parse(html)[0]
    assert el.tag == "p" and "text-align: center" in el.get("style")
    assert el.text_content() == "n2" and el.find("sup").text == "2"


def test_matrix_table_with_highlight_and_label():
    m = Matrix.of([[1, -2, 3], [4, 5, 6], [Fraction(1, 4), 0.5, 9]], label="Input <x>",
                  highlight=((1, 1, 2, 2),))
    table = parse(block_html(m))[0]
    assert table.tag == "table" and "border-collapse" in table.get("style")
    assert table.find("caption").text == "Input <x>"
    cells = [[td for td in tr.iter("td")] for tr in table.iter("tr")]
    assert [[td.text for td in row] for row in cells] == [["1", "−2", "3"], ["4", "5", "6"],
                                                          ["0.25", "0.5", "9"]]
    for r, row in enumerate(cells):
        for c, td in enumerate(row):
            style = td.get("style")
            assert "border:" in style and "text-align: center" in style
            assert ("background-color" in style) == (r >= 1 and c >= 1)


def test_matrix_row_places_items_inline():
    row = MatrixRow((Matrix.of([[1]]), "∗", Matrix.of([[2]]), "=", "?"))
    div = parse(block_html(row))[0]
    items = list(div)
    assert len(items) == 5
    assert all("display: inline-block" in i.get("style") for i in items)
    assert [i.text_content() for i in items] == ["1", "∗", "2", "=", "?"]


def test_table_header_alignment_and_numbers():
    t = Table(("Layer", "Params"), (("conv & pool", 34944), ("fc", Mul(4096, 1000))),
              caption="AlexNet", align="lr")
    table = parse(block_html(t))[0]
    assert [th.text for th in table.iter("th")] == ["Layer", "Params"]
    rows = table.findall("tbody/tr")
    assert [[td.text_content() for td in r] for r in rows] == [["conv & pool", "34,944"],
                                                               ["fc", "4096 × 1000"]]
    assert "text-align: left" in rows[0][0].get("style")
    assert "text-align: right" in rows[0][1].get("style")
    assert table.find("caption").text == "AlexNet"


def test_steps_are_an_ordered_list():
    ol = parse(block_html(Steps((T("one <1>"), T("two ", Sym("x", "i"))))))[0]
    assert ol.tag == "ol"
    assert [li.text_content() for li in ol] == ["one <1>", "two xi"]


def test_inline_choice_has_no_paragraph():
    assert blocks_html((T("3 × 3"),), inline=True) == "3 × 3"
    assert blocks_html((T("a"), T("b")), inline=True).count("<p ") == 2


def test_no_classes_or_style_elements_and_deterministic():
    for q in hostile_questions():
        for blocks in (q.stem, q.solution, *[c.content for c in q.choices]):
            html = blocks_html(blocks)
            div = parse(html) if html else None
            if div is not None:
                assert not div.xpath("//*[@class]|//style|//script")
            assert html == blocks_html(blocks)


def test_unknown_block_is_refused():
    with pytest.raises(TypeError):
        block_html("not a block")
