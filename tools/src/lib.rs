//! helenus-stress, helenus-nodetool and helenus-sstable: client-side tools that talk to
//! nodes over the network like any client (and read SSTables offline for
//! helenus-sstable). Not built yet: see docs/STATUS.md.
