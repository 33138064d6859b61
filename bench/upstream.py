"""The pricing upstream: OpenRouter's models API, served locally to the servers under test
(``VENDO_OPENROUTER_MODELS_URL``), so that the pricing routes measure the gateway, not the
network."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson


def openrouter_payload(models: int = 300) -> bytes:
    data = []
    for index in range(models):
        prompt = f"0.{'0' * (5 + index % 3)}{1 + index % 9}"
        data.append(
            {
                "id": f"vendor{index % 25}/model-{index}",
                "name": f"Vendor {index % 25}: Model {index}",
                "context_length": 4096 * (1 + index % 32),
                "pricing": {"prompt": prompt, "completion": str(float(prompt) * 4)},
            }
        )
    return orjson.dumps({"data": data})


@contextlib.contextmanager
def pricing_upstream() -> Iterator[str]:
    """Serve ``{"data": [300 models]}`` on 127.0.0.1; yields the models URL."""
    payload = openrouter_payload()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/models"
    finally:
        server.shutdown()
        server.server_close()
