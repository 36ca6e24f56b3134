"""``python -m workbench.run_job URL JOB_ID``: the child process a worker runs one job in.

A plain subprocess (not multiprocessing) so that it never depends on how the parent was
started - a Streamlit script, pytest, or the ``workbench`` command.
"""
import sys

from .jobs import execute

if __name__ == "__main__":
    execute(sys.argv[1], int(sys.argv[2]))
