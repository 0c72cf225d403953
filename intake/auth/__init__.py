"""Staff sign-in, sessions and roles."""
