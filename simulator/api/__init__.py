"""API machinery: decoding untrusted YAML, defaults, validation, apply, and the API shapes objects are rendered in."""
