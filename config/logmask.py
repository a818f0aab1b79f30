"""Log lines never carry a webhook token (issue 25, item 38).

A store's webhook address is `/hooks/<platform>/<token>/`, and the token is the credential. Django logs
the path of every 4xx/5xx (`django.request`: "Method Not Allowed (GET): /hooks/…") and the development
server every request (`django.server`): this filter keeps the token's first four characters, enough to
tell two stores apart in a log, and masks the rest.
"""

from __future__ import annotations

import logging
import re

_HOOK_PATH = re.compile(r"(/hooks/[\w-]+/)([^/\s?#\"']+)")


def mask_hook_tokens(text: str) -> str:
    return _HOOK_PATH.sub(lambda m: m.group(1) + m.group(2)[:4] + "…", text)


class MaskHookTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix here
            return True
        if "/hooks/" in message:
            record.msg, record.args = mask_hook_tokens(message), ()
        return True
