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
