//! Interop tests: :global names across real Elixir nodes and ours.
