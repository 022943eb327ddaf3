"""Hash chains over a store's rows (pure): each link covers its row and the link before it.

Link n (1-based) = MAC(kind, "m365-exit/link/1", n, link n-1, row n), where
row n is the canonical text of the row's content and link 0 is "". MAC is
sha256 for `sha256` links and HMAC-SHA256 with the state key for
`hmac-sha256` links. Because each link covers its predecessor, editing,
reordering or deleting any row changes every link after it; because it
covers its position, the count is part of every link.

Deleting the newest rows leaves a valid shorter chain, so each chain also
has a head (its count and newest link), kept beside it and sealed with a
MAC over the chain's name: a chain that does not end where its head says
was trimmed (or grown behind the writers' backs).

Rows written before chains existed (a legacy prefix) have no stored link:
their links are computed (sha256) when read, so the first stored link
covers the legacy rows' count and content, and trimming or editing them
breaks it. Stored links only follow the prefix, and a sha256 link after an
HMAC one is a downgrade.

Without the key a chain detects naive tampering only: whoever can write the
file can recompute every link and the head. With the key they cannot, so a
reader holding the key accepts only a head sealed with it: a chain made or
rewritten without the key (plain links, or links stripped to look legacy)
is refused. A state written before the key was set is put under it once,
deliberately, by someone who checked it (`migrate state seal`, `adopting`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

PLAIN = "sha256"
KEYED = "hmac-sha256"


class Broken(Exception):
    """The chain does not verify; `position` is the first row that does not (None: the head)."""

    def __init__(self, position: int | None, reason: str) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason


class KeyNeeded(Exception):
    """A keyed link or head cannot be checked (or extended) without the key."""


class Unsealed(Exception):
    """The key is set, but the chain's head is not sealed with it: made or rewritten without it, or never adopted."""


@dataclass(frozen=True)
class Head:
    """Where a chain ends: its length and its newest link ("" for an empty chain)."""

    count: int
    link: str

    def to_dict(self) -> dict:
        return {"count": self.count, "link": self.link}

    @classmethod
    def from_dict(cls, data: dict) -> Head:
        return cls(int(data["count"]), str(data["link"]))


EMPTY = Head(0, "")


def kind_for(key: bytes | None) -> str:
    return PLAIN if key is None else KEYED


def _mac(kind: str, key: bytes | None, text: str) -> str:
    data = text.encode("utf-8")
    if kind == PLAIN:
        return hashlib.sha256(data).hexdigest()
    if kind != KEYED:
        raise Broken(None, f"unknown link kind {kind!r}")
    if key is None:
        raise KeyNeeded
    return hmac.digest(key, data, "sha256").hex()


def link(kind: str, key: bytes | None, previous: str, position: int, content: str) -> str:
    """Link `position` of a chain: its row's `content` bound to the `previous` link."""
    return _mac(kind, key, f"m365-exit/link/1\n{kind}\n{position}\n{previous}\n{content}")


def seal(name: str, head: Head, kind: str, key: bytes | None) -> str:
    """The head of chain `name`, bound to the chain's name with `kind`'s MAC: with the key, only its holder can move it."""
    return _mac(kind, key, f"m365-exit/head/1\n{kind}\n{name}\n{head.count}\n{head.link}")


@dataclass(frozen=True)
class Verified:
    """A chain whose links verified: every row's link (computed for the legacy prefix), oldest first."""

    links: tuple[str, ...]
    stored: bool  # whether any row has a stored link (else all legacy)

    @property
    def head(self) -> Head:
        return Head(len(self.links), self.links[-1]) if self.links else EMPTY

    def extends(self, anchor: Head) -> str | None:
        """Why this chain is not `anchor`'s chain grown by appending, or None when it is."""
        if len(self.links) < anchor.count:
            return f"{len(self.links)} entries now, {anchor.count} then (deleted, or an older copy put back)"
        if anchor.count and self.links[anchor.count - 1] != anchor.link:
            return f"entry {anchor.count} is not the one seen then (the entries up to it were rewritten)"
        return None


def verify(rows: Iterable[tuple[str, str | None, str | None]], key: bytes | None) -> Verified:
    """Check rows (content, stored link, stored kind) in order; raise Broken at the first that fails, or KeyNeeded."""
    links: list[str] = []
    previous = ""
    stored = keyed = False
    for position, (content, recorded, kind) in enumerate(rows, start=1):
        if recorded is None or kind is None:
            if stored:
                raise Broken(position, "it has no link, after rows that have one (its link was removed)")
            previous = link(PLAIN, None, previous, position, content)
        else:
            if kind == PLAIN and keyed:
                raise Broken(position, "its link is plain sha256 after keyed ones (rewritten without the key)")
            stored, keyed = True, keyed or kind == KEYED
            previous = link(kind, key, previous, position, content)
            if not hmac.compare_digest(previous, recorded):
                raise Broken(position, "it no longer matches its link (edited, moved, or a row before it deleted)")
        links.append(previous)
    return Verified(tuple(links), stored)


def check_seal(name: str, head: Head, kind: str, sealed: str, key: bytes | None, *, adopting: bool = False) -> None:
    """Raise unless `sealed` is `head`'s seal; with the key, unless it is sealed with the key (Unsealed), when not `adopting`."""
    if not hmac.compare_digest(seal(name, head, kind, key), sealed):
        raise Broken(None, "its head does not match its seal (the head was rewritten, or the key is not the one it was sealed with)")
    if key is not None and kind != KEYED and not adopting:
        raise Unsealed


def check_head(name: str, chain: Verified, stored: tuple[Head, str, str] | None, key: bytes | None, *,
               adopting: bool = False) -> None:
    """Raise unless the stored head (head, kind, seal) is sealed right and is exactly where the verified chain ends.

    A chain without a head is new (empty), or legacy rows no writer has
    appended to since chains exist: with the key, the latter is Unsealed.
    """
    if stored is None:
        if chain.stored:
            raise Broken(None, "its head is missing (removed, so that a trimmed chain would pass)")
        if chain.links and key is not None and not adopting:
            raise Unsealed
        return
    head, kind, sealed = stored
    check_seal(name, head, kind, sealed, key, adopting=adopting)
    if head.count != len(chain.links):
        what = "the newest were deleted" if head.count > len(chain.links) else "rows were added without their links"
        raise Broken(None, f"it holds {len(chain.links)}, but its head says {head.count} ({what})")
    if head != chain.head:
        raise Broken(head.count, "it is not the entry its head names (the newest was replaced)")
