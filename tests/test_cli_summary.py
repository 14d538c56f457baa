"""``quizgen summary``: table, csv, json, and one-line errors with exit status 2."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest

from quizgen.cli import COMMANDS, main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_registered():
    from quizgen.commands.summary import MODEL_NAMES
    from quizgen.engine.models import MODELS
    assert "summary" in COMMANDS
    assert list(MODEL_NAMES) == list(MODELS)


def test_alexnet_table_shows_the_deeprob_numbers(capsys):
    status, out, err = run(capsys, "summary", "alexnet", "--input", "3x227x227")
    assert status == 0 and err == ""
    lines = {line.split()[0]: line.split() for line in out.splitlines()[3:] if line.strip()
             and not line.startswith("-")}
    conv1 = lines["features.0"]
    assert conv1[1:] == ["Conv2d", "64x56x56", "23,296", "72,855,552", "0", "784"]
    assert lines["features.2"][2:] == ["64x27x27", "0", "0", "419,904", "182"]
    assert lines["features.3"][2:] == ["192x27x27", "307,392", "223,948,800", "0", "547"]
    assert lines["features.5"][-1] == "127" and lines["features.6"][-1] == "254"
    assert lines["flatten"][2] == "9216"
    assert lines["classifier.1"][3:5] == ["37,752,832", "37,748,736"]
    assert lines["classifier.4"][3] == "16,781,312"
    assert lines["classifier.6"][3] == "4,097,000"
    assert lines["Total"][1:3] == ["61,100,840", "716,767,232"]
    assert out.splitlines()[0].startswith("alexnet: input 3x227x227")


def test_default_input_and_all_layers(capsys):
    status, out, _ = run(capsys, "summary", "lenet5", "--all")
    assert status == 0
    assert re.search(r"^relu\s+ReLU", out, re.M)
    assert "61,706" in out


def test_csv_is_clean_and_exact(capsys):
    status, out, err = run(capsys, "summary", "resnet18", "--input", "3x224x224",
                           "--format", "csv")
    assert status == 0 and err == ""
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["layer"] == "conv1" and rows[0]["output_shape"] == "64x112x112"
    assert sum(int(r["macs"]) for r in rows) == 1_814_073_344
    assert sum(int(r["params"]) for r in rows) == 11_689_512
    assert all(r["layer"] for r in rows)
    assert out.count("\n") == len(rows) + 1


def test_json_and_bytes(capsys):
    status, out, _ = run(capsys, "summary", "googlenet_stem", "--format", "json",
                         "--bytes", "2")
    assert status == 0
    data = json.loads(out)
    assert data["bytes_per_element"] == 2 and data["input_shape"] == [3, 224, 224]
    assert [r["memory_kb"] for r in data["rows"]] == [1568, 392, 392, 1176, 294]
    assert data["totals"]["params"] == 124_416


def test_batched_input(capsys):
    status, out, _ = run(capsys, "summary", "lenet5", "--input", "8x1x28x28", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert data["rows"][0]["output_shape"] == [8, 6, 28, 28]


@pytest.mark.parametrize("argv, words", [
    (["summary", "alexnot"], ["unknown model 'alexnot'", "alexnet", "resnet18"]),
    (["summary", "alexnet", "--input", "3x227"], ["--input '3x227'", "C×H×W"]),
    (["summary", "alexnet", "--input", "3xax227"], ["--input '3xax227'"]),
    (["summary", "alexnet", "--input", "0x227x227"], ["positive"]),
    (["summary", "alexnet", "--input", "3x5x5"], ["features.0 (Conv2d)", "larger than"]),
    (["summary", "alexnet", "--bytes", "0"], ["--bytes 0"]),
])
def test_errors_exit_2_with_one_line(capsys, argv, words):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("quizgen: error: ")
    for word in words:
        assert word in err, (word, err)
