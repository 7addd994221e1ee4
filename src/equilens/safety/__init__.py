"""Safety of generated text: toxicity, red-team suites and factual accuracy by slice."""
