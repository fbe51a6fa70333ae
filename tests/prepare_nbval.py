"""Prepare every notebook for nbval: inject the smoke profile with papermill (no execution).

Usage: python tests/prepare_nbval.py OUT_DIR
Writes OUT_DIR/NN_name.ipynb for each notebooks/NN_*.ipynb; checkpoints the notebooks save go
to OUT_DIR/run. Then: pytest --nbval-lax OUT_DIR
"""
import shutil
import sys
from pathlib import Path

import papermill as pm

from colorlab import runs


def main(out: str):
    out_dir = Path(out)
    shutil.rmtree(out_dir, ignore_errors=True)
    (out_dir / "run").mkdir(parents=True)
    for nb in runs.workbook_notebooks():
        declared = runs.parameters(nb)
        params = {"profile": "smoke", "out_dir": str((out_dir / "run").resolve())}
        params = {k: v for k, v in params.items() if k in declared}
        pm.execute_notebook(str(nb), str(out_dir / nb.name), parameters=params,
                            prepare_only=True, progress_bar=False)
        print(f"prepared {nb.name} with {params}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/nbval")
