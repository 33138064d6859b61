"""GraphQL-engine plumbing: the view, masking, protections, persisted operations,
scalars, pagination and prefetching. Domain code lives beside this package."""
