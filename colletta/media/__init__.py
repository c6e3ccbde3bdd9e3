"""Media: where the bytes live (files), what they are (probe), and how images are cleaned."""
