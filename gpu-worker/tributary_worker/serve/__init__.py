"""Multi-adapter LoRA serving: the engine (engine.py) and the worker's HTTP server on top of it."""
