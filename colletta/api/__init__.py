"""HTTP and WebSocket: parse, call one action, render. No storage access here."""
