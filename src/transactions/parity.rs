//! What the one-pass paths ([`super::stream`], [`super::cohorts::one_pass`]) share: the
//! customers' states split into two halves by the parity of the customer index, a large
//! batch's rows added on two threads (one per half, with [`both_halves`]: the random accesses
//! to the states are the cost, and each thread takes half of them), the period of a day
//! cached for rows in date order, and large vectors on huge pages.

pub(super) use crate::parallel::both_halves;

use super::unit::TimeUnit;

/// Asks the CPU to bring the cache lines of `*v` (at most two: a value that straddles a
/// line boundary) into its cache ahead of use. A hint only: it never faults, on any address.
#[inline(always)]
pub(super) fn prefetch<T>(v: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint that reads nothing and never faults
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = v.cast::<i8>();
        _mm_prefetch::<_MM_HINT_T0>(p);
        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(std::mem::size_of::<T>() - 1));
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}

/// Asks the kernel to back the allocation of `v` (its capacity) with transparent huge pages
/// (2 MiB) where the system allows it (`madvise`, Linux): a page fault per 2 MiB instead of per
/// 4 KiB when the memory is first touched. The states of 3.6 million customers take 42,000
/// faults of 4 KiB pages, each of which costs more than its zeroing in a virtual machine.
pub(super) fn huge_pages<T>(v: &Vec<T>) {
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if bytes < 2 * HUGE_PAGE {
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: advice on whole pages inside the allocation of `v`; it changes how they are
    // backed, never their contents
    unsafe {
        advise_huge_pages(v.as_ptr() as usize, bytes, libc::MADV_HUGEPAGE);
    }
}

/// The size of a transparent huge page on x86-64 and most Linux systems.
const HUGE_PAGE: usize = 2 << 20;

/// `madvise(advice)` on the whole huge pages (2 MiB, aligned) inside the `bytes` from `start`.
///
/// # Safety
/// The range must be memory the caller owns, and `advice` must keep what the caller will read
/// of it valid (`MADV_HUGEPAGE` keeps the contents; `MADV_DONTNEED` makes them zeros).
#[cfg(target_os = "linux")]
pub(super) unsafe fn advise_huge_pages(start: usize, bytes: usize, advice: libc::c_int) {
    let first = start.next_multiple_of(HUGE_PAGE);
    let end = (start + bytes) & !(HUGE_PAGE - 1);
    if end > first {
        // SAFETY: the caller's (above)
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, advice);
        }
    }
}

/// An empty vector with room for `n`, on huge pages ([`huge_pages`]).
pub(super) fn huge_capacity<T>(n: usize) -> Vec<T> {
    let v = Vec::with_capacity(n);
    huge_pages(&v);
    v
}

/// `n` zeros on huge pages ([`huge_pages`]).
pub(super) fn huge_zeros(n: usize) -> Vec<f64> {
    let mut v = huge_capacity(n);
    v.resize(n, 0.0);
    v
}

/// Resizes `v` to `n` elements (new ones `value`), its allocation on huge pages
/// ([`huge_pages`]) when it grows.
pub(super) fn resize_huge<T: Clone>(v: &mut Vec<T>, n: usize, value: T) {
    if n > v.capacity() {
        v.reserve(n - v.len());
        huge_pages(v);
    }
    v.resize(n, value);
}

/// Batches with fewer kept rows than this are accumulated on one thread.
pub(super) const PARALLEL_ROWS: usize = 65_536;

/// The period of a day, remembering the last one (rows in date order repeat their day).
pub(super) struct PeriodOf {
    unit: TimeUnit,
    day: i32,
    period: i32,
}

impl PeriodOf {
    pub(super) fn new(unit: TimeUnit) -> Self {
        PeriodOf {
            unit,
            day: i32::MIN,
            period: 0,
        }
    }

    pub(super) fn get(&mut self, day: i32) -> i32 {
        if day != self.day {
            self.day = day;
            // a period index is never larger in magnitude than its day
            self.period = i32::try_from(self.unit.period(day)).unwrap_or(i32::MIN);
        }
        self.period
    }
}

#[cfg(test)]
mod tests {
    use super::{both_halves, PeriodOf};
    use crate::transactions::unit::TimeUnit;

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

    #[test]
    fn period_of_gives_the_period_of_each_day() {
        // months are year * 12 + month - 1: 1970-01 is 23640; day 30 is 1970-01-31, day 31
        // 1970-02-01; weeks start on Monday 1969-12-29 (week 0), day 4 is Monday 1970-01-05
        let mut m = PeriodOf::new(TimeUnit::Months);
        assert_eq!(
            [m.get(0), m.get(30), m.get(30), m.get(31)],
            [23640, 23640, 23640, 23641]
        );
        let mut w = PeriodOf::new(TimeUnit::Weeks);
        assert_eq!([w.get(3), w.get(4), w.get(-3), w.get(-4)], [0, 1, 0, -1]);
    }
}
