"""HTTP plumbing: middleware, health endpoints, the request log, metrics and tracing."""
