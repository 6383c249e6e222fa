//! `helenus-nodetool`: Cassandra's nodetool for Helenus nodes, over the node's admin
//! HTTP API (see docs/NODETOOL.md). Exit status 0 on success, 1 when the node is
//! unreachable or refuses the request, 2 on a command-line error.

fn main() {
    std::process::exit(tools::nodetool::main());
}
