"""A notebook run talks to its kernel through socket files, not TCP: no port is opened, and the
kernel prints no warning about unencrypted TCP (noise to a student at every notebook)."""
from colorlab.workbook import execute


def test_a_run_prints_no_tcp_warning_and_its_kernel_uses_socket_files(toy_notebook, tmp_path, capfd):
    body = ("import json, ipykernel.connect\n"
            "info = json.load(open(ipykernel.connect.get_connection_file()))\n"
            "from colorlab import runs\n"
            "runs.record('transport', info['transport'])\n")
    res = execute.run(toy_notebook(body=body), {}, tmp_path / "out", progress=False, html=False)
    assert res.ok, res.error
    assert res.results["transport"] == "ipc"
    out, err = capfd.readouterr()
    assert "without encryption" not in out + err


def test_a_profile_with_a_fixed_thread_count_gives_it_to_the_kernel_from_its_start(
        toy_notebook, tmp_path, monkeypatch):
    """So that a point's numbers do not depend on whether a sweep ran it alone or beside others
    (a parallel sweep's worker starts its kernels with OMP_NUM_THREADS set)."""
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    body = "import os\nfrom colorlab import runs\nruns.record('omp', os.environ.get('OMP_NUM_THREADS'))\n"
    nb = toy_notebook(body=body)
    smoke = execute.run(nb, {"profile": "smoke"}, tmp_path / "smoke", progress=False, html=False)
    cpu = execute.run(nb, {"profile": "cpu"}, tmp_path / "cpu", progress=False, html=False)
    assert smoke.ok and cpu.ok, smoke.error + cpu.error
    assert smoke.results["omp"] == "1"        # profiles.PROFILES["smoke"].threads
    assert cpu.results["omp"] == "7"          # not fixed by the cpu profile: the environment's
