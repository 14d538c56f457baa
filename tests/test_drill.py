"""The terminal drill through a pseudo-terminal (pexpect) and in scripted mode."""
import signal
import subprocess
import sys

import pexpect
import pytest

from quizgen.model import LABELS
from quizgen.practice import practice_questions

FAMILIES = "conv_output_size,param_count"
SEED = 21
COMMAND = f"quizgen practice --families {FAMILIES} --difficulty paper --seed {SEED}"


@pytest.fixture(scope="module")
def questions():
    return practice_questions(FAMILIES.split(","), 3, "paper", SEED)


def right_answer(q):
    return "".join(q.correct_labels) if q.kind != "numeric" else str(q.answer)


def wrong_choice(q):
    for i, c in enumerate(q.choices):
        if not c.correct and c.explanation:
            return LABELS[i], c
    raise AssertionError("no wrong option with an explanation")


def spawn():
    return pexpect.spawn(sys.executable, ["-m", "quizgen", "practice", "--families", FAMILIES,
                                          "--seed", str(SEED)],
                         encoding="utf-8", timeout=60, dimensions=(50, 200))


def test_right_wrong_and_quit(questions):
    q1, q2 = questions[0], questions[1]
    assert q2.kind != "numeric"
    child = spawn()
    child.expect("Your answer")
    child.sendline(right_answer(q1))
    child.expect("Right!")
    child.expect("Score so far: 1/1")
    child.expect("Your answer")
    letter, choice = wrong_choice(q2)
    child.sendline(letter)
    child.expect("Wrong.")
    child.expect_exact(f"Why {letter} is wrong: {choice.explanation.split()[0]}")
    child.expect("Solution:")
    child.expect("Score so far: 1/2")
    child.expect("Your answer")
    child.sendline("Z")
    child.expect("Not understood")
    child.sendline("q")
    child.expect_exact(f"Score: 1/2 (50%). Seed {SEED}. To get the same questions again, run:")
    child.expect_exact(f"\r\n  {COMMAND}\r\n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_ctrl_d_quits_with_summary(questions):
    child = spawn()
    child.expect("Your answer")
    child.sendeof()
    child.expect_exact("Score: 0/0")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_ctrl_c_quits_with_summary(questions):
    child = spawn()
    child.expect("Your answer")
    child.sendline(right_answer(questions[0]))
    child.expect("Score so far: 1/1")
    child.expect("Your answer")
    child.kill(signal.SIGINT)
    child.expect_exact("Score: 1/1 (100%)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_scripted_answers_file_and_stdin(tmp_path, questions):
    answers = tmp_path / "answers.txt"
    answers.write_text("\n".join(right_answer(q) for q in questions) + "\n")
    cmd = [sys.executable, "-m", "quizgen", "practice", "--families", FAMILIES, "--seed",
           str(SEED), "--n", "3"]
    out = subprocess.run(cmd + ["--answers", str(answers)], capture_output=True, text=True,
                         check=True).stdout
    assert out.endswith(f"Score: 3/3 (100%). Seed {SEED}. To get the same questions again, run:\n"
                        f"  quizgen practice --families {FAMILIES} --n 3 --difficulty paper "
                        f"--seed {SEED}\n")
    out2 = subprocess.run(cmd, input=answers.read_text(), capture_output=True, text=True,
                          check=True).stdout
    assert out2 == out


@pytest.mark.parametrize("args, needle", [
    (["--families", "nope"], "unknown family 'nope'"),
    (["--n", "0"], "'--n'"),
])
def test_bad_options_exit_2(args, needle):
    r = subprocess.run([sys.executable, "-m", "quizgen", "practice", *args],
                       capture_output=True, text=True, input="")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr


def test_summary_sentences_end_with_punctuation():
    from quizgen.drill import DrillResult
    text = DrillResult(asked=4, right=3).summary(SEED, COMMAND)
    first, command = text.split("\n")
    assert first == f"Score: 3/4 (75%). Seed {SEED}. To get the same questions again, run:"
    assert command == "  " + COMMAND           # alone on its line: copies and pastes as is
    assert DrillResult().summary(SEED) == \
        f"Score: 0/0. Seed {SEED}. The same questions again with --seed {SEED}."
