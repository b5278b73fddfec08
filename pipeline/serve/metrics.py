"""Prometheus metrics of the service (`GET /metrics`), with `prometheus_client`.

Each app has a registry of its own (two services in one process, as in the tests, do
not share counters): requests by API and status, request latency, engine calls and the
texts in each (how well concurrent requests are batched), translation-memory hits.
"""

from __future__ import annotations


class Metrics:
    def __init__(self):
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter("targman_requests", "HTTP requests answered", ["api", "status"], registry=self.registry)
        self.latency = Histogram("targman_request_seconds", "Time to answer a translation request", ["api"],
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
                                 registry=self.registry)
        self.batch_texts = Histogram("targman_batch_texts", "Texts in one engine call (requests gathered together)",
                                     buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512), registry=self.registry)
        self.batch_requests = Histogram("targman_batch_requests", "Requests gathered into one engine call",
                                        buckets=(1, 2, 4, 8, 16, 32, 64), registry=self.registry)
        self.batch_seconds = Histogram("targman_batch_seconds", "Time of one Translator call", registry=self.registry)
        self.texts = Counter("targman_texts", "Texts translated", registry=self.registry)
        self.characters = Counter("targman_characters", "Characters of source text translated", registry=self.registry)
        self.memory = Counter("targman_memory_segments", "Segments looked up in the translation memory", ["result"],
                              registry=self.registry)

    def batch(self, requests: int, texts: int, seconds: float, memory: dict) -> None:
        self.batch_requests.observe(requests)
        self.batch_texts.observe(texts)
        self.batch_seconds.observe(seconds)
        self.texts.inc(texts)
        for result in ("hits", "misses", "human"):
            if memory.get(result):
                self.memory.labels(result=result).inc(memory[result])

    def text(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST
