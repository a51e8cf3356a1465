"""How traces are executed: local, simulated-remote (nnsight's ``remote="local"``), later NDIF."""
