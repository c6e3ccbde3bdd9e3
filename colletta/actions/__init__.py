"""Use cases: `check_*` validates, `access_*` loads and authorizes, `do_*` writes and emits."""
