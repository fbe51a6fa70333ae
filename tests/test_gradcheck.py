"""Tests of ``colorlab.train.gradcheck``: the comparison line, central differences,
relative error."""
from __future__ import annotations

import math

import numpy as np
import torch

from colorlab import gradcheck


def test_compare_exact(capsys):
    t = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
    d = gradcheck.compare("w", [1.0, -2.0, 3.0], t)
    out = capsys.readouterr().out
    assert d == 0.0
    assert "exact: True" in out and "approximate: True" in out and "max diff: 0" in out


def test_compare_approximate_not_exact(capsys):
    t = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    d = gradcheck.compare("w", np.array([1.0, 2.0 + 1e-10]), t)  # reshaped to t's shape
    out = capsys.readouterr().out
    assert "exact: False" in out and "approximate: True" in out
    assert math.isclose(d, 1e-10, rel_tol=1e-3)


def test_compare_wrong(capsys):
    d = gradcheck.compare("w", 1.5, torch.tensor(1.0))
    assert "approximate: False" in capsys.readouterr().out and d == 0.5


def test_compare_matches_autograd():
    w = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    (w ** 3).sum().backward()
    assert gradcheck.compare("w", [3.0, 12.0], w.grad) == 0.0


def test_numerical_grad_cubic_and_restores_x():
    x = torch.tensor([[0.5, -1.0], [2.0, 3.0]], dtype=torch.float64)
    before = x.clone()
    g = gradcheck.numerical_grad(lambda: (x ** 3).sum(), x, eps=1e-5)
    assert g.shape == x.shape
    assert torch.allclose(g, 3 * before ** 2, rtol=1e-8, atol=1e-8)
    assert torch.equal(x, before)


def test_numerical_grad_agrees_with_autograd_on_a_conv():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, 2, 5, 5, generator=g, dtype=torch.float64)
    w = torch.randn(3, 2, 3, 3, generator=g, dtype=torch.float64, requires_grad=True)
    loss = lambda: torch.tanh(torch.nn.functional.conv2d(x, w, padding=1)).pow(2).mean()
    loss().backward()
    num = gradcheck.numerical_grad(loss, w.data)
    assert gradcheck.rel_error(w.grad, num) < 1e-6


def test_rel_error():
    assert gradcheck.rel_error([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert math.isclose(gradcheck.rel_error([1.0], [3.0]), 0.5)
