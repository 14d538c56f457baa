"""End to end in headless Chromium: answer right and wrong, read feedback, solution and
misconception, check the score, and prove the page makes no network request."""
import os
import shutil
from pathlib import Path

import pytest

from quizgen.model import LABELS
from quizgen.practice import practice_questions
from quizgen.render.practice import write_practice_html

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def page_and_questions(tmp_path_factory):
    if not CHROMIUM:
        pytest.skip("chromium is not installed (Debian package 'chromium')")
    if os.environ.get("QUIZGEN_REQUIRE_BROWSER") == "1":
        import playwright.sync_api as sync_api  # required: a missing driver fails, never skips
    else:
        sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    qs = practice_questions(["conv_output_size", "param_count", "memory"], 6, "paper", 1234)
    path = tmp_path_factory.mktemp("practice") / "practice.html"
    write_practice_html(qs, path, title="CNN practice", seed=1234)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 900, "height": 1200})
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        yield page, qs, requests, path.as_uri()
        browser.close()


def pick(page, number, q, letters):
    for letter in letters:
        page.check(f"#q{number}-{letter}")


def test_answer_right_and_wrong_then_solution(page_and_questions):
    page, qs, requests, url = page_and_questions
    choice_qs = [(i, q) for i, q in enumerate(qs, 1) if q.kind != "numeric"]
    (n1, q1), (n2, q2) = choice_qs[0], choice_qs[1]

    pick(page, n1, q1, q1.correct_labels)
    page.click(f"#q{n1} button.check")
    assert page.inner_text(f"#q{n1} .feedback") == "Right!"
    assert page.inner_text("#score").startswith("Score: 1 / 6 correct (1 checked)")

    wrong = next(i for i, c in enumerate(q2.choices) if not c.correct)
    if q2.kind == "single":
        page.check(f"#q{n2}-{LABELS[wrong]}")
    else:
        pick(page, n2, q2, [LABELS[wrong]])
    page.click(f"#q{n2} button.check")
    assert "Not quite" in page.inner_text(f"#q{n2} .feedback")
    assert page.inner_text("#score").startswith("Score: 1 / 6 correct (2 checked)")
    assert not page.is_visible(f"#q{n2}-solution")
    page.click(f"#q{n2} button.show")
    assert page.is_visible(f"#q{n2}-solution")
    solution = page.inner_text(f"#q{n2}-solution")
    assert f"Why {LABELS[wrong]} is wrong: {q2.choices[wrong].explanation}" in solution
    first_step = q2.solution[0].plain()[:30]
    assert first_step.split()[0] in solution
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky score bar then sits above question 1
    page.screenshot(path=str(ARTIFACTS / "practice-page.png"), full_page=True)


def test_numeric_within_tolerance(page_and_questions):
    page, qs, requests, url = page_and_questions
    nums = [(i, q) for i, q in enumerate(qs, 1) if q.kind == "numeric"]
    if not nums:
        pytest.skip("this sheet has no numeric question")
    n, q = nums[0]
    page.fill(f"#q{n}-answer", str(float(q.answer) + q.tolerance * 0.5))
    page.click(f"#q{n} button.check")
    assert page.inner_text(f"#q{n} .feedback") == "Right!"
    page.fill(f"#q{n}-answer", str(float(q.answer) + q.tolerance + 1))
    page.click(f"#q{n} button.check")
    assert "Not quite" in page.inner_text(f"#q{n} .feedback")


def test_keyboard_reachable(page_and_questions):
    page, qs, requests, url = page_and_questions
    page.focus("#q1 button.check")
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate("document.activeElement.tagName")
    assert focused in ("INPUT", "BUTTON")


def test_no_network_requests(page_and_questions):
    page, qs, requests, url = page_and_questions
    assert requests and all(r == url for r in requests), requests
