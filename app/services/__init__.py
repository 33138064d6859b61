"""Services the resolvers call: credentials, secrets at rest, upstream pricing."""
