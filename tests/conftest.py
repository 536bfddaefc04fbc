"""Shared pytest settings and fixtures.

* matplotlib draws off-screen (Agg), set here, before any test module imports pyplot;
* every test starts without a seed left behind by another test's ``utils.setup()``;
* ``serve_directory``: a local HTTP server for the download tests (``test_data.py``) and the browser test.
"""

import matplotlib

matplotlib.use("Agg")

import contextlib  # noqa: E402
import functools  # noqa: E402
import http.server  # noqa: E402
import threading  # noqa: E402

import pytest  # noqa: E402

from utils import config  # noqa: E402

HOST = "127.0.0.1"


@pytest.fixture(autouse=True)
def _forget_the_active_seed():
    config.use_seed(None)
    yield
    config.use_seed(None)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class; keeps pytest output clean
        pass


@contextlib.contextmanager
def _serving(directory, do_get=None):
    handler_class = _QuietHandler if do_get is None else type("_Handler", (_QuietHandler,), {"do_GET": do_get})
    handler = functools.partial(handler_class, directory=str(directory))
    server = http.server.ThreadingHTTPServer((HOST, 0), handler)  # port 0: a free port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def serve_directory():
    """``with serve_directory(directory) as url:`` serves ``directory`` on 127.0.0.1 inside the block.

    ``url`` is ``http://127.0.0.1:<free port>`` (no trailing slash); the server stops when the block ends,
    so a fixture of any scope decides how long it runs. ``do_get=function(handler)`` replaces the
    handler's ``do_GET`` (e.g. to send a broken response).
    """
    return _serving
