//! `orgtui fake-org`: print a generated org file.

use super::output;
use crate::error::{Result, exit};
use crate::model::generate::{self, GenSpec};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// People to generate.
    #[arg(long, default_value_t = 1600)]
    pub users: usize,
    /// Departments to generate (at least 1).
    #[arg(long, default_value_t = 130)]
    pub depts: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the bundled demo org exactly (ignores the other options).
    #[arg(long)]
    pub demo: bool,
}

pub fn run(args: &Args) -> Result<i32> {
    let org = if args.demo {
        generate::demo()
    } else {
        generate::generate(&GenSpec::new(args.users, args.depts.max(1), args.seed))
    };
    output::emit(&output::to_json(&org)?)?;
    Ok(exit::OK)
}
