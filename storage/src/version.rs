//! Version set of live SSTables (being built).
