"""colorlab.evaluate.zoo: load a notebook's checkpoint or train the model; and evaluate.scoring,
the one function that scores colourings of held-out photos."""
import numpy as np
import pytest
import torch

from colorlab import data, hints, inference, metrics, models, tasks, train, zoo
from colorlab.evaluate import scoring


@pytest.fixture(scope="module")
def photos():
    return data.load("flowers", size=32, limit=8, progress=False).images     # (8, 32, 32, 3) uint8


def test_load_or_train_trains_once_then_loads(tmp_path, photos, capsys):
    model = zoo.load_or_train("03-regression", tmp_path, profile="smoke")
    assert model.zoo_origin == "trained" and not model.training
    path = tmp_path / "03-regression" / "last.pt"
    assert path.is_file() and "trained here (smoke profile)" in capsys.readouterr().out
    again = zoo.load_or_train("03-regression", tmp_path, profile="smoke")
    assert again.zoo_origin == "loaded" and f"loaded {path}" in capsys.readouterr().out
    L = tasks.to_lab(torch.from_numpy(photos.copy()))[:, :1]
    assert torch.equal(inference.predict_ab(model, L), inference.predict_ab(again, L))
    assert zoo.saved(tmp_path) == ["03-regression"] and zoo.saved(tmp_path, "10-") == []


def test_a_checkpoint_written_elsewhere_is_loaded_not_retrained(tmp_path):
    """What notebook 12 finds in a run folder wins: the weights come from the file."""
    first = zoo.load_or_train("09-unet", tmp_path, profile="smoke", seed=1)
    w = {k: v.clone() for k, v in first.state_dict().items()}
    mtime = (tmp_path / "09-unet" / "last.pt").stat().st_mtime_ns
    loaded = zoo.load_or_train("09-unet", tmp_path, profile="smoke", seed=2)   # another seed: no matter
    assert loaded.zoo_origin == "loaded"
    assert (tmp_path / "09-unet" / "last.pt").stat().st_mtime_ns == mtime
    assert all(torch.equal(w[k], v) for k, v in loaded.state_dict().items())


def test_hnet_trains_its_rtnet_first(tmp_path):
    hn = zoo.load_or_train("07-hnet", tmp_path, profile="smoke")
    assert zoo.saved(tmp_path) == ["07-hnet", "07-rtnet"]
    rt = zoo.load("07-rtnet", tmp_path)
    assert all(torch.equal(a, b) for a, b in zip(rt.state_dict().values(), hn.rtnet.state_dict().values()))


def test_bad_names_and_folders(tmp_path):
    with pytest.raises(KeyError, match="does not exist and '10-priors' is not in zoo.CATALOGUE"):
        zoo.load_or_train("10-priors", tmp_path, profile="smoke")
    afile = tmp_path / "a_file"
    afile.write_text("x")
    with pytest.raises(NotADirectoryError, match=f"out_dir {afile} is a file"):
        zoo.load_or_train("03-regression", afile, profile="smoke")
    with pytest.raises(train.CheckpointError, match="does not exist"):
        zoo.load("03-regression", tmp_path)


def test_every_catalogue_entry_names_its_checkpoint():
    for name, entry in zoo.CATALOGUE.items():
        assert entry.name == name and entry.notebook in {f"{k:02d}" for k in range(3, 12)}
        assert entry.given in ("", "hints", "palette")


def test_scores_of_the_truth_and_of_gray(photos):
    lab = tasks.to_lab(torch.from_numpy(photos.copy()))
    truth = scoring.scores(lab[:, 1:], photos)
    assert truth["auc"] == pytest.approx(1.0, abs=1e-3) and truth["psnr"] > 40
    gray = scoring.scores(torch.zeros_like(lab[:, 1:]), photos)
    assert gray["psnr"] == pytest.approx(metrics.psnr(metrics.gray_baseline(photos), photos), abs=0.05)
    assert gray["auc"] < truth["auc"] and gray["colorfulness"] < 1.0 < truth["colorfulness"]



def test_against_gray_is_scores_of_the_model_and_of_gray(photos):
    """One scoring function: against_gray reports scores() of its prediction and of ab = 0."""
    torch.manual_seed(0)
    s = scoring.against_gray(models.build("zhang_eccv16", width=0.125), photos, T=0.5)
    lab = tasks.to_lab(torch.from_numpy(photos.copy()))
    model = scoring.scores(s["ab"], photos, lab=lab)
    gray = scoring.scores(torch.zeros_like(s["ab"]), photos, lab=lab)
    assert all(s[k] == v for k, v in model.items())
    assert (s["psnr_gray"], s["auc_gray"], s["auc_rebalanced_gray"]) == (
        gray["psnr"], gray["auc"], gray["auc_rebalanced"])
    assert s["beats_gray"] == (s["auc"] > s["auc_gray"])

def test_given_inputs(tmp_path, photos):
    model = zoo.load_or_train("11-zhang_hints", tmp_path, profile="smoke")
    assert zoo.given_inputs("", model, photos) == {}
    h = zoo.given_inputs("hints", model, photos, seed=3, n_hints=5)
    assert set(h) == {"hint_ab", "hint_mask"} and h["hint_mask"].shape == (8, 1, 32, 32)
    assert (hints.coverage(h["hint_mask"]) > 0).all()
    assert torch.equal(h["hint_mask"], zoo.given_inputs("hints", model, photos, seed=3)["hint_mask"])
    pal = zoo.given_inputs("palette", model, photos)
    assert pal["ab"].shape == (8, 2, 32, 32)
    with pytest.raises(ValueError, match="given must be"):
        zoo.given_inputs("oracle", model, photos)
    helped, alone = zoo.score_model(model, photos, "hints"), zoo.score_model(model, photos)
    assert set(helped) == set(alone) == {"psnr", "auc", "auc_rebalanced", "colorfulness"}
    assert np.isfinite(list(helped.values())).all()


def test_notebook_10_models_are_loaded_when_present_and_skipped_otherwise(tmp_path, capsys):
    zoo.load_or_train("03-regression", tmp_path, profile="smoke")
    (tmp_path / "10-scratch").mkdir()
    (tmp_path / "10-scratch" / "last.pt").write_bytes((tmp_path / "03-regression" / "last.pt").read_bytes())
    capsys.readouterr()
    found = zoo.load_found(tmp_path)
    assert list(found) == ["10-scratch"] and found["10-scratch"].zoo_origin == "loaded"
    said = capsys.readouterr().out
    assert f"10-finetune: not in {tmp_path}" in said and "skipped" in said
    assert not (tmp_path / "10-finetune").exists()               # never trained here
