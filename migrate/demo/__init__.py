"""`migrate demo`: the whole exit of one Danish company from Microsoft 365, offline.

  scenario  the company: its Microsoft 365 zone, users, facts, spec, lab world
  relay     a real SMTP server on loopback for the announcement
  apply     the desired zone through the Pulumi RFC 2136 provider's own methods
  preflight a usable --out folder and a lab that can start, before anything is written
  show      how the demo prints: phase headings and one-line rows
  run       the nine phases, each calling the functions the commands call
"""
