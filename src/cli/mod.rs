//! The command line: parse, build the directory client, run one subcommand.
pub fn run() -> i32 {
    0
}
