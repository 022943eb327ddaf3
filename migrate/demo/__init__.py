"""`migrate demo`: the whole exit of one Danish company from Microsoft 365, offline.

  scenario  the company: its Microsoft 365 zone, users, facts, spec, lab world
  relay     a real SMTP server on loopback for the announcement
  apply     the desired zone through the Pulumi RFC 2136 provider's own methods
  run       the nine phases, printed as they happen
"""
