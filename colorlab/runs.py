"""The names notebooks and users know as ``runs.…``, from the modules of :mod:`colorlab.workbook`.

Every notebook does ``from colorlab import runs`` and calls ``runs.record``, ``runs.Expect`` and
``runs.check``; users call ``runs.run``, ``runs.sweep`` and ``runs.workbook``. This module only
gathers those names; each is defined (and documented) in the module named beside it.
"""
from colorlab.workbook.execute import RunResult, executed, run, with_out_dir
from colorlab.workbook.lock import LOCK_NAME, folder_lock
from colorlab.workbook.notebooks import (CHECK_MARK, NOTEBOOK_DIR, Parameter, ParameterError,
                                         check_parameters, clean, find_notebook, load_notebook,
                                         parameters, parse_value, read, records,
                                         workbook_notebooks)
from colorlab.workbook.record import MIME, Expect, Table, check, record, results, table
from colorlab.workbook.sweep import (MAX_POINTS, SweepInterrupted, check_grid_size, distinct_values,
                                     earlier_points, point_name, sweep, write_table)
from colorlab.workbook.workbook import new_run_dir, workbook, write_summary

__all__ = ["CHECK_MARK", "LOCK_NAME", "MAX_POINTS", "MIME", "NOTEBOOK_DIR", "Expect", "Parameter",
           "ParameterError", "RunResult", "SweepInterrupted", "Table", "check", "check_grid_size",
           "check_parameters", "clean", "distinct_values", "earlier_points", "executed",
           "find_notebook", "folder_lock", "load_notebook", "new_run_dir", "parameters",
           "parse_value", "point_name", "read", "record", "records", "results", "run", "sweep",
           "table", "with_out_dir", "workbook", "workbook_notebooks", "write_summary",
           "write_table"]
