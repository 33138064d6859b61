"""How each legacy route's request becomes its operation's variables, and its result the
documented body: one module per domain of docs/CONTRACT.md, grouped as in the table (routes.py)."""
