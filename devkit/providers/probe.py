"""`python3 -m devkit.providers.probe`: exit 0 when the service on $PORT answers /_devkit/health (which PINGs its
Redis), 1 otherwise. The compose healthcheck and the native runtime's health command both run it."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def healthy(port: int, timeout: float = 2.0) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    try:
        with opener.open(f"http://127.0.0.1:{port}/_devkit/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


if __name__ == "__main__":
    sys.exit(0 if healthy(int(os.environ.get("PORT") or 8040)) else 1)
