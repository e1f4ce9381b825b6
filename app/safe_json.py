"""JSON from the outside world, parsed so that a hostile body is a client error, not a crash.

``json.loads`` raises ``RecursionError`` on deeply nested arrays (``[[[[...]]]]`` 10,000 deep)
and ``ValueError`` on integers over Python's 4,300-digit limit; callers catch ``ValueError``
only, so a nested body would be a 500. Here both are ``ValueError`` (``MalformedJSON``).
Parse only after the body's signature holds: parsing costs CPU for anyone who can send bytes.
"""

from __future__ import annotations

import json
from typing import Any


class MalformedJSON(ValueError):
    """Not JSON, or JSON we refuse to parse (nested too deep, numbers too long)."""


def loads(body: bytes | str) -> Any:
    try:
        return json.loads(body)
    except RecursionError:
        raise MalformedJSON("JSON nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedJSON(str(exc)) from None
