"""The fleet view (`migrate status DIR`): one row per spec under a folder, from state only.

One module per job:
  find      the specs under a folder (bounded), recognised by their top-level keys
  evidence  what one domain's state holds, read read-only with every chain verified
  phase     the phase that evidence shows (pure rules)
  dates     the next date that matters for a spec (pure rules)
  rows      one row per spec, and the order that puts what needs attention first
  view      the whole view: find, read, judge, sort
"""
