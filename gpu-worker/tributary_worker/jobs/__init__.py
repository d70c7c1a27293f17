"""Running one leased job of each kind: fine-tune and generate."""
