"""The benchmark script runs and prints its ratios (no timing is asserted)."""
import subprocess
import sys


def test_bench_quick_prints_ratios():
    r = subprocess.run([sys.executable, "-m", "colorlab", "bench", "--quick"], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "RGB→Lab" in r.stdout and "soft encoding" in r.stdout and "× faster" in r.stdout
    for name in ("regression", "vgg16_decoder", "zhang_eccv16"):
        assert name in r.stdout
    assert "6.78 s" in r.stdout
