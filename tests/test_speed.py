"""Each model trains in the memory layout and precision measured fastest for it on its device
(train.speed), among those that learn as well; bench --variants measures and prints them."""
import pytest
import torch

from colorlab import models, tasks, train
from colorlab.cli import bench_speed
from colorlab.train import speed
from tests.test_train import toy_photos

CPU = torch.device("cpu")


def conv_dtypes_during_fit(monkeypatch, row=None, **fit_kw):
    """Train a small regression net for two steps; return (history, the dtypes of its second
    convolution's outputs during training, whether its weights were channels_last then). After
    fit the weights are back in the usual layout, as a loaded model's are."""
    if row is not None:
        monkeypatch.setitem(speed.FASTEST, "regression", row)
    torch.manual_seed(0)
    model = models.build("regression", width=0.125)
    seen, layouts = [], []
    conv = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)][1]   # more than 1 channel in

    def hook(mod, inp, out):
        if mod.training:
            w = mod.weight
            assert w.is_contiguous(memory_format=torch.channels_last) != w.is_contiguous()
            seen.append(out.dtype)
            layouts.append(w.is_contiguous(memory_format=torch.channels_last))
    conv.register_forward_hook(hook)
    hist = train.fit(model, tasks.Regression(size=16), toy_photos(n=16), None, epochs=1,
                     batch_size=8, progress=False, device="cpu", **fit_kw)
    assert conv.weight.is_contiguous() and len(set(layouts)) == 1
    return hist, set(seen), layouts[0]


def test_every_declared_row_names_a_registered_model_a_device_and_a_variant():
    for name, row in speed.FASTEST.items():
        assert name in models.REGISTRY
        assert set(row) <= {"cpu", "cuda", "mps"} and set(row.values()) <= set(speed.VARIANTS)


def test_a_model_without_a_row_trains_in_float32_on_a_cpu_and_in_bf16_channels_last_on_cuda(monkeypatch):
    monkeypatch.delitem(speed.FASTEST, "regression", raising=False)
    assert speed.choose("regression", CPU) == speed.VARIANTS["fp32"]
    assert speed.choose("regression", torch.device("cuda")) == speed.VARIANTS["bf16+cl"]
    assert speed.choose("regression", torch.device("mps")) == speed.VARIANTS["fp32"]


def test_the_declared_row_decides_and_fit_trains_in_it(monkeypatch):
    monkeypatch.setattr(speed, "cpu_has_bf16", lambda: True)
    hist, dtypes, cl = conv_dtypes_during_fit(monkeypatch, {"cpu": "bf16+cl"})
    assert hist.speed == "bf16+cl" and dtypes == {torch.bfloat16} and cl


def test_amp_and_channels_last_given_to_fit_override_the_row(monkeypatch):
    hist, dtypes, cl = conv_dtypes_during_fit(monkeypatch, {"cpu": "bf16+cl"}, amp=False,
                                              channels_last=False)
    assert hist.speed == "fp32" and dtypes == {torch.float32} and not cl
    hist, dtypes, cl = conv_dtypes_during_fit(monkeypatch, {"cpu": "fp32"}, amp=True)
    assert hist.speed == "bf16" and dtypes == {torch.bfloat16} and not cl


def test_a_cpu_without_bf16_instructions_drops_bf16_but_keeps_the_layout(monkeypatch):
    monkeypatch.setattr(speed, "cpu_has_bf16", lambda: False)
    monkeypatch.setitem(speed.FASTEST, "regression", {"cpu": "bf16+cl"})
    assert speed.choose("regression", CPU) == speed.VARIANTS["fp32+cl"]
    assert speed.choose("regression", CPU, amp=True) == speed.VARIANTS["bf16+cl"]   # asked for


def test_mps_never_gets_bf16_autocast():
    assert not speed.choose("regression", torch.device("mps"), amp=True).bf16


def test_a_model_trained_channels_last_resumes_bit_identically(tmp_path, monkeypatch):
    monkeypatch.setitem(speed.FASTEST, "regression", {"cpu": "fp32+cl"})

    def run(out, **kw):
        torch.manual_seed(0)
        model = models.build("regression", width=0.125)
        train.fit(model, tasks.Regression(size=16), toy_photos(n=32), None, epochs=2,
                  batch_size=8, out_dir=out, progress=False, device="cpu", **kw)
        return model
    full = run(tmp_path / "full")
    run(tmp_path / "part", max_steps=5, checkpoint_every=2)
    resumed = run(tmp_path / "part", resume=True)
    assert all(torch.equal(a, b) for a, b in zip(full.state_dict().values(), resumed.state_dict().values()))


def test_the_best_variant_is_the_fastest_that_learns_as_well():
    rates = {"fp32": 100.0, "fp32+cl": 150.0, "bf16": 120.0, "bf16+cl": 200.0}
    assert bench_speed.best_variant(rates, bf16_learns=True) == "bf16+cl"
    assert bench_speed.best_variant(rates, bf16_learns=False) == "fp32+cl"


@pytest.mark.slow
def test_bench_variants_prints_each_models_default_beside_its_best(capsys):
    rows = bench_speed.main(quick=True, names=["regression"])
    out = capsys.readouterr().out
    r = rows["regression"]
    assert set(r["rates"]) == set(speed.VARIANTS) and all(v > 0 for v in r["rates"].values())
    assert r["default"] == speed.name_of(speed.choose("regression", CPU))
    assert r["ratio"] == pytest.approx(r["rates"][r["default"]] / r["rates"][r["best"]])
    assert "regression" in out and '"regression": {"cpu": "' + r["best"] + '"}' in out
