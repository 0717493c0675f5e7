//! Unconstrained minimisation for maximum-likelihood fits: L-BFGS from `argmin` with restarts,
//! the observed information matrix by finite differences of an analytic gradient, and the
//! inverse of a symmetric positive-definite matrix.
//!
//! Models parametrise their positive parameters by logarithms, so that the problem is
//! unconstrained; `minimize` never returns a non-finite value: a start that meets one is
//! abandoned and the next (deterministically perturbed) start is tried.

// Dense small-matrix code reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

use std::sync::Mutex;

use argmin::core::{
    ArgminError, CostFunction, Executor, Gradient, State, TerminationReason, TerminationStatus,
};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;

use crate::error::{Error, Result};

/// Options of [`minimize`].
#[derive(Debug, Clone, PartialEq)]
pub struct MinimizeOptions {
    /// Maximum number of L-BFGS iterations per start.
    pub max_iterations: u64,
    /// Convergence tolerance: on the gradient norm of the scaled objective (see [`minimize`])
    /// and on the change of its value between iterations.
    pub tolerance: f64,
    /// Number of extra starts tried after the first one fails.
    pub restarts: usize,
}

impl Default for MinimizeOptions {
    fn default() -> Self {
        MinimizeOptions {
            max_iterations: 500,
            tolerance: 1e-9,
            restarts: 4,
        }
    }
}

/// The result of a successful [`minimize`].
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// The minimiser.
    pub x: Vec<f64>,
    /// The objective at `x` (finite).
    pub value: f64,
    /// Iterations used, summed over all the starts tried.
    pub iterations: u64,
    /// Whether the last start stopped on a convergence criterion with a near-zero gradient.
    pub converged: bool,
}

/// A start is accepted only if the gradient of the scaled objective (initial gradient norm
/// at most 1) has fallen at least this far: argmin's cost-change criterion alone can stop on a
/// stalled line search far from a stationary point.
const STATIONARY_GRAD_TOL: f64 = 1e-4;

/// Memory of L-BFGS (number of correction pairs); 10 is the usual choice (Nocedal & Wright).
const LBFGS_MEMORY: usize = 10;

/// Size of the deterministic perturbation of the starting point for restart k (times k).
const RESTART_STEP: f64 = 0.5;

/// A point, the (scaled) value and the gradient there.
type Evaluation = (Vec<f64>, f64, Vec<f64>);

/// The objective as argmin sees it: value and gradient evaluated together and cached, since
/// argmin asks for them separately at the same point.
struct Objective<'a, F> {
    f: &'a F,
    scale: f64,
    cache: Mutex<Option<Evaluation>>,
}

impl<F> Objective<'_, F>
where
    F: Fn(&[f64]) -> (f64, Vec<f64>) + Sync,
{
    fn eval(&self, x: &[f64]) -> std::result::Result<(f64, Vec<f64>), argmin::core::Error> {
        if let Ok(guard) = self.cache.lock() {
            if let Some((cx, v, g)) = guard.as_ref() {
                if cx.as_slice() == x {
                    return Ok((*v, g.clone()));
                }
            }
        }
        let (v, g) = (self.f)(x);
        if !v.is_finite() || g.iter().any(|gi| !gi.is_finite()) || g.len() != x.len() {
            return Err(ArgminError::InvalidParameter {
                text: format!("objective or gradient not finite at {x:?}"),
            }
            .into());
        }
        let v = v * self.scale;
        let g: Vec<f64> = g.iter().map(|gi| gi * self.scale).collect();
        if let Ok(mut guard) = self.cache.lock() {
            *guard = Some((x.to_vec(), v, g.clone()));
        }
        Ok((v, g))
    }
}

impl<F> CostFunction for Objective<'_, F>
where
    F: Fn(&[f64]) -> (f64, Vec<f64>) + Sync,
{
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, p: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        self.eval(p).map(|(v, _)| v)
    }
}

impl<F> Gradient for Objective<'_, F>
where
    F: Fn(&[f64]) -> (f64, Vec<f64>) + Sync,
{
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, p: &Vec<f64>) -> std::result::Result<Vec<f64>, argmin::core::Error> {
        self.eval(p).map(|(_, g)| g)
    }
}

/// A function of (value, gradient) that remembers its last evaluation: a fit asks for the
/// same point several times in a row (the start, which the optimizer then evaluates again;
/// the best point, evaluated last, once more for the result and for the log-likelihood), and
/// each evaluation is a pass over every row.
pub struct LastEvaluation<F> {
    f: F,
    last: Mutex<Option<Evaluation>>,
}

impl<F> LastEvaluation<F>
where
    F: Fn(&[f64]) -> (f64, Vec<f64>),
{
    pub fn new(f: F) -> Self {
        LastEvaluation {
            f,
            last: Mutex::new(None),
        }
    }

    /// `f(x)`, from memory when `x` is the point of the last call.
    pub fn call(&self, x: &[f64]) -> (f64, Vec<f64>) {
        if let Ok(guard) = self.last.lock() {
            if let Some((cx, v, g)) = guard.as_ref() {
                if cx.as_slice() == x {
                    return (*v, g.clone());
                }
            }
        }
        let (v, g) = (self.f)(x);
        if let Ok(mut guard) = self.last.lock() {
            *guard = Some((x.to_vec(), v, g.clone()));
        }
        (v, g)
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn fmt_params(x: &[f64]) -> String {
    let parts: Vec<String> = x.iter().map(|v| format!("{v:.6}")).collect();
    format!("[{}]", parts.join(", "))
}

/// Outcome of one start.
enum Attempt {
    Ok(Minimum),
    Failed {
        reason: String,
        last: Vec<f64>,
        iterations: u64,
    },
}

fn one_start<F>(f: &F, x0: &[f64], opts: &MinimizeOptions) -> Attempt
where
    F: Fn(&[f64]) -> (f64, Vec<f64>) + Sync,
{
    let (v0, g0) = f(x0);
    if !v0.is_finite() || g0.iter().any(|g| !g.is_finite()) {
        return Attempt::Failed {
            reason: "the objective is not finite at the starting point".to_owned(),
            last: x0.to_vec(),
            iterations: 0,
        };
    }
    // L-BFGS takes a first step of length |g| along -g; scaling the objective so that the
    // initial gradient has norm <= 1 keeps that first step inside a sane region (in log
    // parameters a step of 1000 overflows). A positive constant factor leaves the minimiser
    // unchanged.
    let scale = 1.0 / norm(&g0).max(1.0);
    let problem = Objective {
        f,
        scale,
        cache: Mutex::new(None),
    };
    let tol_cost = opts.tolerance * (v0 * scale).abs().max(1.0);
    let solver = match LBFGS::new(MoreThuenteLineSearch::new(), LBFGS_MEMORY)
        .with_tolerance_grad(opts.tolerance)
        .and_then(|s| s.with_tolerance_cost(tol_cost))
    {
        Ok(s) => s,
        Err(e) => {
            return Attempt::Failed {
                reason: format!("invalid optimizer settings: {e}"),
                last: x0.to_vec(),
                iterations: 0,
            }
        }
    };
    let run = Executor::new(problem, solver)
        .configure(|state| state.param(x0.to_vec()).max_iters(opts.max_iterations))
        .run();
    match run {
        Err(e) => Attempt::Failed {
            reason: format!("L-BFGS stopped: {e}"),
            last: x0.to_vec(),
            iterations: 0,
        },
        Ok(res) => {
            let state = res.state();
            let iterations = state.get_iter();
            let best = state
                .get_best_param()
                .or_else(|| state.get_param())
                .cloned()
                .unwrap_or_else(|| x0.to_vec());
            let (value, grad) = f(&best);
            let finite = value.is_finite() && grad.iter().all(|g| g.is_finite());
            let grad_norm = norm(&grad) * scale;
            let stopped_converged = matches!(
                state.get_termination_status(),
                TerminationStatus::Terminated(TerminationReason::SolverConverged)
            );
            if finite && stopped_converged && grad_norm <= STATIONARY_GRAD_TOL {
                Attempt::Ok(Minimum {
                    x: best,
                    value,
                    iterations,
                    converged: true,
                })
            } else {
                let reason = if !finite {
                    "the objective is not finite at the last parameters".to_owned()
                } else if !stopped_converged {
                    format!(
                        "{} (scaled gradient norm {grad_norm:.3e})",
                        state.get_termination_status()
                    )
                } else {
                    format!("stopped at a point whose scaled gradient norm is {grad_norm:.3e}")
                };
                Attempt::Failed {
                    reason,
                    last: best,
                    iterations,
                }
            }
        }
    }
}

/// Deterministic perturbation of `x0` for restart `k` (k >= 1): alternating signs, growing
/// with k, so that successive restarts explore both sides of the first start.
fn perturbed(x0: &[f64], k: usize) -> Vec<f64> {
    x0.iter()
        .enumerate()
        .map(|(i, xi)| {
            let sign = if (i + k) % 2 == 0 { 1.0 } else { -1.0 };
            xi + sign * RESTART_STEP * k.div_ceil(2) as f64
        })
        .collect()
}

/// Unconstrained minimisation of `f(x)` with analytic gradient, by L-BFGS (argmin, More-Thuente
/// line search).
///
/// `f` returns the value and the gradient. Callers parametrise positive parameters by their
/// logarithm. The objective is internally multiplied by `1 / max(1, |grad f(x0)|)` so that the
/// first L-BFGS step stays short; tolerances apply to that scaled objective.
///
/// If a start fails (non-finite value or gradient, line search failure, maximum iterations, or a
/// stop far from a stationary point), the minimisation restarts from deterministic
/// perturbations of `x0` (`opts.restarts` times).
///
/// # Errors
/// [`Error::NotConverged`] with the reason and the last parameters when every start fails;
/// [`Error::InvalidParameter`] if `x0` is empty or not finite. Never returns a NaN minimum.
///
/// # References
/// Nocedal, J. & Wright, S. (2006), *Numerical Optimization*, 2nd ed., Algorithm 7.5 (L-BFGS).
pub fn minimize<F>(f: F, x0: &[f64], opts: &MinimizeOptions) -> Result<Minimum>
where
    F: Fn(&[f64]) -> (f64, Vec<f64>) + Sync,
{
    if x0.is_empty() {
        return Err(Error::param("x0", "[]", "give at least one starting value"));
    }
    if let Some(v) = x0.iter().find(|v| !v.is_finite()) {
        return Err(Error::param(
            "x0",
            v,
            "starting values must be finite; start from the logarithm of positive parameters",
        ));
    }
    let mut total_iterations = 0u64;
    let mut last_failure = (String::new(), x0.to_vec());
    for k in 0..=opts.restarts {
        let start = if k == 0 {
            x0.to_vec()
        } else {
            perturbed(x0, k)
        };
        match one_start(&f, &start, opts) {
            Attempt::Ok(mut m) => {
                m.iterations += total_iterations;
                return Ok(m);
            }
            Attempt::Failed {
                reason,
                last,
                iterations,
            } => {
                total_iterations += iterations;
                last_failure = (reason, last);
            }
        }
    }
    Err(Error::NotConverged {
        iterations: total_iterations,
        reason: format!(
            "{} (after {} starts); try other initial parameters, a penalizer, or more iterations",
            last_failure.0,
            opts.restarts + 1
        ),
        last_params: fmt_params(&last_failure.1),
    })
}

/// Relative step of the forward differences in [`hessian_from_gradient`]: about the square
/// root of machine epsilon, the optimum for forward differences of an analytic gradient.
const HESSIAN_STEP: f64 = 1.5e-8;

/// Observed information: the Hessian of a function by forward finite differences of its
/// analytic gradient, symmetrised. `g0` is the gradient at `x` (a fit has it already), so this
/// costs one gradient evaluation per parameter; the relative error is about the step's,
/// 1e-8, far below what a standard error is printed to.
///
/// # Formula
/// ```text
/// h_i = HESSIAN_STEP * max(1, |x_i|)
/// H[i][j] = (g_j(x + h_i e_i) - g_j(x)) / h_i,  then H = (H + H^T) / 2
/// ```
pub fn hessian_from_gradient<G: Fn(&[f64]) -> Vec<f64>>(
    grad: G,
    x: &[f64],
    g0: &[f64],
) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut h = vec![vec![0.0; n]; n];
    for i in 0..n {
        let step = HESSIAN_STEP * x[i].abs().max(1.0);
        let mut xp = x.to_vec();
        xp[i] += step;
        // the step actually taken, as represented
        let step = xp[i] - x[i];
        let gp = grad(&xp);
        for j in 0..n {
            let gpj = gp.get(j).copied().unwrap_or(f64::NAN);
            let g0j = g0.get(j).copied().unwrap_or(f64::NAN);
            h[i][j] = (gpj - g0j) / step;
        }
    }
    for i in 0..n {
        for j in (i + 1)..n {
            let m = 0.5 * (h[i][j] + h[j][i]);
            h[i][j] = m;
            h[j][i] = m;
        }
    }
    h
}

/// Inverse of a symmetric positive-definite matrix by Cholesky factorisation; `None` if the
/// matrix is not square, not finite, or not positive definite.
///
/// # Formula
/// ```text
/// M = L L^T,  M^-1 = L^-T L^-1
/// ```
pub fn invert_spd(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    if m.iter()
        .any(|row| row.len() != n || row.iter().any(|v| !v.is_finite()))
    {
        return None;
    }
    // Cholesky: L lower triangular.
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = m[i][i] - s;
                if d <= 0.0 || !d.is_finite() {
                    return None;
                }
                l[i][j] = d.sqrt();
            } else {
                l[i][j] = (m[i][j] - s) / l[j][j];
            }
        }
    }
    // L^-1 by forward substitution, column by column.
    let mut linv = vec![vec![0.0; n]; n];
    for c in 0..n {
        for i in c..n {
            let rhs = if i == c { 1.0 } else { 0.0 };
            let s: f64 = (c..i).map(|k| l[i][k] * linv[k][c]).sum();
            linv[i][c] = (rhs - s) / l[i][i];
        }
    }
    let mut inv = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..n {
            inv[i][j] = (i.max(j)..n).map(|k| linv[k][i] * linv[k][j]).sum();
        }
    }
    if inv.iter().flatten().all(|v| v.is_finite()) {
        Some(inv)
    } else {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Rosenbrock's function, minimum 0 at (1, 1): a standard hard case for quasi-Newton.
    fn rosenbrock(x: &[f64]) -> (f64, Vec<f64>) {
        let (a, b) = (x[0], x[1]);
        let v = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
        let g = vec![
            -2.0 * (1.0 - a) - 400.0 * a * (b - a * a),
            200.0 * (b - a * a),
        ];
        (v, g)
    }

    #[test]
    fn minimize_finds_rosenbrock_minimum_at_one_one() {
        let m = minimize(rosenbrock, &[-1.2, 1.0], &MinimizeOptions::default()).unwrap();
        assert!(m.converged);
        assert!((m.x[0] - 1.0).abs() < 1e-4, "{:?}", m.x);
        assert!((m.x[1] - 1.0).abs() < 1e-4, "{:?}", m.x);
        assert!(m.value < 1e-8);
    }

    #[test]
    fn minimize_quadratic_with_huge_gradient_start() {
        // f = sum 1000 (x_i - i)^2, minimum at (0, 1, 2): a hand calculation.
        let f = |x: &[f64]| {
            let v = x
                .iter()
                .enumerate()
                .map(|(i, xi)| 1000.0 * (xi - i as f64).powi(2))
                .sum();
            let g = x
                .iter()
                .enumerate()
                .map(|(i, xi)| 2000.0 * (xi - i as f64))
                .collect();
            (v, g)
        };
        let m = minimize(f, &[50.0, -40.0, 30.0], &MinimizeOptions::default()).unwrap();
        for (i, xi) in m.x.iter().enumerate() {
            assert!((xi - i as f64).abs() < 1e-5, "{:?}", m.x);
        }
    }

    #[test]
    fn minimize_reports_not_converged_for_unbounded_objective() {
        // f = x is unbounded below: no start can converge.
        let f = |x: &[f64]| (x[0], vec![1.0]);
        let opts = MinimizeOptions {
            max_iterations: 50,
            ..MinimizeOptions::default()
        };
        match minimize(f, &[0.0], &opts) {
            Err(Error::NotConverged { last_params, .. }) => assert!(last_params.starts_with('[')),
            other => panic!("expected NotConverged, got {other:?}"),
        }
    }

    #[test]
    fn minimize_rejects_nan_start() {
        assert!(matches!(
            minimize(rosenbrock, &[f64::NAN, 1.0], &MinimizeOptions::default()),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn minimize_never_returns_nan_when_objective_is_nan_everywhere() {
        let f = |_: &[f64]| (f64::NAN, vec![f64::NAN]);
        assert!(matches!(
            minimize(f, &[1.0], &MinimizeOptions::default()),
            Err(Error::NotConverged { .. })
        ));
    }

    #[test]
    fn last_evaluation_is_remembered_only_for_the_same_point() {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let f = LastEvaluation::new(|x: &[f64]| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            (x[0] * x[0], vec![2.0 * x[0]])
        });
        assert_eq!(f.call(&[3.0]), (9.0, vec![6.0]));
        assert_eq!(f.call(&[3.0]), (9.0, vec![6.0]));
        assert_eq!(f.call(&[2.0]), (4.0, vec![4.0]));
        assert_eq!(f.call(&[3.0]), (9.0, vec![6.0]));
        assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 3);
    }

    #[test]
    fn hessian_of_quadratic_matches_hand_calculation() {
        // f = x^2 + 3xy + 5y^2 -> H = [[2, 3], [3, 10]].
        let g = |x: &[f64]| vec![2.0 * x[0] + 3.0 * x[1], 3.0 * x[0] + 10.0 * x[1]];
        let x = [0.3, -2.0];
        let h = hessian_from_gradient(g, &x, &g(&x));
        let want = [[2.0, 3.0], [3.0, 10.0]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((h[i][j] - want[i][j]).abs() < 1e-6, "{h:?}");
            }
        }
    }

    #[test]
    fn hessian_of_a_curved_function_is_accurate_to_about_1e_7() {
        // f = exp(x) + x y^2 + ln(y): H = [[e^x, 2y], [2y, 2x - 1/y^2]], by hand
        let g = |v: &[f64]| vec![v[0].exp() + v[1] * v[1], 2.0 * v[0] * v[1] + 1.0 / v[1]];
        let x = [0.7, 1.9];
        let h = hessian_from_gradient(g, &x, &g(&x));
        let want = [[0.7f64.exp(), 3.8], [3.8, 1.4 - 1.0 / 3.61]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((h[i][j] / want[i][j] - 1.0).abs() < 1e-7, "{h:?}");
            }
        }
    }

    #[test]
    fn invert_spd_matches_hand_inverse() {
        // [[4, 2], [2, 3]]^-1 = 1/8 [[3, -2], [-2, 4]].
        let inv = invert_spd(&[vec![4.0, 2.0], vec![2.0, 3.0]]).unwrap();
        let want = [[0.375, -0.25], [-0.25, 0.5]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((inv[i][j] - want[i][j]).abs() < 1e-12, "{inv:?}");
            }
        }
    }

    #[test]
    fn invert_spd_rejects_indefinite_and_ragged() {
        assert!(invert_spd(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
        assert!(invert_spd(&[vec![1.0, 2.0], vec![2.0]]).is_none());
        assert!(invert_spd(&[vec![f64::NAN]]).is_none());
    }
}
