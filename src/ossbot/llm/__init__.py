"""The LLM layer: providers behind one small protocol, a fallback chain, a cache, validated
structured output. Nothing here imports an SDK until a provider is actually called."""
