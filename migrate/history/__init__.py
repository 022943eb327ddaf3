"""`migrate report`: the history of one migration, as the state records it, drawn as one self-contained HTML page.

- `records`: read the stores (never DNS), verified and anchored as the gate does;
- `timeline`: which server served the old data and which the new, round by round (pure);
- `story`: what the page says, from the records and a clock (pure);
- `page`: the HTML, from `templates/report.html`;
- `run`: what `migrate report` does, in one call (for any command that writes a report).
"""
