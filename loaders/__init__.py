"""Everything that is not UI: the model, geography, coordinates, reading files, the store and the CLI."""
