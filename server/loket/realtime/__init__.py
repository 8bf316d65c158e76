"""Socket.IO namespaces: parse, call the domain, emit, return the ack. Thin."""
