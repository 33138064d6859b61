"""What the test modules share, one concern per module:

- ``http``: exact-answer assertions (``assert_json``, ``assert_text``) and the answers many
  tests expect;
- ``credentials``: identity JWTs, Bearer headers, sessions expired or revoked, API keys, users and
  workspaces signed up through the gateway's own repositories;
- ``sql``: raw SQL behind the gateway's back, a whole-database snapshot, a held write lock;
- ``documents``: the GraphQL documents more than one module sends;
- ``catalog``: facts of the demo catalog derived from ``app/seed_data.py``, look-ups of its rows;
- ``builders``: rows of the catalog and of a workspace, with defaults, added in one transaction;
- ``workspace``: a workspace's apps, bindings and keys as stored, and the keys and apps routes'
  bodies built from them.
"""
