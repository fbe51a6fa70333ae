"""The "fake or real?" quiz: can people tell a recoloured photo from a real one?

Baldassarre et al. (§4.3) showed 41 people twelve photos one at a time, nine of them recoloured by
their network and picked from its best results, and asked "Fake or real?": 45.87 % of the answers
called a recoloured photo real. Zhang et al. 2016 (§3.1) ran a "colorization Turing test" on
Amazon Mechanical Turk: a real photo and its recolouring side by side, "which one is real?";
their recolouring was picked in 32 % of the trials (chance would be 50 %).

This quiz works the way Baldassarre et al.'s did: a shuffled mix of real and recoloured photos,
one at a time, with a "real" and a "fake" button. Each answer is kept (the item, the truth, the
answer and the seconds it took) and the report gives the share of recoloured photos judged real
beside the two published numbers, and the share of real photos judged real (the control: a
person who calls everything "real" is not fooled by the colours). ``quiz.save(path)`` writes the
answers as JSON; ``pool(paths)`` pools the saved answers of a class into one report.

The buttons call plain methods (``answer("real")``), so tests answer without a browser.
"""
from __future__ import annotations

import html
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from colorlab.files import atomic_write_text, printable
from colorlab.show.widgets.common import LazyWidget, as_rgb_float, png, resize_rgb, still

BALDASSARRE_FOOLED = 0.4587  # Baldassarre et al. 2017, §4.3: answers "real" for recoloured photos
ZHANG_FOOLED = 0.32          # Zhang et al. 2016, §3.1: AMT trials in which the fake was picked as real
ANSWERS = ("real", "fake")
SIZE = 192                   # px, short side of the photo on screen
STILL_ITEMS = 6              # photos in the still picture
FORMAT = "colorlab fake-or-real answers, version 1"

PUBLISHED = [  # (who, share of recoloured photos judged real, how they asked)
    ("Baldassarre et al. 2017", BALDASSARRE_FOOLED,
     "41 people; 12 photos one at a time, 9 recoloured and picked from the best; \"fake or real?\""),
    ("Zhang et al. 2016", ZHANG_FOOLED,
     "Mechanical Turk; real and recoloured side by side, \"which is real?\" (chance: 50 %)"),
]


@dataclass(frozen=True)
class Item:
    """One photo of the quiz: its name, whether it is "real" or "fake", the picture (H, W, 3)."""
    name: str
    truth: str
    image: np.ndarray


def _named(images, kind: str) -> list[tuple[str, np.ndarray]]:
    """A list of paths / arrays, or an ``ImageSet``, → [(name, (H, W, 3) float RGB)]."""
    paths = getattr(images, "paths", None)
    images = list(getattr(images, "images", images))
    out = []
    for i, im in enumerate(images):
        path = paths[i] if paths is not None else (im if isinstance(im, (str, Path)) else None)
        name = f"{kind} {i}" + (f" ({Path(path).name})" if path is not None else "")
        out.append((name, as_rgb_float(im)))
    return out


class FakeOrReal(LazyWidget):
    """A shuffled mix of real and recoloured photos, answered one at a time.

    real, fake: photos (a list of paths or (H, W, 3) arrays, uint8 or float in [0, 1], or an
    ``ImageSet``); the quiz uses ``n // 2`` recoloured and ``n - n // 2`` real ones, drawn and
    shuffled by ``seed`` (the same seed gives every student the same quiz). size: the short side
    on screen, px (every photo is resized the same way, so size gives nothing away).
    clock: the function that gives seconds (``time.monotonic``; tests pass their own).

    ``items``: the quiz in order (``Item``s); ``answers``: one dict per answer, ``{"item", "position",
    "truth", "answer", "seconds"}``; ``report()``: the shares; ``widget``: the ipywidgets view.
    """

    def __init__(self, real, fake, n: int = 10, seed: int = 0, size: int = SIZE, clock=time.monotonic):
        real, fake = _named(real, "real"), _named(fake, "fake")
        n_fake, n_real = n // 2, n - n // 2
        if n < 2 or n_real > len(real) or n_fake > len(fake):
            raise ValueError(f"a quiz of n={n} photos needs {n_real} real and {n_fake} recoloured ones "
                             f"(n >= 2); it was given {len(real)} real and {len(fake)} recoloured")
        rng = np.random.default_rng(seed)
        picked = ([(nm, "real", im) for nm, im in (real[i] for i in rng.choice(len(real), n_real, replace=False))]
                  + [(nm, "fake", im) for nm, im in (fake[i] for i in rng.choice(len(fake), n_fake, replace=False))])
        self.items = [Item(nm, truth, resize_rgb(im, size)) for nm, truth, im in
                      (picked[i] for i in rng.permutation(len(picked)))]
        self.seed, self.size, self.clock = seed, size, clock
        self.answers: list[dict] = []
        self._shown_at = clock()
        self._widget = None

    # --- answering (no widgets) ------------------------------------------------------------------
    @property
    def position(self) -> int:
        """The index of the photo on screen (``len(items)`` once every photo is answered)."""
        return len(self.answers)

    @property
    def done(self) -> bool:
        return self.position >= len(self.items)

    def answer(self, choice: str) -> dict:
        """Answer the photo on screen with "real" or "fake"; returns the recorded answer."""
        if choice not in ANSWERS:
            raise ValueError(f"answer must be one of {ANSWERS}, got {choice!r}")
        if self.done:
            raise ValueError(f"the quiz is over: all {len(self.items)} photos are answered")
        now = self.clock()
        item = self.items[self.position]
        rec = {"item": item.name, "position": self.position, "truth": item.truth, "answer": choice,
               "seconds": round(float(now - self._shown_at), 3)}
        self.answers.append(rec)
        self._shown_at = now
        if self._widget is not None:
            self._redraw(rec)
        return rec

    def report(self) -> "Report":
        """The shares so far (see :func:`summarize`)."""
        return summarize(self.answers)

    def save(self, path) -> Path:
        """Write the answers (and the quiz's seed and items) as JSON to ``path``; returns the path."""
        path = Path(path)
        doc = {"format": FORMAT, "seed": self.seed, "items": [[it.name, it.truth] for it in self.items],
               "answers": self.answers}
        try:
            atomic_write_text(path, json.dumps(doc, indent=1))   # a full disk keeps the old file
        except OSError as exc:
            raise OSError(f"cannot write the quiz answers to {path}: {exc.strerror or exc}") from None
        return path

    @staticmethod
    def pool(paths) -> "Report":
        """The report of the answers saved in several files (a class): see :func:`pool`."""
        return pool(paths)

    # --- the widget --------------------------------------------------------------------------------
    @property
    def buttons(self) -> dict:
        """``{"real": Button, "fake": Button}``: ``buttons["real"].click()`` answers as a click does."""
        _ = self.widget
        return self._buttons

    def _build(self):
        """A progress line, the photo, the two buttons and a line of text (the report at the end)."""
        import ipywidgets as W
        h, w = self.items[0].image.shape[:2]
        self._progress = W.HTML()
        self._image = W.Image(format="png", width=w, height=h)
        self._buttons = {a: W.Button(description=a, button_style=style, layout=W.Layout(width="120px"))
                         for a, style in zip(ANSWERS, ("success", "danger"))}
        for a, b in self._buttons.items():
            b.on_click(lambda _b, a=a: self.answer(a))
        self._info = W.HTML("Is this photo real, or recoloured by a network?")
        self._widget = W.VBox([self._progress, self._image, W.HBox(list(self._buttons.values())), self._info])
        self._show()

    def _show(self):
        """Put the photo at ``position`` on screen (or the report, when the quiz is over)."""
        n = len(self.items)
        if self.done:
            self._progress.value = f"<b>all {n} photos answered</b>"
            for b in self._buttons.values():
                b.disabled = True
            return
        self._progress.value = f"<b>photo {self.position + 1} of {n}</b>: real or fake?"
        self._image.value = png(self.items[self.position].image)
        self._shown_at = self.clock()

    def _redraw(self, rec: dict):
        self._show()
        said = (f"photo {rec['position'] + 1}: you said <b>{rec['answer']}</b> "
                f"after {rec['seconds']:.1f} s")
        self._info.value = said if not self.done else said + "<br>" + self.report().html()

    def still(self, reveal: bool = False):
        """A matplotlib figure of the first photos of the quiz; ``reveal`` adds truth and answer."""
        items = self.items[:STILL_ITEMS]
        caps = []
        for k, it in enumerate(items):
            cap = f"photo {k + 1}"
            if reveal:
                said = self.answers[k]["answer"] if k < len(self.answers) else "?"
                cap += f": {it.truth} (said {said})"
            caps.append(cap)
        return still([it.image for it in items], caps, "fake or real? quiz, still" +
                     ("" if reveal else " (no answers shown)"))

    def _ipython_display_(self):
        import matplotlib.pyplot as plt
        from IPython.display import display
        display(self.widget)
        fig = self.still()
        display(fig)
        plt.close(fig)


def fake_or_real(real, fake, n: int = 10, seed: int = 0, size: int = SIZE) -> FakeOrReal:
    """A :class:`FakeOrReal` quiz of ``n`` photos; show it as a cell's last value."""
    return FakeOrReal(real, fake, n=n, seed=seed, size=size)


# --- the report ----------------------------------------------------------------------------------

class Report(dict):
    """The shares of a quiz (a dict) that shows itself as a small table beside the published ones."""

    def rows(self) -> list[tuple[str, str, str]]:
        fooled = self["fake_judged_real"]
        where = f" from {self['people']} files" if self["people"] > 1 else ""
        ours = (f"{_pct(fooled)} ({self['fakes_called_real']} of {self['fakes']})",
                f"{self['answered']} answers{where}; real photos judged real: "
                f"{_pct(self['real_judged_real'])} ({self['reals_called_real']} of {self['reals']})")
        if self.get("skipped"):
            ours = (ours[0], ours[1] + f"; {len(self['skipped'])} unreadable file(s) left out: "
                    + ", ".join(Path(f).name for f, _ in self["skipped"]))
        return [("this quiz", *ours)] + [(who, _pct(v), how) for who, v, how in PUBLISHED]

    def _repr_markdown_(self) -> str:
        lines = ["| | recoloured photos judged real | how |", "|---|---|---|"]
        return "\n".join(lines + [f"| {a} | {b} | {c} |" for a, b, c in self.rows()])

    def html(self) -> str:
        cells = "".join(f"<tr><td>{html.escape(a)}</td><td><b>{html.escape(b)}</b></td>"
                        f"<td>{html.escape(c)}</td></tr>" for a, b, c in self.rows())
        return f"<table><tr><th></th><th>recoloured judged real</th><th>how</th></tr>{cells}</table>"

    def __str__(self) -> str:
        return "\n".join(f"{a:24s} {b:>22s}  {c}" for a, b, c in self.rows())


def _pct(x: float) -> str:
    return "no answers" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.2f} %"


def summarize(answers: list[dict], people: int = 1, skipped=()) -> Report:
    """The shares of a list of answers (``FakeOrReal.answers``, or several people's pooled).

    Returns a :class:`Report` with ``answered``; ``fakes`` / ``reals`` (answers about recoloured /
    real photos); ``fakes_called_real``, ``reals_called_real``; ``fake_judged_real`` =
    fakes_called_real / fakes (what Baldassarre et al. report; NaN without fakes);
    ``real_judged_real``; ``accuracy`` (share of right answers); ``mean_seconds``; ``by_item``
    ({item: share of its answers that said "real"}); ``people`` (answer files pooled);
    ``skipped`` (``[file, why]`` for each answer file :func:`pool` could not use).
    """
    fakes = [a for a in answers if a["truth"] == "fake"]
    reals = [a for a in answers if a["truth"] == "real"]
    share = lambda part, whole: len(part) / len(whole) if whole else float("nan")   # noqa: E731
    said_real = lambda rows: [a for a in rows if a["answer"] == "real"]             # noqa: E731
    by_item: dict[str, list[int]] = {}
    for a in answers:
        by_item.setdefault(a["item"], []).append(a["answer"] == "real")
    return Report(
        answered=len(answers), people=people, fakes=len(fakes), reals=len(reals),
        fakes_called_real=len(said_real(fakes)), reals_called_real=len(said_real(reals)),
        fake_judged_real=share(said_real(fakes), fakes), real_judged_real=share(said_real(reals), reals),
        accuracy=share([a for a in answers if a["answer"] == a["truth"]], answers),
        mean_seconds=float(np.mean([a["seconds"] for a in answers])) if answers else float("nan"),
        by_item={k: sum(v) / len(v) for k, v in by_item.items()},
        skipped=[list(s) for s in skipped])


def read_answers(path) -> list[dict]:
    """The answers saved by ``FakeOrReal.save`` in ``path``; a one-line error names a bad file.

    Each answer must have a text ``item``, a ``truth`` and an ``answer`` of "real" / "fake" and
    ``seconds``, a finite number >= 0 (a hand-edited NaN or -1e9 would skew the mean time).
    """
    path = Path(path)
    name = printable(path)
    if not path.is_file():
        raise FileNotFoundError(f"quiz answers {name} not found: pass files written by quiz.save(path)")
    try:
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"{name} is not a saved quiz: not JSON ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("answers"), list):
        raise ValueError(f"{name} is not a saved quiz (no {FORMAT!r} format line): pass files "
                         "written by quiz.save(path)")
    bad = [(k, why) for k, why in enumerate(map(_bad_answer, doc["answers"])) if why]
    if bad:
        k, why = bad[0]
        raise ValueError(f"{name}: {len(bad)} answer(s) cannot be counted; answer {k} {why}: "
                         f"{printable(repr(doc['answers'][k])[:200])}")
    return doc["answers"]


def _bad_answer(a) -> str:
    """Why one saved answer cannot be counted ("" when it can)."""
    if not (isinstance(a, dict) and {"item", "truth", "answer", "seconds"} <= set(a)):
        return "lacks item/truth/answer/seconds"
    if not isinstance(a["item"], str):
        return "has an item that is not text"
    if not (isinstance(a["truth"], str) and isinstance(a["answer"], str)
            and a["truth"] in ANSWERS and a["answer"] in ANSWERS):
        return f"says something other than {ANSWERS}"
    sec = a["seconds"]
    if isinstance(sec, bool) or not isinstance(sec, (int, float)) or not math.isfinite(sec) or sec < 0:
        return "has seconds that are not a finite number >= 0"
    return ""


def pool(paths) -> Report:
    """Pool the answers saved by several people (``quiz.save``) into one :class:`Report`.

    paths: file paths, or one folder (its ``*.json`` files). Every answer counts once, so the
    shares are over all answers of the class, as Baldassarre et al. pooled their 41 users. A file
    that cannot be read (not a saved quiz, a malformed answer) is left out and named in the
    report's ``skipped`` (and printed): one student's broken file does not cost the class its
    report. When no file can be read, the first file's error is raised.
    """
    where = "the list given"
    if isinstance(paths, (str, Path)):
        where = printable(paths)
        p = Path(paths)
        paths = sorted(p.glob("*.json")) if p.is_dir() else [p]
    paths = list(paths)
    if not paths:
        raise ValueError(f"no quiz answer files in {where}: pass the paths quiz.save wrote")
    answers, read, skipped, first_error = [], 0, [], None
    for p in paths:
        try:
            answers += read_answers(p)
            read += 1
        except (OSError, ValueError) as exc:
            first_error = first_error or exc
            skipped.append((str(p), str(exc)))
    if not read:
        raise first_error
    for _, why in skipped:
        print(f"[colorlab] quiz: left out {why}", flush=True)
    return summarize(answers, people=read, skipped=skipped)
