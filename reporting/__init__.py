"""SKP-indberetning: the Flask web service (app factory in :mod:`reporting.app`)."""
