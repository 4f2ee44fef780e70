//! The backend's integration tests: one binary, one module per area.

mod signin;
