"""Jobs: their states, their store (named SQL over a `Database`), submission and processing."""
