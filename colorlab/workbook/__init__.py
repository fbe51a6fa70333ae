"""The tooling around the notebooks: recording results, running notebooks, sweeps, publishing, grading.

One file per job, lowest first (each imports only those above it in this list):

- ``record``       what a notebook imports: ``record``, ``Expect``, ``check`` (light, in the kernel)
- ``notebooks``    finding and reading notebooks, their parameters cell, cleaning stored ones
- ``publish``      an executed notebook as one HTML page, and a run's ``index.html``
- ``kernel``       the kernel papermill starts, reached through socket files instead of TCP
- ``execute``      running one notebook with papermill into a folder (``run``), ``RunResult``
- ``lock``         one sweep or workbook at a time per folder
- ``sweep_plots``  the plots of a sweep, drawn from its ``results.csv``
- ``sweep``        a grid of parameters, one run per point, resumable, and its table
- ``workbook``     every notebook in order into a fresh run folder, with its summary
- ``sandbox``      running untrusted code (a student's notebook) in bubblewrap
- ``assignments``  the graded exercises and their student versions (nbgrader)
- ``grading``      autograding a class's submissions, each in a sandbox

Notebooks and users reach the everyday names as ``colorlab.runs`` (``runs.record``,
``runs.run``, ``runs.sweep``, ``runs.workbook``, …): see :mod:`colorlab.runs`.
"""
