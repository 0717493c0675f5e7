//! The RFM summary in one pass, with one small state per customer and no copy of the rows,
//! for a log whose rows come, customer by customer, in date order: a log written as the orders
//! happened (sorted by date), or sorted by customer and date, as logs usually are.
//!
//! Each customer keeps its open period (the period of its latest row) and that period's
//! running total; a row in a later period closes it. The totals are the [`Kahan`] sums of
//! pandas' `groupby().sum()` (which lifetimes uses) over the rows in input order, and the
//! closed periods are added in period order with the same sum, as the sorted path does: the
//! result is that of [`super::summary::rfm_summary`] to the bit (tested on random logs) when
//! the rows of a customer-period come in date order, and lifetimes' to the bit in any case.
//! A row dated in an earlier period than a previous row of the same customer stops the pass
//! ([`Fallback::OutOfOrder`]): the caller then runs the sorted path on the whole input, so the
//! result never depends on the order of the input.

use super::ingest::{Ingest, Keys, Row};
#[cfg(target_os = "linux")]
use super::parity::advise_huge_pages;
use super::parity::{
    both_halves, huge_capacity, huge_zeros, prefetch, resize_huge, PeriodOf, PARALLEL_ROWS,
};
use super::summary::{Kahan, Summary};
use super::unit::TimeUnit;
use super::Report;
use crate::error::{Error, Result};
use arrow_schema::ArrowError;

/// Drops `v` and returns the freed memory to the system: glibc's allocator keeps freed blocks
/// below its (adaptive, up to 32 MiB) mmap threshold for reuse, which counts in the peak
/// memory of a process whose next allocations do not fit them.
fn release<T>(v: T) {
    drop(v);
    trim_heap();
}

/// Returns the allocator's free memory to the system (see [`release`]).
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of the allocator's heaps to the system
    unsafe {
        libc::malloc_trim(0);
    }
}

/// What the frequency, recency and T columns need of a customer, gathered into key order.
#[derive(Clone, Copy)]
struct Out {
    /// Purchase periods (0: none).
    n: u32,
    first: i32,
    last: i32,
}

/// Why the one-pass path stopped; the caller runs the sorted path instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// A customer's row is dated in an earlier period than one of its previous rows.
    OutOfOrder,
    /// The state of this many customers (48 bytes each) would exceed the memory budget.
    OverBudget { customers: usize },
    /// A customer id is outside the range given for it (wrong Parquet statistics).
    IdOutOfRange,
}

/// The outcome of [`rfm_summary_one_pass`].
#[derive(Debug, Clone, PartialEq)]
pub enum OnePass {
    Done(Summary, Report),
    Fallback(Fallback),
}

/// One customer: its open period and what its closed periods left (48 bytes: 3.6 million
/// customers take 165 MiB).
///
/// The open period's rows are summed when it closes, in the order of the sorted path (by day,
/// then amount) with its [`Kahan`] sum, so that the totals are the same bits: its first row is
/// kept here, two or more in [`Many`] (one customer-day in twenty has two rows or more in the
/// benchmark log). `a0` is NaN when they are in [`Many`] (amounts are finite).
#[derive(Debug, Clone, Copy)]
struct Acc {
    /// The period of the latest row (the open period).
    open: i32,
    /// First and last purchase periods (valid once `n > 0`).
    first: i32,
    last: i32,
    /// Closed periods with a purchase.
    n: u32,
    /// Day and amount of the open period's one row; `d0` is [`NO_DAY`] before the customer's
    /// first row. With two rows or more, `slot` is their list in [`Many`].
    d0: i32,
    slot: u32,
    a0: f64,
    /// The totals of the closed purchase periods after the first.
    repeat: Kahan,
}

// the size the memory budget and the doc above count on
const _: () = assert!(std::mem::size_of::<Acc>() == 48);

/// While the states are closed, their memory is returned every this many customers (2^18:
/// 12 MiB of states; each half returns its own every half as many).
const SHRINK_EVERY: usize = 1 << 18;

/// Never a day of a row (dates are validated to chrono's range, about +-95 million days).
const NO_DAY: i32 = i32::MIN;

const EMPTY: Acc = Acc {
    open: 0,
    first: 0,
    last: 0,
    n: 0,
    d0: NO_DAY,
    slot: 0,
    a0: f64::NAN,
    repeat: Kahan {
        sum: 0.0,
        comp: 0.0,
    },
};

/// The rows of the open periods with two rows or more: one list per such period, its slot
/// kept in the customer's `slot`; closed periods' lists are reused. An amount is kept as the
/// integer of [`f64::total_cmp`]'s order ([`total_order_key`]), its day only when periods
/// span several days: a one-day list is sorted as a list of integers, in place (on the
/// benchmark log, whose heaviest customers have thousands of orders a day, a primitive sort
/// took the sorting's share of the profile from about 11% to 7%; keeping the keys, not
/// (day, amount) pairs copied to keys and back, halved the memory the lists move).
#[derive(Default)]
struct Many {
    keys: Vec<Vec<i64>>,
    /// The days of each list's rows, when `multi_day`.
    days: Vec<Vec<i32>>,
    /// Periods of several days (weeks, months, n > 1 days).
    multi_day: bool,
    free: Vec<u32>,
    /// Scratch for the sort of a list of several days.
    rows: Vec<(i32, i64)>,
}

/// `x` as an integer whose order is [`f64::total_cmp`]'s (the same bit trick).
fn total_order_key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ ((((bits >> 63) as u64) >> 1) as i64)
}

/// The inverse of [`total_order_key`] (the sign bit, which chooses the mask, is unchanged).
fn from_total_order_key(k: i64) -> f64 {
    f64::from_bits((k ^ ((((k >> 63) as u64) >> 1) as i64)) as u64)
}

impl Many {
    fn new(unit: TimeUnit) -> Self {
        Many {
            multi_day: unit != TimeUnit::Days(1),
            ..Many::default()
        }
    }

    /// A new list holding `rows`, and its slot.
    fn open(&mut self, rows: [(i32, f64); 2]) -> u32 {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.keys.push(Vec::new());
                self.days.push(Vec::new());
                (self.keys.len() - 1) as u32
            }
        };
        for row in rows {
            self.push(slot, row);
        }
        slot
    }

    fn push(&mut self, slot: u32, (day, amount): (i32, f64)) {
        self.keys[slot as usize].push(total_order_key(amount));
        if self.multi_day {
            self.days[slot as usize].push(day);
        }
    }

    /// The rows of `slot`, their refunds (negative amounts) and the [`Kahan`] sum of their
    /// amounts in the order of the sorted path (day, then amount); then the slot is free.
    fn close(&mut self, slot: u32) -> (u64, u64, f64) {
        let keys = &mut self.keys[slot as usize];
        let days = &mut self.days[slot as usize];
        let mut sum = Kahan::default();
        let mut refunds = 0u64;
        let mut add = |k: i64| {
            let a = from_total_order_key(k);
            sum.add(a);
            refunds += u64::from(a < 0.0);
        };
        if days.iter().all(|&d| d == days[0]) {
            // one day (always so with daily periods): by amount alone
            keys.sort_unstable();
            keys.iter().for_each(|&k| add(k));
        } else {
            self.rows.clear();
            self.rows
                .extend(days.iter().copied().zip(keys.iter().copied()));
            self.rows.sort_unstable();
            self.rows.iter().for_each(|&(_, k)| add(k));
        }
        let rows = keys.len() as u64;
        keys.clear();
        days.clear();
        if keys.capacity() > 4096 {
            keys.shrink_to(4096);
            days.shrink_to(4096);
        }
        self.free.push(slot);
        (rows, refunds, sum.sum)
    }
}

/// Report counts of the closed periods (the same rule as the sorted path's `purchases`: a
/// period without a non-negative row is not a purchase, its refunds are unmatched).
#[derive(Default)]
struct Counts {
    rows_used: u64,
    netted: u64,
    unmatched: u64,
}

/// Adds the counts of both halves to `report`.
fn add_counts(report: &mut Report, halves: [&Counts; 2]) {
    for c in halves {
        report.rows_used += c.rows_used;
        report.refund_rows_netted += c.netted;
        report.refund_rows_unmatched += c.unmatched;
    }
}

/// The error for an `observation_end` (day `end`) before some customer's first purchase, as
/// the sorted path's.
fn late_error(end: i32) -> Error {
    Error::param(
        "observation_end",
        super::unit::date_from_days(end).map_or_else(|| end.to_string(), |d| d.to_string()),
        "is before the first purchase of some customers; pass a later date",
    )
}

impl Acc {
    fn is_empty(&self) -> bool {
        self.d0 == NO_DAY
    }

    /// The monetary value of a closed customer: the mean total of its repeat purchase
    /// periods, 0 without repeats.
    fn mean(&self) -> f64 {
        if self.n > 1 {
            self.repeat.sum / f64::from(self.n - 1)
        } else {
            0.0
        }
    }

    /// Opens `period` with its first row, keeping what the closed periods left.
    fn reopen(&mut self, period: i32, day: i32, amount: f64) {
        self.open = period;
        self.d0 = day;
        self.a0 = amount;
    }

    /// Closes the open period: a purchase when it has a non-negative row.
    fn close(&mut self, many: &mut Many, counts: &mut Counts) {
        if self.is_empty() {
            return;
        }
        let (rows, refunds, sum) = if !self.a0.is_nan() {
            let mut sum = Kahan::default();
            sum.add(self.a0);
            (1, u64::from(self.a0 < 0.0), sum.sum)
        } else {
            many.close(self.slot)
        };
        if rows == refunds {
            counts.unmatched += refunds;
            return;
        }
        counts.netted += refunds;
        counts.rows_used += rows;
        if self.n == 0 {
            self.first = self.open;
        } else {
            self.repeat.add(sum);
        }
        self.last = self.open;
        self.n += 1;
    }

    /// Adds a row; false when it is out of order (an earlier period).
    fn add(
        &mut self,
        period: i32,
        day: i32,
        amount: f64,
        many: &mut Many,
        counts: &mut Counts,
    ) -> bool {
        if self.is_empty() {
            self.reopen(period, day, amount);
        } else if period == self.open {
            if self.a0.is_nan() {
                many.push(self.slot, (day, amount));
            } else {
                self.slot = many.open([(self.d0, self.a0), (day, amount)]);
                self.a0 = f64::NAN;
            }
        } else if period > self.open {
            self.close(many, counts);
            self.reopen(period, day, amount);
        } else {
            return false;
        }
        true
    }
}

/// Rows looked ahead for the prefetch of their customer's state.
const AHEAD: usize = 16;

/// The customers of one parity (even or odd index): their states, at `index / 2`.
#[derive(Default)]
struct Half {
    state: Vec<Acc>,
    many: Many,
    counts: Counts,
}

/// A half's customers once closed: what the output needs of each ([`Out`], and the mean of
/// its repeat periods when there are amounts), in the half's order.
struct Closed {
    outs: Vec<Out>,
    means: Vec<f64>,
    counts: Counts,
    /// Customers without a purchase.
    unbought: usize,
    /// Whether a customer's first purchase is after the end of observation.
    late: bool,
}

/// What [`Half::close_in_place`] counts.
#[derive(Default)]
struct InPlace {
    bought: usize,
    bought_below: usize,
    late: bool,
}

/// The result's columns of a range of customers, written in key order (uninitialised until
/// written: their pages are backed as they are written, while the states' are returned).
struct Columns<'a> {
    keys: &'a mut [std::mem::MaybeUninit<i64>],
    frequency: &'a mut [std::mem::MaybeUninit<f64>],
    recency: &'a mut [std::mem::MaybeUninit<f64>],
    t: &'a mut [std::mem::MaybeUninit<f64>],
    monetary: &'a mut [std::mem::MaybeUninit<f64>],
}

impl<'a> Columns<'a> {
    /// The first `k` rows of each column, and the rest.
    fn split_at(self, k: usize) -> (Columns<'a>, Columns<'a>) {
        let (keys, keys2) = self.keys.split_at_mut(k);
        let (frequency, frequency2) = self.frequency.split_at_mut(k);
        let (recency, recency2) = self.recency.split_at_mut(k);
        let (t, t2) = self.t.split_at_mut(k);
        let (monetary, monetary2) = self.monetary.split_at_mut(k.min(self.monetary.len()));
        (
            Columns {
                keys,
                frequency,
                recency,
                t,
                monetary,
            },
            Columns {
                keys: keys2,
                frequency: frequency2,
                recency: recency2,
                t: t2,
                monetary: monetary2,
            },
        )
    }
}

/// Writes the customers with a purchase among `even[j]` (index `first + 2 j`) and `odd[j]`
/// (`first + 2 j + 1`) into `cols`, in index order, and returns how many have one (all
/// written when `cols` has room); the states' pages are returned to the system as they are
/// passed ([`release_pages`]).
fn write_range(
    [even, odd]: [&mut [Acc]; 2],
    first: usize,
    base: i64,
    unit: TimeUnit,
    end_period: i64,
    cols: Columns<'_>,
) -> usize {
    const RELEASE_EVERY: usize = 1 << 16;
    let (mut k, mut bought) = (0, 0);
    let has_amount = !cols.monetary.is_empty();
    let (n_even, n_odd) = (even.len(), odd.len());
    for j in 0..n_even.max(n_odd) {
        for (p, half) in [(0, &*even), (1, &*odd)] {
            let Some(acc) = half.get(j) else { continue };
            if acc.n == 0 {
                continue;
            }
            bought += 1;
            if k == cols.keys.len() {
                continue; // more than counted (none is known): the caller sees it
            }
            let from = i64::from(acc.first);
            cols.keys[k].write(base + (first + 2 * j + p) as i64);
            cols.frequency[k].write(f64::from(acc.n - 1));
            cols.recency[k].write(unit.span(from, i64::from(acc.last)));
            cols.t[k].write(unit.span(from, end_period));
            if has_amount {
                cols.monetary[k].write(acc.mean());
            }
            k += 1;
        }
        if j % RELEASE_EVERY == RELEASE_EVERY - 1 {
            // the passed prefix each time: its pages returned before are skipped cheaply
            release_pages(&mut even[..n_even.min(j + 1)]);
            release_pages(&mut odd[..n_odd.min(j + 1)]);
        }
    }
    bought
}

/// Returns the whole huge pages (2 MiB) inside `done` to the system (`madvise(MADV_DONTNEED)`,
/// Linux): their states are never read again, and would read as zeros (a valid, empty
/// [`Acc`]) if they were.
fn release_pages(done: &mut [Acc]) {
    #[cfg(target_os = "linux")]
    // SAFETY: whole pages inside `done`, which this function borrows mutably: their contents
    // become zeros, a valid value of the plain-data `Acc`
    unsafe {
        advise_huge_pages(
            done.as_mut_ptr() as usize,
            std::mem::size_of_val(done),
            libc::MADV_DONTNEED,
        );
    }
    #[cfg(not(target_os = "linux"))]
    let _ = done;
}

impl Half {
    /// Gives a state to each of this half's customers (those of index `2 * i + parity`) among
    /// the first `customers`.
    fn grow(&mut self, customers: usize, parity: usize) {
        resize_huge(&mut self.state, (customers + 1 - parity) / 2, EMPTY);
    }

    /// Adds the rows of this half's customers (index `2 * i + parity` at `i`); false when one
    /// is out of order.
    fn apply(&mut self, rows: &[Visited]) -> bool {
        let mut in_order = true;
        let state = self.state.as_ptr();
        for (k, &(c, p, day, amount)) in rows.iter().enumerate() {
            if let Some(&(ahead, ..)) = rows.get(k + AHEAD) {
                prefetch(state.wrapping_add((ahead >> 1) as usize));
            }
            in_order &=
                self.state[(c >> 1) as usize].add(p, day, amount, &mut self.many, &mut self.counts);
        }
        in_order
    }

    /// Closes every customer's open period in place (for [`OnePassSummary::finish_direct`]):
    /// the customers without a purchase, of those of index below `mid` (this half's are
    /// `2 * i + parity`), and whether a first purchase is after `end_period`.
    fn close_in_place(&mut self, parity: usize, mid: usize, end_period: i64) -> InPlace {
        let mut out = InPlace::default();
        for (j, acc) in self.state.iter_mut().enumerate() {
            acc.close(&mut self.many, &mut self.counts);
            let bought = acc.n > 0;
            out.bought += usize::from(bought);
            out.bought_below += usize::from(bought && 2 * j + parity < mid);
            out.late |= bought && i64::from(acc.first) > end_period;
        }
        out
    }

    /// Closes every customer's open period and pops the states into [`Closed`], from the last
    /// to the first (pushed in that order, then reversed in place), their memory returned every
    /// [`SHRINK_EVERY`] / 2 customers: the states (48 bytes a customer) and the outputs (20)
    /// are never held in full at the same time. `end_period` is that of the end of
    /// observation (None: no row was kept).
    fn close_into_outs(mut self, has_amount: bool, end_period: Option<i64>) -> Closed {
        let n = self.state.len();
        let mut outs = huge_capacity(n);
        let mut means = huge_capacity(if has_amount { n } else { 0 });
        let (mut unbought, mut late) = (0, false);
        let end_period = end_period.unwrap_or(i64::MAX);
        while let Some(mut acc) = self.state.pop() {
            if self.state.len() % (SHRINK_EVERY / 2) == 0 {
                self.state.shrink_to_fit();
            }
            acc.close(&mut self.many, &mut self.counts);
            unbought += usize::from(acc.n == 0);
            late |= acc.n > 0 && i64::from(acc.first) > end_period;
            outs.push(Out {
                n: acc.n,
                first: acc.first,
                last: acc.last,
            });
            if has_amount {
                means.push(acc.mean());
            }
        }
        outs.reverse();
        means.reverse();
        Closed {
            outs,
            means,
            counts: self.counts,
            unbought,
            late,
        }
    }
}

/// Validates `batch` ([`Ingest::visit`]) into `rows` (cleared first; the rows of the even
/// customer indices, then of the odd) and returns the number of customers interned so far:
/// indices are handed out in first-seen order, and the customers of dropped rows
/// (future="drop", refunds="drop") get a state too, left empty.
fn visit_rows(
    ingest: &mut Ingest,
    unit: TimeUnit,
    max_day: &mut Option<i32>,
    batch: &arrow_array::RecordBatch,
    rows: &mut Rows,
) -> Result<usize> {
    let mut periods = PeriodOf::new(unit);
    let mut latest = max_day.unwrap_or(i32::MIN);
    let mut kept = false;
    rows.iter_mut().for_each(Vec::clear);
    let plain = ingest.visit_plain(batch, |r: Row| {
        latest = latest.max(r.day);
        kept = true;
        rows[(r.customer & 1) as usize].push((r.customer, periods.get(r.day), r.day, r.amount));
    })?;
    if let Some(cols) = plain {
        // most batches, with no policy to apply: a loop over the columns, without a row of
        // the general one at a time (the call on the benchmark log went from 0.34 to 0.26 s)
        let n = cols.days.len();
        kept |= n > 0;
        latest = cols.days.iter().copied().fold(latest, i32::max);
        rows.iter_mut().for_each(|half| half.reserve(n));
        let amounts = cols.amounts.as_deref().map_or(&[][..], |a| a);
        let days_are_periods = matches!(unit, TimeUnit::Days(_));
        for (i, (&c, &day)) in cols.customers.iter().zip(cols.days.iter()).enumerate() {
            let period = if days_are_periods {
                day
            } else {
                periods.get(day)
            };
            let amount = amounts.get(i).copied().unwrap_or(0.0);
            rows[(c & 1) as usize].push((c, period, day, amount));
        }
    }
    if kept {
        *max_day = Some(latest);
    }
    Ok(ingest.customer_count())
}

/// Adds `rows` to the states of `customers` customers (on two threads when `parallel`);
/// false when a row is out of its customer's order.
fn accumulate(halves: &mut [Half; 2], rows: &Rows, customers: usize, parallel: bool) -> bool {
    let [even, odd] = halves;
    // each half's new states are first touched (their pages faulted in) on its own thread
    let grow_and_apply = |h: &mut Half, parity: usize| {
        h.grow(customers, parity);
        h.apply(&rows[parity])
    };
    both_halves(
        parallel,
        || grow_and_apply(even, 0),
        || grow_and_apply(odd, 1),
    )
    .is_some_and(|(e, o)| e & o)
}

/// The value of customer `i` in a pair of per-half columns (even indices, then odd).
fn by_index<T: Copy>(halves: &[Vec<T>; 2], i: u32) -> T {
    halves[(i & 1) as usize][(i >> 1) as usize]
}

/// A kept row: customer index, period, day, amount.
type Visited = (u32, i32, i32, f64);

/// A batch's kept rows: those of the even customer indices, and of the odd (split as they are
/// read, so that each thread reads its own rows only, without a branch on the parity).
type Rows = [Vec<Visited>; 2];

/// The one-pass summary state: push the batches with [`OnePassSummary::push_all`], then
/// [`OnePassSummary::finish`].
///
/// Each batch is validated on one thread ([`Ingest::visit`], which numbers the customers in
/// first-seen order), then its rows are added to the customers' states, kept in two halves
/// (even and odd customer indices). The two steps are pipelined: one thread reads and
/// validates the next batch while the rows of the last one are added, those of a large batch
/// on two threads, one per half (the random accesses to the states are the cost; each thread
/// takes half of them). Measured on the 10M-row benchmark log, this pipeline was 25-35%
/// faster than validating and then adding each batch on both threads in turn.
pub struct OnePassSummary {
    ingest: Ingest,
    unit: TimeUnit,
    halves: [Half; 2],
    max_day: Option<i32>,
    max_customers: usize,
    stopped: Option<Fallback>,
}

/// Ids numbered by their offset from the smallest ([`Ingest::direct_ids`]) when their range
/// has at most this many slots plus half the rows: the empty slots' states then take at most
/// 48 MiB plus 24 bytes a row (a row brings at most one customer).
const DIRECT_SLOTS: usize = 1 << 20;

impl OnePassSummary {
    /// `memory_limit` (bytes) bounds the per-customer state; `rows_hint` (the expected number
    /// of rows, an upper bound on the customers) reserves it. `id_range`, the smallest and
    /// largest integer customer id (from Parquet statistics; `ingest` must read an integer
    /// column), numbers the customers by their offset from the smallest when the range is
    /// dense enough ([`DIRECT_SLOTS`]): no table to look the ids up in, and the states are in
    /// key order, so that the result's columns are gathered by sequential reads (on the
    /// benchmark log, 0.49 -> 0.43 s); an id outside the range stops the pass
    /// ([`Fallback::IdOutOfRange`]).
    pub fn new(
        mut ingest: Ingest,
        unit: TimeUnit,
        memory_limit: Option<u64>,
        rows_hint: Option<u64>,
        id_range: Option<(i64, i64)>,
    ) -> Self {
        let per = std::mem::size_of::<Acc>() as u64;
        let max_customers = memory_limit.map_or(usize::MAX, |b| {
            usize::try_from(b / per).unwrap_or(usize::MAX)
        });
        let rows = rows_hint.and_then(|r| usize::try_from(r).ok());
        let direct = id_range.and_then(|(lo, hi)| {
            let slots = usize::try_from(i128::from(hi) - i128::from(lo) + 1).ok()?;
            let dense = slots <= DIRECT_SLOTS.saturating_add(rows? / 2);
            (dense && slots <= max_customers && slots < u32::MAX as usize).then(|| {
                ingest.direct_ids(lo, slots);
                (lo, slots)
            })
        });
        // reserved, not touched: the pages are only backed as customers arrive
        let reserve = direct
            .map(|(_, slots)| slots + 1)
            .or(rows)
            .unwrap_or(0)
            .min(max_customers)
            / 2;
        let half = || Half {
            state: huge_capacity(reserve),
            many: Many::new(unit),
            ..Half::default()
        };
        OnePassSummary {
            ingest,
            unit,
            halves: [half(), half()],
            max_day: None,
            max_customers,
            stopped: None,
        }
    }

    /// Validates and accumulates every batch of `batches`, or those up to the one that stops
    /// the pass: this thread reads and validates batch k + 1 (reading may decode Parquet)
    /// while a worker adds the rows of batch k to the states (on two threads from
    /// `PARALLEL_ROWS` rows).
    ///
    /// # Errors
    /// The errors of [`Ingest::visit`]; a failure of the stream as an [`Error::InvalidColumn`]
    /// naming `"(input)"`.
    pub fn push_all<I>(&mut self, batches: I) -> Result<()>
    where
        I: IntoIterator<Item = std::result::Result<arrow_array::RecordBatch, ArrowError>>,
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::mpsc;
        if self.stopped.is_some() {
            return Ok(());
        }
        let OnePassSummary {
            ingest,
            unit,
            halves,
            max_day,
            max_customers,
            stopped,
            ..
        } = self;
        // one batch in flight, one being read: three row buffers at most, recycled
        let (to_worker, work) = mpsc::sync_channel::<(Rows, usize)>(1);
        let (give_back, recycled) = mpsc::channel::<Rows>();
        let out_of_order = AtomicBool::new(false);
        std::thread::scope(|s| {
            let worker = s.spawn(|| {
                for (rows, customers) in work {
                    let parallel = rows[0].len() + rows[1].len() >= PARALLEL_ROWS;
                    if !accumulate(halves, &rows, customers, parallel) {
                        out_of_order.store(true, Ordering::Relaxed);
                        break;
                    }
                    // the reader may have finished: then the buffer is not needed
                    let _ = give_back.send(rows);
                }
            });
            let read = (|| {
                for batch in batches {
                    if out_of_order.load(Ordering::Relaxed) {
                        break;
                    }
                    let batch = batch.map_err(super::input_error)?;
                    let mut rows = recycled.try_recv().unwrap_or_default();
                    let customers = visit_rows(ingest, *unit, max_day, &batch, &mut rows)?;
                    if ingest.direct_missed() {
                        *stopped = Some(Fallback::IdOutOfRange);
                        break;
                    }
                    if customers > *max_customers {
                        *stopped = Some(Fallback::OverBudget { customers });
                        break;
                    }
                    if to_worker.send((rows, customers)).is_err() {
                        break; // the worker stopped: out of order
                    }
                }
                Ok(())
            })();
            drop(to_worker);
            // a panic there (none is known) gives up the one pass, never the answer
            if worker.join().is_err() {
                out_of_order.store(true, Ordering::Relaxed);
            }
            read
        })?;
        if stopped.is_none() && out_of_order.load(Ordering::Relaxed) {
            *stopped = Some(Fallback::OutOfOrder);
        }
        Ok(())
    }

    /// The summary, or why the pass stopped.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `observation_end` is before the first purchase of a
    /// customer, as [`super::summary::rfm_summary`].
    pub fn finish(self, observation_end: Option<i32>) -> Result<OnePass> {
        if let Some(why) = self.stopped {
            return Ok(OnePass::Fallback(why));
        }
        let OnePassSummary {
            ingest,
            unit,
            halves,
            max_day,
            ..
        } = self;
        let has_amount = ingest.has_amount();
        // the states indexed by `id - base` ([`Ingest::direct_ids`])
        let direct = ingest.direct_base();
        let n_customers = ingest.customer_count();
        let end = observation_end.or(max_day);
        let end_period = end.map(|e| unit.period(e));
        // every customer interned has a state (those of dropped rows too, left empty); each
        // half is closed and popped into what the output needs on its own thread
        let [mut even, mut odd] = halves;
        even.grow(n_customers, 0);
        odd.grow(n_customers, 1);
        if let (Some(base), Some(end), Some(end_period)) = (direct, end, end_period) {
            let report = ingest.into_report();
            return finish_direct([even, odd], base, unit, has_amount, end, end_period, report);
        }
        let parallel = n_customers >= PARALLEL_ROWS;
        let Some((even, odd)) = both_halves(
            parallel,
            || even.close_into_outs(has_amount, end_period),
            || odd.close_into_outs(has_amount, end_period),
        ) else {
            // a panic on the other thread (none is known): the states are lost with it
            return Ok(OnePass::Fallback(Fallback::OutOfOrder));
        };
        // the states' memory, freed as they were popped, returned to the system
        trim_heap();
        if let (Some(end), true) = (end, even.late || odd.late) {
            return Err(late_error(end));
        }
        // direct ids get here only without a row kept (finish_direct takes the others): no
        // key table to rank
        let (keys, mut order, mut report) = match direct {
            Some(_) => (Keys::Int(Vec::new()), Vec::new(), ingest.into_report()),
            None => ingest.into_ordered_keys(),
        };
        add_counts(&mut report, [&even.counts, &odd.counts]);
        let mut s = Summary {
            keys: Keys::Int(Vec::new()),
            frequency: Vec::new(),
            recency: Vec::new(),
            t: Vec::new(),
            monetary_value: has_amount.then(Vec::new),
            unit,
            observation_end: end,
        };
        let (Some(end), Some(end_period)) = (end, end_period) else {
            s.keys = keys.select(&[]);
            return Ok(OnePass::Done(s, report));
        };
        report.observation_end = super::unit::date_from_days(end);
        // the columns are written in key order, the customers without a purchase left out:
        // `order` (the customer at each key rank), filtered in place, is the gather list
        let (outs, means) = ([even.outs, odd.outs], [even.means, odd.means]);
        let out = |i: u32| by_index(&outs, i);
        if even.unbought + odd.unbought == 0 {
            s.keys = keys;
        } else {
            let kept: Vec<u32> = (0..order.len() as u32)
                .filter(|&r| out(order[r as usize]).n > 0)
                .collect();
            s.keys = keys.select(&kept);
            order.retain(|&i| out(i).n > 0);
        }
        // The columns written in key order in two passes over `order` (each pass's halves on
        // two threads): monetary_value from the means, which are then dropped, then the other
        // three from `outs`, one random read for all three. On the benchmark log: about 80 ms
        // (each column in turn on one thread, 175 ms; all four from one 20-byte record, 52 ms
        // but a peak 27 MiB higher, above that of the read).
        let half = order.len() / 2;
        let parallel = order.len() >= PARALLEL_ROWS;
        let (o1, o2) = order.split_at(half);
        let mut monetary = huge_zeros(if has_amount { order.len() } else { 0 });
        let m_half = half.min(monetary.len());
        let (m1, m2) = monetary.split_at_mut(m_half);
        let gather_means = |order: &[u32], col: &mut [f64]| {
            for (x, &i) in col.iter_mut().zip(order) {
                *x = by_index(&means, i);
            }
        };
        let mut done = both_halves(parallel, || gather_means(o1, m1), || gather_means(o2, m2));
        release(means);
        let mut frequency = huge_zeros(order.len());
        let mut recency = huge_zeros(order.len());
        let mut t = huge_zeros(order.len());
        let fill = |order: &[u32], f: &mut [f64], r: &mut [f64], t: &mut [f64]| {
            for (k, &i) in order.iter().enumerate() {
                let o = out(i);
                let first = i64::from(o.first);
                f[k] = f64::from(o.n - 1);
                r[k] = unit.span(first, i64::from(o.last));
                t[k] = unit.span(first, end_period);
            }
        };
        let (f1, f2) = frequency.split_at_mut(half);
        let (r1, r2) = recency.split_at_mut(half);
        let (t1, t2) = t.split_at_mut(half);
        done = done.and(both_halves(
            parallel,
            || fill(o1, f1, r1, t1),
            || fill(o2, f2, r2, t2),
        ));
        release(outs);
        if done.is_none() {
            // a panic on the other thread (none is known)
            return Ok(OnePass::Fallback(Fallback::OutOfOrder));
        }
        s.frequency = frequency;
        s.recency = recency;
        s.t = t;
        if let Some(m) = s.monetary_value.as_mut() {
            *m = monetary;
        }
        Ok(OnePass::Done(s, report))
    }
}

/// [`OnePassSummary::finish`] when the customers are numbered by their id's offset from
/// `base` ([`Ingest::direct_ids`]): the states are then in key order, and the result's columns
/// are written straight from them. The halves are closed in place (on two threads, one each),
/// then the customers below and above the middle index are written on two threads, each into
/// its part of the columns, the states' pages returned as they are passed: the states and the
/// result are not held in full at the same time (the pop of [`Half::close_into_outs`] is not
/// needed), and nothing is gathered. On the benchmark log the finish went from 0.105 to
/// 0.047 s.
#[allow(clippy::too_many_arguments)]
fn finish_direct(
    halves: [Half; 2],
    base: i64,
    unit: TimeUnit,
    has_amount: bool,
    end: i32,
    end_period: i64,
    mut report: Report,
) -> Result<OnePass> {
    let [mut even, mut odd] = halves;
    let n = even.state.len() + odd.state.len();
    // an even middle: the even and odd halves split at the same place
    let mid = (n / 2) & !1;
    let parallel = n >= PARALLEL_ROWS;
    let Some((e, o)) = both_halves(
        parallel,
        || even.close_in_place(0, mid, end_period),
        || odd.close_in_place(1, mid, end_period),
    ) else {
        return Ok(OnePass::Fallback(Fallback::OutOfOrder));
    };
    if e.late || o.late {
        return Err(late_error(end));
    }
    add_counts(&mut report, [&even.counts, &odd.counts]);
    report.observation_end = super::unit::date_from_days(end);
    let (total, below) = (e.bought + o.bought, e.bought_below + o.bought_below);
    let mut keys: Vec<i64> = huge_capacity(total);
    let mut frequency: Vec<f64> = huge_capacity(total);
    let mut recency: Vec<f64> = huge_capacity(total);
    let mut t: Vec<f64> = huge_capacity(total);
    let mut monetary: Vec<f64> = huge_capacity(if has_amount { total } else { 0 });
    let cols = Columns {
        keys: &mut keys.spare_capacity_mut()[..total],
        frequency: &mut frequency.spare_capacity_mut()[..total],
        recency: &mut recency.spare_capacity_mut()[..total],
        t: &mut t.spare_capacity_mut()[..total],
        monetary: &mut monetary.spare_capacity_mut()[..if has_amount { total } else { 0 }],
    };
    let (low, high) = cols.split_at(below);
    let (e_low, e_high) = even.state.split_at_mut(mid / 2);
    let (o_low, o_high) = odd.state.split_at_mut(mid / 2);
    let written = both_halves(
        parallel,
        || write_range([e_low, o_low], 0, base, unit, end_period, low),
        || write_range([e_high, o_high], mid, base, unit, end_period, high),
    );
    if written != Some((below, total - below)) {
        // a panic on the other thread, or counts that disagree (none is known)
        return Ok(OnePass::Fallback(Fallback::OutOfOrder));
    }
    drop((even, odd));
    trim_heap();
    // SAFETY: `write_range` wrote the first `below` and the last `total - below` of the
    // `total` rows of each column (the counts checked just above)
    unsafe {
        keys.set_len(total);
        frequency.set_len(total);
        recency.set_len(total);
        t.set_len(total);
        monetary.set_len(if has_amount { total } else { 0 });
    }
    let s = Summary {
        keys: Keys::Int(keys),
        frequency,
        recency,
        t,
        monetary_value: has_amount.then_some(monetary),
        unit,
        observation_end: Some(end),
    };
    Ok(OnePass::Done(s, report))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{batch_rows, batches_of, columns, random_rows, stream, LogRow};
    use super::super::{
        rfm_summary_of_stream, rfm_summary_one_pass, Future, Policy, Refunds, TimeUnit,
    };
    use super::{Fallback, OnePass};

    fn both(
        rows: &[LogRow],
        text: bool,
        policy: Policy,
        unit: TimeUnit,
        end: Option<i32>,
        limit: Option<u64>,
    ) -> (OnePass, OnePass) {
        let batches = batches_of(rows, batch_rows(rows.len(), super::PARALLEL_ROWS), text);
        let schema = batches[0].schema();
        let one_pass = |id_range| {
            rfm_summary_one_pass(
                &schema,
                stream(&batches),
                columns(),
                policy,
                unit,
                end,
                limit,
                Some(rows.len() as u64),
                id_range,
            )
            .unwrap_or_else(|e| panic!("{e}"))
        };
        let one = one_pass(None);
        // the ids numbered by their offset from the smallest (the range that Parquet
        // statistics give) make the same result; text ids ignore the range
        let ids = rows.iter().map(|r| r.0);
        if let (Some(lo), Some(hi)) = (ids.clone().min(), ids.max()) {
            assert_eq!(one_pass(Some((lo, hi))), one, "ids numbered from {lo}");
        }
        let sorted = rfm_summary_of_stream(
            &schema,
            stream(&batches),
            columns(),
            policy,
            unit,
            end,
            None,
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        (one, OnePass::Done(sorted.0, sorted.1))
    }

    const UNITS: [TimeUnit; 4] = [
        TimeUnit::Days(1),
        TimeUnit::Weeks,
        TimeUnit::Months,
        TimeUnit::Days(7),
    ];

    #[test]
    fn date_ordered_and_customer_ordered_logs_give_the_sorted_result_to_the_bit() {
        for (seed, text) in [(11u64, false), (12, true), (13, false)] {
            let mut rows = random_rows(seed, 9_000);
            rows.sort_by_key(|r| r.1); // stable: customers interleaved, as an event log
            for unit in UNITS {
                let (one, sorted) = both(&rows, text, Policy::default(), unit, None, None);
                assert_eq!(one, sorted, "seed {seed}, {unit:?}");
            }
            // days before 1970 (negative day numbers) as well
            let early: Vec<LogRow> = rows.iter().map(|r| (r.0, r.1 - 30_000, r.2)).collect();
            let (one, sorted) = both(&early, text, Policy::default(), UNITS[2], None, None);
            assert_eq!(one, sorted, "seed {seed}, before 1970");
            rows.sort_by_key(|r| (r.0, r.1));
            let (one, sorted) = both(&rows, text, Policy::default(), UNITS[0], None, None);
            assert_eq!(one, sorted, "seed {seed}, by customer");
            let OnePass::Done(_, report) = one else {
                panic!("fell back")
            };
            assert!(report.refund_rows_netted > 0 && report.refund_rows_unmatched > 0);
        }
    }

    #[test]
    fn total_order_keys_sort_as_total_cmp_and_invert() {
        let xs = [
            f64::MAX,
            1e300,
            3.5,
            1.0,
            f64::MIN_POSITIVE,
            5e-324,
            0.0,
            -0.0,
            -5e-324,
            -1.0,
            -2.5e10,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for &a in &xs {
            assert_eq!(
                super::from_total_order_key(super::total_order_key(a)).to_bits(),
                a.to_bits()
            );
            for &b in &xs {
                let keys = super::total_order_key(a).cmp(&super::total_order_key(b));
                assert_eq!(keys, a.total_cmp(&b), "{a} {b}");
            }
        }
    }

    #[test]
    fn many_orders_a_day_are_summed_in_the_sorted_order() {
        // a heavy customer with hundreds of orders a day of very different magnitudes (the
        // Kahan sum of them depends on the order), refunds and signed zeros among them
        let mut rows = Vec::new();
        let mut x = 7u64;
        for day in 18_000..18_040 {
            for k in 0..300 {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                // magnitudes from 1e-3 to 1e18, either sign: the Kahan sum of a day's
                // orders then depends on their order (unsorted, this test fails)
                let u = (x >> 11) as f64 / (1u64 << 53) as f64;
                let magnitude = 10f64.powf(u * 21.0 - 3.0);
                let amount = match k % 9 {
                    0 => -0.0,
                    1 => 0.0,
                    2 | 3 => -magnitude,
                    _ => magnitude,
                };
                rows.push((5_i64, day, amount));
                rows.push((6 + (k % 3) as i64, day, amount / 3.0));
            }
        }
        for unit in UNITS {
            let (one, sorted) = both(&rows, false, Policy::default(), unit, None, None);
            assert!(matches!(one, OnePass::Done(..)), "{unit:?}");
            assert_eq!(one, sorted, "{unit:?}");
        }
    }

    #[test]
    fn many_customers_numbered_by_id_are_written_straight_from_the_states() {
        // enough customers (dense ids) for the direct finish to return the states' pages as
        // it writes (every 65,536 customers of a half, 2 MiB at a time), on two threads; a
        // gap of ids without rows and customers whose only rows are refunds left out
        let mut rows: Vec<LogRow> = Vec::new();
        for c in 0..400_000i64 {
            if c % 1_000 == 7 {
                continue;
            }
            let day = 18_000 + (c % 97) as i32;
            let amount = if c % 501 == 3 {
                -2.5
            } else {
                (c % 89) as f64 + 0.25
            };
            rows.push((c + 1_000, day, amount));
            if c % 3 == 0 {
                rows.push((c + 1_000, day + 1 + (c % 5) as i32, 1.75 * (c % 7) as f64));
                rows.push((c + 1_000, day + 1 + (c % 5) as i32, 0.5));
            }
        }
        rows.sort_by_key(|r| r.1);
        for unit in [TimeUnit::Days(1), TimeUnit::Months] {
            let (one, sorted) = both(&rows, false, Policy::default(), unit, None, None);
            assert!(matches!(one, OnePass::Done(..)), "{unit:?}");
            assert_eq!(one, sorted, "{unit:?}");
        }
    }

    #[test]
    fn large_batches_accumulated_on_two_threads_give_the_same_result() {
        for (seed, text, unit) in [(61u64, false, UNITS[0]), (62, true, UNITS[2])] {
            let mut rows = random_rows(seed, 5 * super::PARALLEL_ROWS);
            rows.sort_by_key(|r| r.1);
            let (one, sorted) = both(&rows, text, Policy::default(), unit, None, None);
            assert!(matches!(one, OnePass::Done(..)));
            assert_eq!(one, sorted, "seed {seed}");
            // the latest row moved into the third batch: its customer goes back in time
            let mut late = rows.clone();
            let moved = late.remove(late.len() - 1);
            late.insert(super::PARALLEL_ROWS * 2, moved);
            let (one, _) = both(&late, text, Policy::default(), unit, None, None);
            assert_eq!(one, OnePass::Fallback(Fallback::OutOfOrder), "seed {seed}");
        }
    }

    #[test]
    fn rows_shuffled_within_a_period_still_take_one_pass() {
        // ordered by month only: the days come in random order within a month; the one-pass
        // path sums a month in input order (as pandas does), the sorted path in date order,
        // so monetary values may differ in the last bits only
        let unit = TimeUnit::Months;
        let mut rows = random_rows(21, 12_000);
        rows.sort_by_key(|r| unit.period(r.1));
        let (OnePass::Done(one, r1), OnePass::Done(sorted, r2)) =
            both(&rows, false, Policy::default(), unit, None, None)
        else {
            panic!("fell back")
        };
        assert_eq!(r1, r2);
        assert_eq!(
            (&one.keys, &one.frequency, &one.recency, &one.t),
            (&sorted.keys, &sorted.frequency, &sorted.recency, &sorted.t)
        );
        let (m1, m2) = (
            one.monetary_value.unwrap_or_default(),
            sorted.monetary_value.unwrap_or_default(),
        );
        assert_eq!(m1.len(), m2.len());
        for (a, b) in m1.iter().zip(&m2) {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} {b}");
        }
    }

    #[test]
    fn policies_and_observation_end_are_those_of_the_sorted_path() {
        let mut rows = random_rows(31, 8_000);
        rows.sort_by_key(|r| r.1);
        let end = Some(18_250);
        for refunds in [Refunds::Net, Refunds::Drop] {
            let policy = Policy {
                observation_end: end,
                future: Future::Drop,
                refunds,
            };
            for unit in UNITS {
                let (one, sorted) = both(&rows, false, policy, unit, end, None);
                assert_eq!(one, sorted, "{refunds:?} {unit:?}");
                let OnePass::Done(_, report) = one else {
                    panic!("fell back")
                };
                assert!(report.future_rows_dropped > 0);
            }
        }
    }

    #[test]
    fn an_id_outside_the_given_range_falls_back() {
        let mut rows = random_rows(17, 3_000);
        rows.sort_by_key(|r| r.1);
        let batches = batches_of(&rows, 500, false);
        let (lo, hi) = rows.iter().fold((i64::MAX, i64::MIN), |(lo, hi), r| {
            (lo.min(r.0), hi.max(r.0))
        });
        let run = |range| {
            rfm_summary_one_pass(
                &batches[0].schema(),
                stream(&batches),
                columns(),
                Policy::default(),
                TimeUnit::Days(1),
                None,
                None,
                Some(rows.len() as u64),
                Some(range),
            )
            .unwrap_or_else(|e| panic!("{e}"))
        };
        for range in [(lo + 1, hi), (lo, hi - 1)] {
            assert_eq!(
                run(range),
                OnePass::Fallback(Fallback::IdOutOfRange),
                "{range:?}"
            );
        }
        assert!(matches!(run((lo - 5, hi + 5)), OnePass::Done(..)));
    }

    #[test]
    fn a_row_out_of_date_order_falls_back() {
        let mut rows = random_rows(41, 5_000);
        rows.sort_by_key(|r| r.1);
        // the last row of some customer moved to the front
        let last = rows.pop().unwrap_or_else(|| panic!("empty"));
        let mut shuffled = vec![last];
        shuffled.extend(rows.iter().copied());
        let (one, _) = both(&shuffled, false, Policy::default(), UNITS[0], None, None);
        assert_eq!(one, OnePass::Fallback(Fallback::OutOfOrder));
        // random order: falls back as well
        let (one, _) = both(
            &random_rows(42, 5_000),
            true,
            Policy::default(),
            UNITS[1],
            None,
            None,
        );
        assert_eq!(one, OnePass::Fallback(Fallback::OutOfOrder));
    }

    #[test]
    fn more_customers_than_the_budget_falls_back() {
        let mut rows = random_rows(51, 5_000);
        rows.sort_by_key(|r| r.1);
        let per = std::mem::size_of::<super::Acc>() as u64;
        let (one, _) = both(
            &rows,
            false,
            Policy::default(),
            UNITS[0],
            None,
            Some(per * 100),
        );
        assert!(matches!(
            one,
            OnePass::Fallback(Fallback::OverBudget { customers }) if customers > 100
        ));
        let (one, sorted) = both(
            &rows,
            false,
            Policy::default(),
            UNITS[0],
            None,
            Some(1 << 30),
        );
        assert_eq!(one, sorted);
    }
}
