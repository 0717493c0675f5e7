//! Bounded memory for logs larger than a memory budget: the kept rows are partitioned by a hash
//! of the customer into temporary files while the log is read (16 bytes a row: customer, day,
//! amount), then each partition is read back, sorted and summarised on its own. Every customer
//! lives in exactly one partition and its rows are summarised in the same (day, amount) order as
//! on the in-memory path, so the result is the same to the bit.

use super::ingest::{sort_within_customers, Keys, Log, Row, EMPTY_SLOT, NO_LINK};
use super::summary::{rfm_summary, Summary};
use super::{Report, TimeUnit};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

/// Bytes of one spilled row.
const RECORD: usize = 16;

/// At most this many partition files are open at once.
const MAX_PARTITIONS: usize = 256;

fn io_error(what: &str, e: &std::io::Error) -> Error {
    Error::InvalidColumn {
        column: "(spill)".to_owned(),
        problem: format!(
            "{what} failed: {e}; set TMPDIR to a directory with free space, or pass a larger \
             memory_limit"
        ),
    }
}

/// The number of partitions: enough that one partition of the expected input holds about a
/// quarter of the rows the budget allows (`spill_at`), so that a skewed hash still fits. Without a
/// hint the input is assumed to be 16 times the budget.
pub(super) fn partition_count(spill_at: usize, rows_hint: Option<u64>, rows_read: u64) -> usize {
    let budget = spill_at.max(1) as u64;
    let expected = rows_hint.unwrap_or(0).max(rows_read).max(16 * budget);
    let p = expected.div_ceil(budget).saturating_mul(4);
    usize::try_from(p)
        .unwrap_or(MAX_PARTITIONS)
        .clamp(2, MAX_PARTITIONS)
}

/// The partition of a customer (its first-seen index): a multiplicative hash, so that the
/// customers of one batch spread over all partitions.
fn partition_of(customer: u32, partitions: usize) -> usize {
    let h = u64::from(customer).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    (h % partitions as u64) as usize
}

/// The partition files of one call; the directory is removed when this is dropped.
pub(super) struct Spill {
    dir: PathBuf,
    files: Vec<BufWriter<File>>,
    rows: Vec<u64>,
    max_day: Option<i32>,
}

impl Drop for Spill {
    fn drop(&mut self) {
        self.files.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Spill {
    /// A fresh directory under the temporary directory with `partitions` empty files.
    pub(super) fn create(partitions: usize) -> Result<Spill> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "ltvkit-spill-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir).map_err(|e| io_error("creating the spill directory", &e))?;
        let mut spill = Spill {
            dir,
            files: Vec::with_capacity(partitions),
            rows: vec![0; partitions],
            max_day: None,
        };
        for p in 0..partitions {
            let f = File::create(spill.dir.join(format!("part-{p:04}.bin")))
                .map_err(|e| io_error("creating a spill file", &e))?;
            spill.files.push(BufWriter::with_capacity(1 << 18, f));
        }
        Ok(spill)
    }

    /// Appends rows to their partitions.
    pub(super) fn write(&mut self, rows: &[Row]) -> Result<()> {
        let partitions = self.files.len();
        let mut max_day = self.max_day;
        for r in rows {
            let p = partition_of(r.customer, partitions);
            let mut rec = [0u8; RECORD];
            rec[..4].copy_from_slice(&r.customer.to_le_bytes());
            rec[4..8].copy_from_slice(&r.day.to_le_bytes());
            rec[8..].copy_from_slice(&r.amount.to_le_bytes());
            self.files[p]
                .write_all(&rec)
                .map_err(|e| io_error("writing a spill file", &e))?;
            self.rows[p] += 1;
            max_day = Some(max_day.map_or(r.day, |m: i32| m.max(r.day)));
        }
        self.max_day = max_day;
        Ok(())
    }

    /// Calls `each(customer, day, amount)` for every row of partition `p`, in file order.
    fn scan(&self, p: usize, mut each: impl FnMut(u32, i32, f64)) -> Result<()> {
        let f = File::open(self.dir.join(format!("part-{p:04}.bin")))
            .map_err(|e| io_error("reading a spill file", &e))?;
        let mut reader = BufReader::with_capacity(1 << 18, f);
        let mut buf = vec![0u8; RECORD * 4096];
        let mut left = usize::try_from(self.rows[p]).unwrap_or(usize::MAX);
        while left > 0 {
            let take = left.min(4096);
            let chunk = &mut buf[..take * RECORD];
            reader
                .read_exact(chunk)
                .map_err(|e| io_error("reading a spill file", &e))?;
            for rec in chunk.chunks_exact(RECORD) {
                let word = |r: std::ops::Range<usize>| -> [u8; 4] {
                    let mut b = [0u8; 4];
                    b.copy_from_slice(&rec[r]);
                    b
                };
                let mut a = [0u8; 8];
                a.copy_from_slice(&rec[8..]);
                each(
                    u32::from_le_bytes(word(0..4)),
                    i32::from_le_bytes(word(4..8)),
                    f64::from_le_bytes(a),
                );
            }
            left -= take;
        }
        Ok(())
    }

    /// The rows of partition `p`, customers renumbered `0..` locally (in first-seen order) and
    /// sorted by customer, day and amount; returns them and, per local customer, its rank (its
    /// index in the sorted keys). A counting sort straight from the file (one pass counts,
    /// a second places each row), so the partition's rows are held once.
    fn read(&self, p: usize, rank: &[u32], local: &mut [u32]) -> Result<(Vec<Row>, Vec<u32>)> {
        let mut global: Vec<u32> = Vec::new();
        let mut count: Vec<usize> = Vec::new();
        self.scan(p, |c, _, _| {
            let g = rank[c as usize];
            let slot = &mut local[g as usize];
            if *slot == EMPTY_SLOT {
                *slot = global.len() as u32;
                global.push(g);
                count.push(0);
            }
            count[*slot as usize] += 1;
        })?;
        // count -> the next free position of each local customer
        let mut at = 0usize;
        for c in &mut count {
            let n = *c;
            *c = at;
            at += n;
        }
        let blank = Row {
            customer: 0,
            day: 0,
            amount: 0.0,
            tag: 0,
            link: NO_LINK,
        };
        let mut rows = vec![blank; at];
        self.scan(p, |c, day, amount| {
            let l = local[rank[c as usize] as usize];
            let next = &mut count[l as usize];
            rows[*next] = Row {
                customer: l,
                day,
                amount,
                tag: 0,
                link: NO_LINK,
            };
            *next += 1;
        })?;
        sort_within_customers(&mut rows);
        Ok((rows, global))
    }

    /// The RFM summary over all partitions, in key order.
    pub(super) fn rfm_summary(
        mut self,
        keys: Keys,
        rank: Vec<u32>,
        has_amount: bool,
        mut report: Report,
        unit: TimeUnit,
        observation_end: Option<i32>,
    ) -> Result<(Summary, Report)> {
        for f in &mut self.files {
            f.flush()
                .map_err(|e| io_error("writing a spill file", &e))?;
        }
        let end = observation_end.or(self.max_day);
        let n = keys.len();
        let mut frequency = vec![0.0f64; n];
        let mut recency = vec![0.0f64; n];
        let mut t = vec![0.0f64; n];
        let mut monetary = has_amount.then(|| vec![0.0f64; n]);
        let mut present = vec![false; n];
        let mut local = vec![EMPTY_SLOT; n];
        for p in 0..self.files.len() {
            let (rows, global) = self.read(p, &rank, &mut local)?;
            for &g in &global {
                local[g as usize] = EMPTY_SLOT;
            }
            let log = Log {
                keys: Keys::Int(global.iter().map(|&g| i64::from(g)).collect()),
                rows,
                tags: Vec::new(),
                tag_rows: Vec::new(),
                links: Vec::new(),
                has_amount,
                report: Report::default(),
                customer_column: String::new(),
            };
            drop(global);
            let (s, r) = rfm_summary(&log, unit, end)?;
            drop(log);
            report.rows_used += r.rows_used;
            report.refund_rows_netted += r.refund_rows_netted;
            report.refund_rows_unmatched += r.refund_rows_unmatched;
            let Keys::Int(kept) = &s.keys else {
                continue;
            };
            for (i, &g) in kept.iter().enumerate() {
                let g = g as usize;
                present[g] = true;
                frequency[g] = s.frequency[i];
                recency[g] = s.recency[i];
                t[g] = s.t[i];
                if let (Some(m), Some(sm)) = (monetary.as_mut(), s.monetary_value.as_ref()) {
                    m[g] = sm[i];
                }
            }
        }
        drop(local);
        drop(rank);
        report.observation_end = end.and_then(super::unit::date_from_days);
        // compact in place: the customers without a purchase (refunds only) leave no row
        let mut kept = Vec::new();
        if present.iter().any(|&p| !p) {
            kept = (0..n as u32).filter(|&g| present[g as usize]).collect();
            let compact = |v: &mut Vec<f64>| {
                for (i, &g) in kept.iter().enumerate() {
                    v[i] = v[g as usize];
                }
                v.truncate(kept.len());
                v.shrink_to_fit();
            };
            compact(&mut frequency);
            compact(&mut recency);
            compact(&mut t);
            if let Some(m) = monetary.as_mut() {
                compact(m);
            }
        }
        drop(present);
        let keys = if kept.is_empty() && frequency.len() == n {
            keys
        } else {
            keys.select(&kept)
        };
        let summary = Summary {
            keys,
            frequency,
            recency,
            t,
            monetary_value: monetary,
            unit,
            observation_end: end,
        };
        Ok((summary, report))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{columns, random_batches};
    use super::super::{rfm_summary_of_stream, Policy, Refunds, TimeUnit};
    use crate::error::Error;
    use arrow_array::{ArrayRef, Float64Array, RecordBatch};
    use arrow_schema::ArrowError;
    use std::sync::Arc;

    fn run(
        batches: &[RecordBatch],
        policy: Policy,
        unit: TimeUnit,
        limit: Option<u64>,
        hint: Option<u64>,
    ) -> crate::error::Result<(super::Summary, super::Report)> {
        let schema = batches[0].schema();
        let stream = batches
            .iter()
            .cloned()
            .map(Ok::<_, ArrowError>)
            .collect::<Vec<_>>();
        rfm_summary_of_stream(&schema, stream, columns(), policy, unit, None, limit, hint)
    }

    #[test]
    fn many_partitions_give_the_in_memory_result_to_the_bit() {
        for (seed, text, unit) in [
            (1u64, false, TimeUnit::Days(1)),
            (2, true, TimeUnit::Weeks),
            (3, false, TimeUnit::Months),
            (4, false, TimeUnit::Days(7)),
        ] {
            let batches = random_batches(seed, 12, 2_500, text);
            let memory = run(&batches, Policy::default(), unit, None, None)
                .unwrap_or_else(|e| panic!("{e}"));
            // 16 rows held at most: spills after every batch, into many partitions
            for hint in [None, Some(30_000)] {
                let spilled = run(&batches, Policy::default(), unit, Some(1), hint)
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(spilled.0, memory.0, "seed {seed}");
                assert_eq!(spilled.1, memory.1, "seed {seed}");
            }
            assert!(memory.1.refund_rows_netted > 0 && memory.1.refund_rows_unmatched > 0);
        }
    }

    #[test]
    fn partition_counts_follow_the_hint() {
        assert_eq!(super::partition_count(1_000, Some(50_000), 0), 200);
        assert_eq!(super::partition_count(1_000_000, Some(10), 0), 64);
        assert_eq!(super::partition_count(10, Some(1 << 40), 0), 256);
        // every partition gets customers, and one customer always goes to the same partition
        let mut seen = [0u32; 16];
        for c in 0..10_000u32 {
            seen[super::partition_of(c, 16)] += 1;
            assert_eq!(super::partition_of(c, 16), super::partition_of(c, 16));
        }
        assert!(seen.iter().all(|&n| n > 400), "{seen:?}");
    }

    #[test]
    fn bad_rows_after_a_spill_are_numbered_over_the_whole_input() {
        let mut batches = random_batches(5, 4, 2_000, false);
        // row 7,003 overall: batch 3, row 1003 gets a negative amount under refunds="error"
        let policy = Policy {
            refunds: Refunds::Error,
            ..Policy::default()
        };
        let b = &batches[3];
        let mut amounts: Vec<f64> = (0..b.num_rows()).map(|_| 1.0).collect();
        amounts[1_003] = -4.5;
        batches = batches
            .into_iter()
            .enumerate()
            .map(|(i, b)| {
                let a: Vec<f64> = if i == 3 {
                    amounts.clone()
                } else {
                    vec![1.0; b.num_rows()]
                };
                b.project(&[0, 1])
                    .and_then(|p| {
                        RecordBatch::try_from_iter(vec![
                            ("customer_id", p.column(0).clone()),
                            ("date", p.column(1).clone()),
                            ("amount", Arc::new(Float64Array::from(a)) as ArrayRef),
                        ])
                    })
                    .unwrap_or_else(|e| panic!("{e}"))
            })
            .collect();
        match run(&batches, policy, TimeUnit::Days(1), Some(1), None) {
            Err(Error::InvalidRow {
                column, row, value, ..
            }) => assert_eq!(
                (column.as_str(), row, value.as_str()),
                ("amount", 7_003, "-4.5")
            ),
            other => panic!("{other:?}"),
        }
    }
}
