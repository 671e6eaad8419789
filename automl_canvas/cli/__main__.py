"""`python -m automl_canvas.cli …`: the same as the `automl-canvas` script."""

from . import main

if __name__ == "__main__":  # not when a spawned child process re-imports the parent's main module
    main()
