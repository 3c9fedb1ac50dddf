"""The engines: forward (Dual), reverse (graph, backward pass, Tensor)."""
