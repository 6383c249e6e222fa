//! The commit log (being built).
