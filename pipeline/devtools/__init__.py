"""Development tools: tiny test models and benchmarks. Production code never imports these;
`targman model tiny` and `targman bench` load them on demand."""
