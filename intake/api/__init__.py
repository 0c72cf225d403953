"""The JSON API (CONTRACT section 6) and its OpenAPI document."""
