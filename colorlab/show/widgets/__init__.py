"""Interactive demos for the notebooks (ipywidgets): one module per widget.

- :mod:`.temperature` — :func:`temperature_explorer`: Zhang et al. 2016's annealed mean under a
  slider, from the mean (T = 1) to almost the mode (T = 0.01).
- :mod:`.coverage` — :func:`coverage_explorer`: 0 … 200 simulated hints (points or circles) on one
  photo; the colouring, the error map and the PSNR follow the slider.
- :mod:`.hint_painter` — :func:`hint_painter`: paint colour hints on a gray photo (ipycanvas) and
  watch a hint model recolour it; save the hints as the RGBA PNG the command line reads.
- :mod:`.quiz` — :func:`fake_or_real`: the "fake or real?" quiz of Baldassarre et al. §4.3; answers
  are saved (``quiz.save``) and pooled over a class (``quiz.pool``).

Each widget asks the model's task how to feed the model (``tasks.of(model)``), so it works for
any registered model whose task it fits. Each also shows a still picture of its state under the
live widget: a saved notebook reopened without its kernel shows "Error displaying widget: model
not found" where the live widget was (the kernel that drew it is gone; run the cell again), but
the still stays.
"""
from .temperature import TemperatureExplorer, temperature_explorer
from .coverage import CoverageExplorer, coverage_explorer
from .hint_painter import HintPainter, hint_painter
from .quiz import FakeOrReal, fake_or_real

__all__ = ["TemperatureExplorer", "temperature_explorer", "CoverageExplorer", "coverage_explorer",
           "HintPainter", "hint_painter", "FakeOrReal", "fake_or_real"]
