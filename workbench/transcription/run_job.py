"""``python -m workbench.transcription.run_job JOB_ID``: the child process a worker runs one job in.

A plain subprocess (not multiprocessing) so that it never depends on how the parent was
started - a Streamlit script, pytest, or the ``workbench`` command. The database URL comes in
``WORKBENCH_DATABASE_URL`` (not on the command line: other users can read that).
"""
import os
import sys

from workbench.transcription.worker import child_limits, execute

if __name__ == "__main__":
    child_limits()
    execute(os.environ["WORKBENCH_DATABASE_URL"], int(sys.argv[1]))
