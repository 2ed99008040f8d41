//! The two measurements of ORM against baseline: client CPU per execution
//! (process CPU time) and wall-time ratios per round, summarised by their
//! geometric mean with a bootstrap upper bound.

use std::future::Future;
use std::time::Duration;

use rustix::time::{ClockId, clock_gettime};

use crate::workload::BenchResult;

/// CPU time this process has used so far (all threads).
pub fn process_cpu() -> Duration {
    let t = clock_gettime(ClockId::ProcessCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// CPU per execution of `run`: the CPU time of `r + 1` executions minus
/// that of one, divided by `r` (the fixed cost of a batch cancels out).
pub async fn cpu_per_execution<F, Fut>(r: usize, mut run: F) -> BenchResult<Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = BenchResult<usize>>,
{
    let r = r.max(1);
    let start = process_cpu();
    run().await?;
    let one = process_cpu().saturating_sub(start);
    let start = process_cpu();
    for _ in 0..=r {
        run().await?;
    }
    let many = process_cpu().saturating_sub(start);
    Ok(many.saturating_sub(one) / u32::try_from(r).unwrap_or(u32::MAX))
}

/// Geometric mean of positive ratios (0 for none).
pub fn geometric_mean(ratios: &[f64]) -> f64 {
    if ratios.is_empty() {
        return 0.0;
    }
    let logs: f64 = ratios.iter().map(|r| r.max(f64::MIN_POSITIVE).ln()).sum();
    (logs / ratios.len() as f64).exp()
}

/// SplitMix64: a small seeded generator, so the bootstrap is repeatable.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Seed of the bootstrap.
pub const BOOTSTRAP_SEED: u64 = 0x0d15_ea5e_dead_beef;
/// Resamples of the bootstrap.
pub const BOOTSTRAP_RESAMPLES: usize = 10_000;

/// One-sided upper bound at `level` (0.95) of the geometric mean of
/// `ratios`: the `level` quantile of the geometric means of `resamples`
/// resamples with replacement (percentile bootstrap, seeded).
pub fn bootstrap_upper(ratios: &[f64], resamples: usize, level: f64, seed: u64) -> f64 {
    if ratios.is_empty() {
        return 0.0;
    }
    let logs: Vec<f64> = ratios
        .iter()
        .map(|r| r.max(f64::MIN_POSITIVE).ln())
        .collect();
    let mut rng = SplitMix64::new(seed);
    let n = logs.len();
    let mut means: Vec<f64> = (0..resamples.max(1))
        .map(|_| (0..n).map(|_| logs[rng.below(n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let at = ((means.len() as f64 * level).ceil() as usize).clamp(1, means.len()) - 1;
    means[at].exp()
}

/// Wall-time ratios ORM / baseline, one per round.
#[derive(Debug, Clone, Default)]
pub struct WallRatios {
    pub ratios: Vec<f64>,
    pub orm: Vec<Duration>,
    pub baseline: Vec<Duration>,
}

impl WallRatios {
    pub fn push(&mut self, orm: Duration, baseline: Duration) {
        self.ratios
            .push(orm.as_secs_f64() / baseline.as_secs_f64().max(1e-9));
        self.orm.push(orm);
        self.baseline.push(baseline);
    }

    pub fn geometric_mean(&self) -> f64 {
        geometric_mean(&self.ratios)
    }

    /// The 95 % one-sided bootstrap upper bound of the geometric mean.
    pub fn upper_95(&self) -> f64 {
        bootstrap_upper(&self.ratios, BOOTSTRAP_RESAMPLES, 0.95, BOOTSTRAP_SEED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_mean_of_reciprocals_is_one() {
        assert!((geometric_mean(&[2.0, 0.5]) - 1.0).abs() < 1e-12);
        assert!((geometric_mean(&[1.1; 5]) - 1.1).abs() < 1e-12);
    }

    #[test]
    fn the_bootstrap_bound_lies_above_the_mean_and_is_repeatable() {
        let ratios: Vec<f64> = (0..30).map(|i| 1.0 + (i % 7) as f64 / 20.0).collect();
        let mean = geometric_mean(&ratios);
        let upper = bootstrap_upper(&ratios, 2_000, 0.95, 7);
        assert!(upper > mean, "{upper} <= {mean}");
        assert!(upper < 1.3, "{upper}");
        assert_eq!(upper, bootstrap_upper(&ratios, 2_000, 0.95, 7));
        // Constant ratios: no spread.
        assert!((bootstrap_upper(&[1.05; 20], 500, 0.95, 1) - 1.05).abs() < 1e-12);
    }

    #[test]
    fn the_generator_stays_below_its_bound() {
        let mut rng = SplitMix64::new(3);
        assert!((0..1000).all(|_| rng.below(7) < 7));
    }

    #[tokio::test]
    async fn cpu_per_execution_sees_busy_work() {
        let busy = || async {
            let mut x = 0u64;
            for i in 0..200_000u64 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
            }
            Ok(x as usize)
        };
        let per = cpu_per_execution(5, busy).await.unwrap();
        assert!(per > Duration::ZERO);
    }
}
