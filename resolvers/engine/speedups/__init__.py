"""Speed-ups that reach into Strawberry's and graphql-core's internals. A reader can skip
this package: ``build_schema(fast=False)`` runs without it and gives the same answers."""
