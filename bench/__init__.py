"""multigsi's benchmark: how much time and how many API calls each waiting strategy spends
around DynamoDB's index builds. `python -m bench` regenerates docs/benchmarks.md."""
