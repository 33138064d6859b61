"""The documented REST paths, each served by running one GraphQL operation in-process."""
