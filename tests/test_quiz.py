"""The "fake or real?" quiz without a browser: buttons, shuffling, the report, save and pool."""
import json
import math

import numpy as np
import pytest

ipywidgets = pytest.importorskip("ipywidgets")

from colorlab import widgets  # noqa: E402
from colorlab.show.widgets import quiz as Q  # noqa: E402


def solid(value, h=20, w=30):
    """A flat (h, w, 3) uint8 photo of one gray value: each photo is told apart by its value."""
    return np.full((h, w, 3), value, dtype=np.uint8)


class Clock:
    """A clock the test moves by hand: seconds = the sum of the ``tick``s so far."""

    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t

    def tick(self, s):
        self.t += s


REAL = [solid(v) for v in (10, 20, 30, 40)]
FAKE = [solid(v) for v in (200, 210, 220)]


def make(n=6, seed=0, clock=None):
    return Q.FakeOrReal(REAL, FAKE, n=n, seed=seed, size=24, clock=clock or Clock())


def test_export_and_composition():
    q = widgets.fake_or_real(REAL, FAKE, n=6, seed=3, size=24)
    assert isinstance(q, widgets.FakeOrReal)
    truths = [it.truth for it in q.items]
    assert truths.count("fake") == 3 and truths.count("real") == 3
    assert len({it.name for it in q.items}) == 6                    # no photo twice
    # each item shows the photo its name says: real i is REAL[i], fake i is FAKE[i], resized
    for it in q.items:
        kind, idx = it.name.split()[:2]
        src = (REAL if kind == "real" else FAKE)[int(idx)]
        assert it.truth == kind
        assert it.image.shape == (24, 36, 3)
        assert np.allclose(it.image, src[0, 0] / 255, atol=1e-6)


def test_shuffling_is_seeded():
    names = lambda seed: [it.name for it in make(seed=seed).items]   # noqa: E731
    assert names(5) == names(5)
    orders = {tuple(names(s)) for s in range(6)}
    assert len(orders) > 1, "six seeds gave one order: the quiz is not shuffled"
    # an odd n: one more real than fake
    assert [it.truth for it in make(n=5).items].count("fake") == 2


def test_too_few_photos_is_refused():
    with pytest.raises(ValueError, match="needs 4 real and 4 recoloured.*given 4 real and 3"):
        make(n=8)
    with pytest.raises(ValueError, match="n >= 2"):
        make(n=1)


def test_buttons_record_answers_and_move_on():
    clock = Clock()
    q = make(n=6, clock=clock)
    w = q.widget
    assert isinstance(w, ipywidgets.VBox)
    first_png = q._image.value
    assert "photo 1 of 6" in q._progress.value
    clock.tick(2.5)
    q.buttons["real"].click()                       # what a click in the browser does
    assert q.answers == [{"item": q.items[0].name, "position": 0, "truth": q.items[0].truth,
                          "answer": "real", "seconds": 2.5}]
    assert "photo 2 of 6" in q._progress.value
    assert "you said <b>real</b> after 2.5 s" in q._info.value
    if q.items[1].name != q.items[0].name:
        assert q._image.value != first_png, "the next photo did not replace the first"
    for k, choice in enumerate(["fake", "fake", "real", "fake", "real"], start=1):
        clock.tick(k)
        q.buttons[choice].click()
        assert q.answers[-1]["answer"] == choice and q.answers[-1]["seconds"] == k
        assert q.answers[-1]["truth"] == q.items[k].truth
    assert q.done and all(b.disabled for b in q.buttons.values())
    assert "all 6 photos answered" in q._progress.value
    assert "45.87 %" in q._info.value and "32.00 %" in q._info.value   # the report, at the end
    with pytest.raises(ValueError, match="the quiz is over"):
        q.answer("real")


def test_bad_answer_is_refused():
    with pytest.raises(ValueError, match="answer must be one of"):
        make().answer("maybe")


def answered(pattern, seed=0):
    """A quiz of 6 whose answers say "real" where ``pattern(item)`` is true."""
    q = make(n=6, seed=seed)
    for it in q.items:
        q.answer("real" if pattern(it) else "fake")
    return q


def test_report_shares():
    # every real photo called real; exactly the fakes "fake 0" and "fake 1" called real
    q = answered(lambda it: it.truth == "real" or it.name in ("fake 0", "fake 1"))
    fooled = sum(1 for it in q.items if it.truth == "fake" and it.name in ("fake 0", "fake 1"))
    r = q.report()
    assert r["fakes"] == 3 and r["reals"] == 3 and r["answered"] == 6
    assert r["fakes_called_real"] == fooled
    assert r["fake_judged_real"] == pytest.approx(fooled / 3)
    assert r["real_judged_real"] == 1.0
    assert r["accuracy"] == pytest.approx((3 + 3 - fooled) / 6)
    assert r["by_item"] == {it.name: float(it.truth == "real" or it.name in ("fake 0", "fake 1"))
                            for it in q.items}
    md = r._repr_markdown_()
    assert f"{100 * fooled / 3:.2f} % ({fooled} of 3)" in md
    assert "45.87 %" in md and "32.00 %" in md
    assert "45.87 %" in str(r)


def test_report_without_fakes_is_nan_not_zero():
    r = Q.summarize([{"item": "a", "truth": "real", "answer": "fake", "seconds": 1.0}])
    assert math.isnan(r["fake_judged_real"]) and r["real_judged_real"] == 0.0
    assert "no answers" in r._repr_markdown_()


def test_save_and_pool_round_trip(tmp_path):
    a = answered(lambda it: True)                    # says "real" to everything
    b = answered(lambda it: it.truth == "real")      # never fooled
    pa, pb = a.save(tmp_path / "a.json"), b.save(tmp_path / "b.json")
    doc = json.loads(pa.read_text())
    assert doc["answers"] == a.answers and doc["seed"] == 0
    pooled = Q.pool([pa, pb])
    assert pooled["people"] == 2 and pooled["answered"] == 12
    assert pooled["fakes_called_real"] == 3 and pooled["fake_judged_real"] == pytest.approx(0.5)
    assert pooled["by_item"] == {it.name: (1.0 if it.truth == "real" else 0.5) for it in a.items}
    assert Q.summarize(a.answers + b.answers, people=2) == pooled
    assert a.pool(tmp_path)["answered"] == 12       # a folder: its *.json files
    assert widgets.FakeOrReal.pool([pa])["fake_judged_real"] == 1.0


def test_bad_paths_give_one_line_errors(tmp_path):
    missing = tmp_path / "nobody.json"
    with pytest.raises(FileNotFoundError) as e:
        Q.pool([missing])
    assert str(missing) in str(e.value) and "\n" not in str(e.value)
    garbage = tmp_path / "garbage.json"
    garbage.write_text("not json {")
    with pytest.raises(ValueError, match="garbage.json is not a saved quiz: not JSON"):
        Q.pool([garbage])
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"answers": []}))
    with pytest.raises(ValueError, match="other.json is not a saved quiz"):
        Q.pool(other)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"format": Q.FORMAT, "answers": [{"item": "x", "truth": "real"}]}))
    with pytest.raises(ValueError, match="broken.json: 1 answer"):
        Q.pool([broken])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=f"no quiz answer files in {empty}"):
        Q.pool(empty)
    with pytest.raises(OSError) as e:
        make().save(tmp_path / "no" / "such" / "folder" / "a.json")
    assert "no/such/folder/a.json" in str(e.value) and "\n" not in str(e.value)


def test_still_hides_the_truth_until_asked():
    import matplotlib.pyplot as plt
    q = answered(lambda it: True)
    fig = q.still()
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == Q.STILL_ITEMS and not any("real" in t or "fake" in t for t in titles)
    plt.close(fig)
    fig = q.still(reveal=True)
    assert [ax.get_title() for ax in fig.axes][0] == f"photo 1: {q.items[0].truth} (said real)"
    plt.close(fig)
