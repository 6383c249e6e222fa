//! helenus-stress, helenus-nodetool and helenus-sstable: client-side tools that talk to
//! nodes over the network like any client (and read SSTables offline for
//! helenus-sstable). helenus-nodetool lives in [`nodetool`], helenus-stress in
//! [`stress`]; see docs/STATUS.md for the others.

pub mod nodetool;
pub mod stress;
