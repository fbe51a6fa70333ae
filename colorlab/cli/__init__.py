"""The command line: ``python -m colorlab COMMAND`` (main.py: workbook, run, sweep, prepare,
clean, bench, assignments, grade; train.py: train and colorize; bench.py: throughput figures)."""
