"""Fan-out: the bus between nodes, and the hub of this node's live connections."""
