"""What a student may type wrong ends in one line on stderr and exit code 2, never a traceback:
a device this machine lacks, an --out that is a file, a training that diverges, a notebook path
that does not exist, a file that is not a notebook."""
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from colorlab import models, tasks
from colorlab.__main__ import main


def run_cli(argv, capsys) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``python -m colorlab *argv``, in this process."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line(code, err, *words):
    assert code == 2, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    for w in words:
        assert w in err, err


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(20):
        Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(folder / f"p{i}.png")
    return folder


def train(photos, out, *flags):
    return ["train", "--model", "regression", "--data", str(photos), "--profile", "smoke",
            "--out", str(out), "--quiet", *flags]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_device_cuda_without_cuda(photos, tmp_path, capsys):
    code, _, err = run_cli(train(photos, tmp_path / "out", "--device", "cuda"), capsys)
    one_line(code, err, "--device cuda", "no CUDA device")


def test_out_that_is_a_file(photos, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = run_cli(train(photos, tmp_path / "notes.txt"), capsys)
    one_line(code, err, "notes.txt is a file, not a folder")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_diverging_training_is_one_line_that_says_what_to_do(photos, tmp_path, capsys, monkeypatch):
    def nan_loss(self, model, batch):
        return torch.tensor(float("nan"), requires_grad=True), {}
    monkeypatch.setattr(tasks.TASKS[models.REGISTRY["regression"].task], "loss", nan_loss)
    code, _, err = run_cli(train(photos, tmp_path / "out"), capsys)
    one_line(code, err, "colorlab train: error: loss became nan at step 1", "no checkpoint was written",
             "lower learning rate")


def test_a_missing_notebook_given_as_an_absolute_path(tmp_path, capsys):
    missing = tmp_path / "nowhere" / "missing.ipynb"
    code, _, err = run_cli(["run", str(missing)], capsys)
    one_line(code, err, str(missing))


def test_a_missing_notebook_path_from_the_command_line(tmp_path):
    missing = tmp_path / "missing.ipynb"
    r = subprocess.run([sys.executable, "-m", "colorlab", "run", str(missing)],
                       capture_output=True, text=True)
    one_line(r.returncode, r.stderr, f"colorlab run: error: no notebook file {missing}")


@pytest.mark.parametrize("name, text, says", [
    ("some.txt", "hello\n", "some.txt is not a notebook"),
    ("broken.ipynb", "hello\n", "broken.ipynb is not a readable notebook"),
    ("list.ipynb", "[]\n", "list.ipynb is not a readable notebook"),
])
def test_clean_refuses_what_is_not_a_notebook(name, text, says, tmp_path, capsys):
    path = tmp_path / name
    path.write_text(text)
    code, _, err = run_cli(["clean", str(path)], capsys)
    one_line(code, err, says)
    assert path.read_text() == text


def test_run_refuses_what_is_not_a_notebook(tmp_path, capsys):
    (tmp_path / "some.txt").write_text("hello\n")
    code, _, err = run_cli(["run", str(tmp_path / "some.txt")], capsys)
    one_line(code, err, "not a notebook (.ipynb) file", "some.txt")


def test_hnet_without_a_trained_rtnet_is_refused(photos, tmp_path, capsys):
    """HNet learns a trained RTNet's palette: from the command line it needs one, and says how."""
    argv = ["train", "--model", "hnet", "--data", str(photos), "--profile", "smoke",
            "--out", str(tmp_path / "h"), "--quiet"]
    code, _, err = run_cli(argv, capsys)
    one_line(code, err, "--model hnet needs --model-arg rtnet_weights=PATH", "train --model rtnet")
    assert not (tmp_path / "h" / "last.pt").exists()


@pytest.mark.parametrize("pair, says", [("embedder", "write KEY=VALUE"),
                                        ("colour=red", "koalarization takes no such argument; valid: width")])
def test_model_args_that_do_not_fit_the_model(pair, says, photos, tmp_path, capsys):
    argv = ["train", "--model", "koalarization", "--data", str(photos), "--profile", "smoke",
            "--out", str(tmp_path / "k"), "--quiet", "--model-arg", pair]
    code, _, err = run_cli(argv, capsys)
    one_line(code, err, says)


def test_hnet_trains_from_an_rtnet_checkpoint_and_keeps_its_weights(photos, tmp_path, capsys):
    common = ["--data", str(photos), "--profile", "smoke", "--quiet"]
    assert main(["train", "--model", "rtnet", *common, "--out", str(tmp_path / "r")]) == 0
    assert main(["train", "--model", "hnet", *common, "--out", str(tmp_path / "h"),
                 "--model-arg", f"rtnet_weights={tmp_path / 'r' / 'last.pt'}"]) == 0
    from colorlab import train as train_module
    rtnet = train_module.load_model(tmp_path / "r" / "last.pt")
    hnet = train_module.load_model(tmp_path / "h" / "last.pt")
    assert hnet.config == rtnet.config        # width and activation come from the RTNet
    for k, v in rtnet.state_dict().items():   # the frozen RTNet is the trained one
        assert torch.equal(hnet.rtnet.state_dict()[k], v), k
    code, _, err = run_cli(["train", "--model", "hnet", *common, "--out", str(tmp_path / "h2"),
                            "--model-arg", f"rtnet_weights={tmp_path / 'h' / 'last.pt'}"], capsys)
    one_line(code, err, "is not a checkpoint of an rtnet", "'hnet'")
