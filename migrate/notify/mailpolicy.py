"""The email policy notices are built with: `policy.SMTP`, made fit for a hundred thousand messages.

`policy.SMTP` refuses line breaks in header values and writes CRLF, as the
notices need. Three of its costs are paid again for every message, and here
once, without changing a byte of what is written:

- its header registry makes a new class for every header it parses: fifteen
  classes a message, most of the time and memory it takes to build one
  (137 kB a message here, 30 kB without). Here each header name has one class;
- every message parses the same From, Date, Subject and Content-Type values
  again. Here a value is parsed once, and the header object, which is
  immutable, serves every message that sets the same text;
- and every message folds those same headers again to write them. Here a
  header object keeps its folded text.
"""

from __future__ import annotations

import functools
from email import headerregistry, policy


class _FoldedOnce:
    """A header folds the same way every time under one policy: fold it once.

    The generator clones the policy for every part it writes, so policies are
    told apart by their settings, not their identity: a policy keeps what
    differs from its class's defaults in its (immutable) __dict__.
    """

    def fold(self, *, policy) -> str:
        memo = self.__dict__.get("_folded")
        if memo is None or memo[0] is not type(policy) or memo[1] != policy.__dict__:
            memo = self._folded = (type(policy), policy.__dict__, super().fold(policy=policy))
        return memo[2]


class _Headers(headerregistry.HeaderRegistry):
    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}
        # Values unique to one message (To, Message-ID) pass through without
        # evicting the shared ones, which every message uses again at once.
        self._parsed = functools.lru_cache(maxsize=1024)(super().__call__)

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        if key not in self._classes:
            kind = self.registry.get(key, self.default_class)
            self._classes[key] = type("_" + kind.__name__, (_FoldedOnce, kind, self.base_class), {})
        return self._classes[key]

    def __call__(self, name: str, value):
        # Only text is a safe cache key: an Address object is not hashable.
        return self._parsed(name, value) if isinstance(value, str) else super().__call__(name, value)


SMTP = policy.SMTP.clone(header_factory=_Headers())
