"""Base models: the built-in tiny-llama and resolving catalog ids to where they load from."""
