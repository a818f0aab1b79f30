"""Fault switches for the XML endpoint.

A fault is picked per request, either from a scripted `sequence` (one entry consumed per matching
request; "ok" means behave) or, once the sequence is used up, with probability `rate` from `kinds`
(seeded RNG, so a run is repeatable). `down=True` answers 503 to every matching request until reset.

Kinds:
- "429"        Too Many Requests with `Retry-After: <retry_after>`; nothing is processed.
- "500", "503" server errors (an HTML error page); nothing is processed.
- "down"       503 "site offline" page; nothing is processed.
- "slow:<s>"   sleep <s> seconds, then answer normally.
- "drop"       process the request, then close the socket without a response.
- "truncate"   process, send full headers, then cut the body half-way and close.
- "malformed"  process, answer 200 with broken XML.
- "bomb"       process, answer 200 with an entity-expansion ("billion laughs") document.

"Process" matters for shipnotify: after drop/truncate/malformed/bomb the shipment *is* recorded, as
when a real store commits and the network dies on the way back; a retry is then an exact repeat.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

ACTIONS = ("export", "shipnotify")
REJECTING = ("429", "500", "503", "down")
CORRUPTING = ("drop", "truncate", "malformed", "bomb")
DEFAULT_KINDS = ("429", "500", "503", "drop", "truncate", "malformed")


def check_kind(kind: str) -> str:
    if kind == "ok" or kind in REJECTING or kind in CORRUPTING:
        return kind
    if kind.startswith("slow:"):
        float(kind[5:])  # raises ValueError when not a number
        return kind
    raise ValueError(f"unknown fault kind {kind!r}")


def parse_actions(actions: str | list[str] | tuple[str, ...]) -> frozenset[str]:
    if isinstance(actions, str):
        actions = ACTIONS if actions == "both" else (actions,)
    chosen = frozenset(actions)
    if not chosen or not chosen <= set(ACTIONS):
        raise ValueError(f"actions must be 'export', 'shipnotify' or 'both', not {actions!r}")
    return chosen


@dataclass
class FaultPlan:
    sequence: list[str] = field(default_factory=list)
    rate: float = 0.0
    kinds: tuple[str, ...] = DEFAULT_KINDS
    actions: frozenset[str] = frozenset(ACTIONS)
    retry_after: int = 1
    down: bool = False
    rng: random.Random = field(default_factory=random.Random)
    fired: dict[str, int] = field(default_factory=dict)

    def pick(self, action: str) -> str | None:
        """The fault for this request, or None. Caller holds the store lock."""
        if action not in self.actions:
            return None
        kind: str | None = None
        if self.down:
            kind = "down"
        elif self.sequence:
            kind = self.sequence.pop(0)
        elif self.rate > 0 and self.rng.random() < self.rate:
            kind = self.rng.choice(self.kinds)
        if kind is None or kind == "ok":
            return None
        self.fired[kind] = self.fired.get(kind, 0) + 1
        return kind

    def describe(self) -> dict[str, object]:
        return {
            "sequence": list(self.sequence),
            "rate": self.rate,
            "kinds": list(self.kinds),
            "actions": sorted(self.actions),
            "retry_after": self.retry_after,
            "down": self.down,
            "fired": dict(self.fired),
        }


def billion_laughs(levels: int = 10) -> bytes:
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<!DOCTYPE Orders [", '  <!ENTITY lol0 "lol">']
    for n in range(1, levels):
        lines.append(f'  <!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">')
    lines.append("]>")
    lines.append(
        f'<Orders pages="1"><Order><OrderID>1</OrderID><OrderNumber>&lol{levels - 1};</OrderNumber></Order></Orders>'
    )
    return "\n".join(lines).encode()


def malformed(body: bytes) -> bytes:
    # Half a real document, then an undefined entity and a mismatched close: never well-formed.
    return body[: max(len(body) // 2, 1)] + b"\n<Order><OrderID>&nbsp;</Order></Orders"
