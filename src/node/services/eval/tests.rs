//! Unit tests for the shell-fun interpreter.
