"""Storage: the port the use cases depend on (:mod:`bot.storage.port`), its value types
(:mod:`bot.storage.types`) and its implementations (:mod:`bot.storage.sqlite`)."""
