"""User notifications: who is told what and when, rendered to .eml and sent once.

One module per job:
  waves       the five waves, the facts they tell and when each is due
  windows     when each wave may be sent (refused outside, unless forced)
  promise     the data deadline the sent messages gave users (the gate keeps it)
  dates       dates and times in Danish and English without system locales
  recipients  the admin center's "Active users" export -> who gets mail, and the mailboxes nobody reads
  plans       a user's licences -> Office desktop apps, web only, or unknown (what the emails tell them)
  render      Jinja2 templates (templates/email/<lang>/) -> subject, text, HTML
  admincopy   the admin's copy of a wave: who gets which instructions, the mailboxes nobody is told about
  skeleton    what every message of a wave in one language shares, made once
  mailpolicy  the email package's header folding and body encoding, paid for once
  message     one RFC 5322 message (multipart/alternative) with safe headers
  outbox      .eml files on disk
  workers     a large outbox rendered by a process per CPU
  ledger      SQLite record of what was sent (read by the gate)
  send        SMTP delivery with rate limit, retries and the ledger
  wave        one wave end to end (who, outbox, sending), for `migrate notify` and the demo
"""
