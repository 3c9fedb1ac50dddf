"""The debugging tools: gradient checks, anomaly detection, graph pictures."""
