"""The GraphQL schema: Strawberry types, queries, mutations and DataLoaders, by domain."""
