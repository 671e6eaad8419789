"""Running jobs: the worker loop, the child process per job, lanes, and the handler of each job kind.

It sits above every workflow (its handlers import them); the queue it claims from is ``automl_canvas.jobs``,
which the workflows themselves use to queue work.
"""
