"""Load and process-level fault tests against a real gunicorn on 127.0.0.1 (issue #9).

``python -m loadtest.rush`` runs the deadline rush (``make loadtest``); the pytest suite uses
:mod:`loadtest.server` and :mod:`perf.http` to kill gunicorn workers mid-submit. Nothing here
talks to any address but 127.0.0.1, and every run stops by itself (bounded time and requests).
"""
