"""Statistics (三率 and the rest), hot issues and public disclosure queries."""
