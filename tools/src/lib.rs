//! helenus-stress, helenus-nodetool and helenus-sstable: client-side tools that talk to
//! nodes over the network like any client (and read SSTables offline for
//! helenus-sstable). helenus-nodetool lives in [`nodetool`], helenus-sstable in
//! [`sstable`], helenus-stress in [`stress`].

pub mod nodetool;
pub mod sstable;
pub mod stress;
