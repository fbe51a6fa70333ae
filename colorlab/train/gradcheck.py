"""Checking gradients: hand-derived vs ``torch.autograd`` vs central differences.

``compare`` prints one line per gradient in the style of nn-zero-to-hero's ``cmp``
(makemore part 4): exact / approximate / max difference. ``numerical_grad`` estimates a gradient
by central differences, the independent check used in notebook 02 (and CS231n's gradient check);
``rel_error`` is the relative error that check is judged by.
"""
from __future__ import annotations

import torch


def _tensor(x, like: torch.Tensor | None = None) -> torch.Tensor:
    """A float, list, numpy array or tensor → a detached tensor (dtype of ``like`` if given)."""
    t = x.detach() if isinstance(x, torch.Tensor) else torch.as_tensor(x)
    if like is not None:
        t = t.to(dtype=like.dtype, device=like.device)
    return t


def compare(name: str, hand, reference: torch.Tensor, rtol: float = 1e-5, atol: float = 1e-8,
            width: int = 15) -> float:
    """Print ``name | exact: … | approximate: … | max diff: …`` and return the max difference.

    hand: the hand-derived value(s), a float, list, numpy array or tensor.
    reference: the same quantity from PyTorch, e.g. ``w.grad`` after ``loss.backward()``;
        ``hand`` must have its number of elements (it is reshaped to its shape).
    exact means every element is equal; approximate means ``torch.allclose(hand, reference,
    rtol, atol)``; the max difference is max |hand − reference| (0 when exact).
    """
    ref = _tensor(reference)
    h = _tensor(hand, like=ref).reshape(ref.shape)
    exact = bool(torch.equal(h, ref))
    approx = bool(torch.allclose(h, ref, rtol=rtol, atol=atol))
    maxdiff = float((h - ref).abs().max()) if ref.numel() else 0.0
    print(f"{name:{width}s} | exact: {str(exact):5s} | approximate: {str(approx):5s} "
          f"| max diff: {maxdiff:.3g}")
    return maxdiff


def numerical_grad(f, x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Central-difference estimate of d f / d x, shape of ``x``.

    f: a function of no arguments returning a scalar (float or 0-d tensor) that reads ``x``.
    x: the tensor to differentiate with respect to (use float64: in float32 the rounding error
        of f, about 1e-7 · |f| / eps, swamps the estimate). Each element is nudged by ±eps in place
        and restored, so x must not be a leaf that requires grad (pass ``p.data``).
    Cost: two calls of ``f`` per element of ``x``.
    """
    grad = torch.zeros_like(x)
    flat, gflat = x.view(-1), grad.view(-1)
    with torch.no_grad():
        for i in range(flat.numel()):
            old = flat[i].item()
            flat[i] = old + eps
            up = float(f())
            flat[i] = old - eps
            down = float(f())
            flat[i] = old
            gflat[i] = (up - down) / (2 * eps)
    return grad


def rel_error(a, b, floor: float = 1e-12) -> float:
    """Max over elements of |a − b| / max(|a| + |b|, floor): 1e-7 or less means they agree."""
    a, b = _tensor(a), _tensor(b)
    b = b.to(a.dtype)
    return float(((a - b).abs() / (a.abs() + b.abs()).clamp_min(floor)).max())
