//! Work split in two, on two threads when it is large: the one-pass summaries' customer
//! halves, the model fits' row sums and row collapse.

/// `first()` and `second()`, on two threads when `parallel` (the calling thread takes
/// `first`); None when `second` panicked on its thread (none is known: the caller then falls
/// back to a sequential route or reports a failure, never unwinds across threads).
pub(crate) fn both_halves<A, B>(
    parallel: bool,
    first: impl FnOnce() -> A,
    second: impl FnOnce() -> B + Send,
) -> Option<(A, B)>
where
    B: Send,
{
    if !parallel {
        return Some((first(), second()));
    }
    std::thread::scope(|s| {
        let other = s.spawn(second);
        let mine = first();
        other.join().ok().map(|theirs| (mine, theirs))
    })
}

#[cfg(test)]
mod tests {
    use super::both_halves;

    #[test]
    fn both_halves_runs_both_on_one_or_two_threads() {
        for parallel in [false, true] {
            assert_eq!(
                both_halves(parallel, || 2 + 3, || "odd".len()),
                Some((5, 3))
            );
        }
    }

    #[test]
    fn a_panic_on_the_other_thread_is_none() {
        let out = both_halves(true, || 1, || -> i32 { panic!("test panic") });
        assert!(out.is_none());
    }
}
