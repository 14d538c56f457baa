"""Stem templates turn into content blocks."""
import pytest

from quizgen import templating
from quizgen.errors import QuizgenError
from quizgen.mathexpr import Mul
from quizgen.model import Matrix, Text


@pytest.fixture
def tmpl(tmp_path, monkeypatch):
    (tmp_path / "questions").mkdir()
    monkeypatch.setattr(templating, "TEMPLATES", tmp_path)
    templating.environment.cache_clear()
    yield tmp_path / "questions"
    templating.environment.cache_clear()


def test_paragraphs_inline_math_and_blocks(tmpl):
    (tmpl / "t.j2").write_text("First {{ math(e) }} line\ncontinues.\n\n{{ block(m) }}\n\n"
                               "Last & <kept> raw.")
    m = Matrix.of([[1, 2], [3, 4]])
    blocks = templating.render_blocks("questions/t.j2", e=Mul(2, 3), m=m)
    assert isinstance(blocks[0], Text)
    assert blocks[0].plain() == "First 2 × 3 line continues."
    assert blocks[1] == m
    assert blocks[2].plain() == "Last & <kept> raw."


def test_block_inside_text_is_an_error(tmpl):
    (tmpl / "bad.j2").write_text("See {{ block(m) }} here")
    with pytest.raises(QuizgenError, match="paragraph of its own"):
        templating.render_blocks("questions/bad.j2", m=Matrix.of([[1]]))


def test_undefined_variable_is_an_error(tmpl):
    (tmpl / "u.j2").write_text("{{ nope }}")
    with pytest.raises(Exception, match="nope"):
        templating.render_blocks("questions/u.j2")
