"""The practice page (unit level) and the practice command's options."""
import json
import re
from html.parser import HTMLParser

import pytest

from quizgen.cli import main
from quizgen.errors import ParamError
from quizgen.mathexpr import Mul
from quizgen.model import Choice, Question, T
from quizgen.practice import practice_questions
from quizgen.render.practice import practice_html, write_practice_html

HOSTILE = "</script><script>alert(1)</script> k < n & \"q\" 'a'"


def hostile_question():
    return Question(
        family="handmade", seed=1, difficulty="paper", kind="single", params={},
        stem=(T(HOSTILE, " and ", Mul(2, 3)),),
        choices=(Choice((T("A & B <b>"),), True, None, "", 1),
                 Choice((T("</script>"),), False, "forgot_bias", "Bias </script> & co", 2)),
        answer=1, solution=(T("Because ", HOSTILE),))


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.scripts, self.tags = [], [], []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def test_hostile_text_stays_escaped():
    page = practice_html([hostile_question()], title="T <&>", seed=3)
    p = _Collect()
    p.feed(page)
    assert p.tags.count("script") == 2           # the JSON data and the page script only
    assert HOSTILE in "".join(p.text)            # shown literally as text
    data = json.loads(p.scripts[0])
    assert data[0]["why"]["B"] == "Bias </script> & co"
    assert "</script>" not in p.scripts[0]


def test_self_contained_and_deterministic(tmp_path):
    qs = practice_questions(None, 15, "paper", 11)
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    write_practice_html(qs, a, title="CNN practice", seed=11)
    write_practice_html(practice_questions(None, 15, "paper", 11), b, title="CNN practice", seed=11)
    assert a.read_bytes() == b.read_bytes()
    page = a.read_text()
    assert not re.search(r"https?://|//cdn|@import|<link|src=", page)
    assert page.count('<section class="q"') == 15
    assert "seed 11" in page


def test_mix_covers_families_and_kinds():
    qs = practice_questions(["conv_output_size", "pool_values"], 8, "standard", 5)
    assert [q.family for q in qs] == ["conv_output_size", "pool_values"] * 4
    assert len({q.stem_plain() for q in qs}) == 8


def test_bad_options():
    with pytest.raises(ParamError, match="--n"):
        practice_questions(None, 0, "paper", 1)
    with pytest.raises(ParamError, match="--difficulty"):
        practice_questions(None, 3, "hard", 1)


@pytest.mark.parametrize("argv, needle", [
    (["practice", "--html", "--n", "0"], "'--n'"),
    (["practice", "--html", "--families", "nope"], "unknown family 'nope'"),
    (["practice", "--families", "conv_output_size,nope"], "unknown family 'nope'"),
    (["practice", "--html", "--difficulty", "hard"], "'--difficulty'"),
])
def test_cli_bad_options_one_line_exit_2(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


def test_cli_writes_page_and_refuses_overwrite(tmp_path, capsys):
    out = tmp_path / "p.html"
    assert main(["practice", "--html", "--n", "3", "--seed", "9", "-o", str(out)]) == 0
    assert "seed 9" in capsys.readouterr().out
    assert "quizgen practice --html --n 3 --difficulty paper --seed 9" in out.read_text()
    before = out.read_bytes()
    assert main(["practice", "--html", "--n", "4", "--seed", "9", "-o", str(out)]) == 2
    assert out.read_bytes() == before
    assert main(["practice", "--html", "--n", "4", "--seed", "9", "-o", str(out), "--force"]) == 0
