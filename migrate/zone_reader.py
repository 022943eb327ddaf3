"""dnspython's zone-file reader, made to give the TTLs BIND gives and to know where each record starts.

TTLs, as BIND's loader sets them (lib/dns/master.c) when a record states none:

- after `$TTL`, that value;
- with no `$TTL`, an SOA that states no TTL either, and no TTL stated before
  it, takes its last field (the minimum, RFC 2308 §4 "no TTL specified;
  using SOA MINTTL instead") and that value becomes the default from then on;
- otherwise the last TTL stated in the file (RFC 1035 §5.1).

dnspython's reader does the same except in two cases, which it settles the
other way: after an SOA without TTL it prefers the last stated TTL to the SOA
minimum, and it takes the SOA minimum as the default even when the SOA line
(or a line before it) stated a TTL. One hook after each record line puts both
back as BIND has them.
"""

from __future__ import annotations

import dns.zonefile


class Reader(dns.zonefile.Reader):
    # The line the record being read starts on; None between records (directives, the end).
    record_line: int | None = None

    def _rr_line(self) -> None:
        self.record_line = self.tok.where()[1]
        had_default = self.default_ttl_known
        super()._rr_line()
        if self.default_ttl_known and not had_default:
            # This line was the SOA, with no $TTL before it. BIND makes its minimum the
            # default only if no TTL was stated yet (on this line or before), and then
            # that default wins over TTLs stated later.
            self.default_ttl_known = not self.last_ttl_known
            self.default_ttl_from_soa = False
        self.record_line = None

