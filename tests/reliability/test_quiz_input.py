"""Pooling a class's quiz answers: an answer with a NaN or negative time is refused, naming the
file and the answer; a malformed answer file (not JSON, the wrong shape, missing fields, wrong
types) is left out and named, and the rest of the class is pooled, never a raw traceback."""
import json

import pytest

from colorlab.show.widgets import quiz as Q

GOOD = {"format": Q.FORMAT, "seed": 0, "items": [],
        "answers": [{"item": "fake 0", "position": 0, "truth": "fake", "answer": "real",
                     "seconds": 2.0},
                    {"item": "real 0", "position": 1, "truth": "real", "answer": "real",
                     "seconds": 4.0}]}


def saved(path, doc) -> str:
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def with_answer(**fields) -> dict:
    return {**GOOD, "answers": [{**GOOD["answers"][0], **fields}]}


@pytest.mark.parametrize("seconds", [float("nan"), -1e9, float("inf")], ids=["nan", "-1e9", "inf"])
def test_an_answer_with_an_impossible_time_is_refused_naming_file_and_answer(tmp_path, seconds):
    bad = saved(tmp_path / "student7.json", with_answer(seconds=seconds))
    with pytest.raises(ValueError) as e:
        Q.read_answers(bad)
    message = str(e.value)
    assert "student7.json" in message and "answer 0" in message and "seconds" in message


MALFORMED = {
    "not_json": "{not json",
    "a_list": json.dumps([1, 2, 3]),
    "missing_fields": json.dumps({**GOOD, "answers": [{"item": "x"}]}),
    "answers_not_a_list": json.dumps({**GOOD, "answers": "all real"}),
    "item_a_list": json.dumps(with_answer(item=["fake", 0])),
    "seconds_text": json.dumps(with_answer(seconds="2.0")),
    "seconds_nan": json.dumps(with_answer(seconds=float("nan"))),
    "truth_a_dict": json.dumps(with_answer(truth={"fake": 1})),
    "deeply_nested": "[" * 100_000 + "]" * 100_000,
    "not_utf8": b"\xff\xfe{".decode("latin-1"),
}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_answer_file_is_left_out_and_named_and_the_class_pooled(tmp_path, kind, capsys):
    saved(tmp_path / "a.json", GOOD)
    saved(tmp_path / "b.json", GOOD)
    (tmp_path / f"{kind}.json").write_bytes(MALFORMED[kind].encode("latin-1"))
    report = Q.pool(tmp_path)
    assert report["people"] == 2 and report["answered"] == 4 and report["mean_seconds"] == 3.0
    assert [name.endswith(f"{kind}.json") for name, _ in report["skipped"]] == [True]
    assert f"{kind}.json" in str(report) and f"{kind}.json" in capsys.readouterr().out


def test_a_class_of_only_malformed_files_is_one_clear_error(tmp_path):
    saved(tmp_path / "x.json", with_answer(item=["fake", 0]))
    with pytest.raises(ValueError, match="x.json: 1 answer.*item that is not text"):
        Q.pool(tmp_path)
