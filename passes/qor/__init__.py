"""Quality-of-results model: analytical latency/resource estimates and their reports."""
