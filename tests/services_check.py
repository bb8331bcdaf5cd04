"""Exit 0 when PostgreSQL and Redis answer, 1 when not; with KINWELL_REQUIRE_SERVICES
set, an unreachable service is an error (exit 2) so CI cannot silently skip the pass."""

import os
import socket
import sys

SERVICES = {"PostgreSQL": ("127.0.0.1", 5432), "Redis": ("127.0.0.1", 6379)}


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    missing = [name for name, addr in SERVICES.items() if not reachable(*addr)]
    if not missing:
        return 0
    if os.environ.get("KINWELL_REQUIRE_SERVICES"):
        print(f"required services not reachable: {', '.join(missing)}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
