//! Embedded EPMD server: the in-process port mapper started when none answers.
