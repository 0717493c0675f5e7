//! A small, seedable pseudo-random generator for the model simulators (no `rand` dependency):
//! xoshiro256** seeded through SplitMix64, with the few distributions the simulators need.
//! Reproducible across platforms for a given seed.
//!
//! # References
//! Blackman, D. & Vigna, S. (2021), "Scrambled linear pseudorandom number generators",
//! *ACM TOMS* 47(4) (xoshiro256**, SplitMix64). Marsaglia, G. & Tsang, W. W. (2000), "A simple
//! method for generating gamma variables", *ACM TOMS* 26(3).

/// xoshiro256** generator.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator seeded from `seed` (any value, including 0).
    pub fn new(seed: u64) -> Self {
        let mut st = seed;
        Rng {
            s: [
                splitmix64(&mut st),
                splitmix64(&mut st),
                splitmix64(&mut st),
                splitmix64(&mut st),
            ],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform on the open interval (0, 1) (53 random bits, never 0).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Exponential with the given rate (mean 1 / rate).
    pub fn exponential(&mut self, rate: f64) -> f64 {
        -self.uniform().ln() / rate
    }

    /// Gamma with shape `k` > 0 and rate `rate` > 0 (mean k / rate), Marsaglia-Tsang; shapes
    /// below 1 use the boost `Gamma(k) = Gamma(k + 1) U^(1/k)`.
    pub fn gamma(&mut self, k: f64, rate: f64) -> f64 {
        if k < 1.0 {
            let u = self.uniform();
            return self.gamma(k + 1.0, rate) * u.powf(1.0 / k);
        }
        let d = k - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let z = self.normal();
            let v = 1.0 + c * z;
            if v <= 0.0 {
                continue;
            }
            let v3 = v * v * v;
            let u = self.uniform();
            if u.ln() < 0.5 * z * z + d - d * v3 + d * v3.ln() {
                return d * v3 / rate;
            }
        }
    }

    /// Beta(a, b) as G_a / (G_a + G_b).
    pub fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a, 1.0);
        let y = self.gamma(b, 1.0);
        x / (x + y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_moments_match_distribution_moments() {
        // Gamma(k, rate): mean k/rate, variance k/rate^2; Beta(a, b): mean a/(a+b).
        let mut rng = Rng::new(7);
        let n = 200_000;
        for &(k, rate) in &[(0.3, 2.0), (2.5, 0.5)] {
            let xs: Vec<f64> = (0..n).map(|_| rng.gamma(k, rate)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            let (m, v) = (k / rate, k / (rate * rate));
            // 5 standard errors of the sample mean / a loose 5% band on the variance.
            assert!((mean - m).abs() < 5.0 * (v / n as f64).sqrt(), "{k} {mean}");
            assert!((var - v).abs() < 0.05 * v, "{k} {var}");
        }
        let bs: Vec<f64> = (0..n).map(|_| rng.beta(0.8, 2.4)).collect();
        let mean = bs.iter().sum::<f64>() / n as f64;
        assert!((mean - 0.25).abs() < 0.003, "{mean}");
    }
}
