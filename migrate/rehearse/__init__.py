"""`migrate rehearse`: the user's own cutover, offline, in the lab, on a compressed clock.

  run        the workflow: plan, lab, stage, notify, switch, verify, gate
  world      the user's domain in the lab, the day before the cutover
  labspec    the user's spec as the lab runs it (loopback stand-ins)
  clock      the compressed clock: real dates, the waits skipped
  simulated  the facts and attestations the lab cannot know, labelled
  findings   what the real parts answered, as problems in the user's terms
  result     the report: findings, the real-clock timeline, what was simulated
"""
