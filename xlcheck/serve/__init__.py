"""``xlcheck serve``: the check page and the JSON API for clerks who have only a browser.

* :mod:`.app` — the Starlette application: routes, upload limits, the one log line per request;
* :mod:`.pool` — worker processes that run the checks, with a cap and a time limit;
* :mod:`.jobs` — what a worker does with an upload (check, annotate, clean, summary, preview);
* :mod:`.preview` — tables 三 and 四 as the page shows them, with the annotated copy's marks;
* ``static/`` — the page itself, hand-written HTML, CSS and JavaScript served by xlcheck.

Importing this package imports no web stack; :func:`xlcheck.serve.app.create_app` does.
"""
