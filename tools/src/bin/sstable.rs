//! `helenus-sstable`: offline SSTable inspection (describe, dump, verify, index); see
//! docs/SSTABLE_TOOL.md. Exit status 0 on success, 1 when an SSTable is corrupt or
//! unreadable, 2 on a command-line error.

fn main() {
    std::process::exit(tools::sstable::main());
}
