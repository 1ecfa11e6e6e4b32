//! The `erlnode` binary: a thin entry point over [`cli`].

// glibc's malloc hands the top of a thread's heap back to the OS after a large free, so
// a stream of 64 KiB binaries faults every page of every new one back in (3x the CPU
// per message in `benches/beam.rs`); mimalloc keeps them.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
