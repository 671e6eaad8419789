"""The test suite (tiers and how to run them: docs/development.md).

Imported before any test module, so this is where the thread policy of test processes is set: one OpenMP (and
BLAS) thread each, before any native library loads.  Tests fit models in-process, and on a 2-core machine running
two pytest-xdist workers, thread pools sized for every core make those fits many times slower.  Tests about the
product's own thread policy take these variables out of the environment they give their worker processes.
"""

import os

from automl_canvas.threads import set_wait_policy

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
set_wait_policy()
