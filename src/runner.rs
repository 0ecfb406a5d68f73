//! Running a model on `.npy`-style arrays, as `qlite run`, `compare` and `bench` do: input
//! checking and conversion, batching of stacked cases, stacking of outputs, and comparison.
//!
//! Cases: an input whose leading dimension is N times the model's holds N cases stacked on
//! axis 0; each case is one invoke, and the outputs are stacked on axis 0 the same way.

use crate::arith;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::interpreter::Interpreter;
use crate::npy::Array;

/// Checks `arrays` against the model's inputs, quantizing float32 arrays given for quantized
/// inputs (with the input's scale and zero point, as TFLite's QUANTIZE does). Returns the arrays
/// in the input's type, the number of cases, and notes for the user.
pub fn prepare_inputs(interp: &Interpreter<'_>, arrays: Vec<Array>) -> Result<(Vec<Array>, usize, Vec<String>)> {
    let ids = interp.inputs();
    if arrays.len() != ids.len() {
        return Err(Error::Usage(format!("the model has {} input(s), {} given", ids.len(), arrays.len())));
    }
    let mut notes = Vec::new();
    let mut cases = None;
    let mut out = Vec::new();
    for (k, (a, &t)) in arrays.into_iter().zip(ids).enumerate() {
        let info = interp.tensor_info(t)?;
        let shape = interp.tensor_shape(t)?;
        let n = case_count(shape, &a.shape).ok_or_else(|| {
            Error::Usage(format!(
                "input {k} ({:?}) has shape {:?}; the model wants {shape:?} (or N cases stacked on axis 0)",
                info.name, a.shape
            ))
        })?;
        if *cases.get_or_insert(n) != n {
            return Err(Error::Usage(format!("input {k} holds {n} cases, an earlier input {}", cases.unwrap_or(0))));
        }
        let a = if a.dtype == info.dtype {
            a
        } else if a.dtype == DType::Float32 && info.quantization.is_some() {
            let q = info.quantization.as_ref().ok_or_else(|| Error::Usage("unreachable".into()))?;
            notes.push(format!(
                "input {k}: quantized float32 values to {} with scale {} zero point {}",
                info.dtype, q.scale[0], q.zero_point[0]
            ));
            quantize_array(&a, info.dtype, q.scale[0], q.zero_point[0] as i32)?
        } else {
            return Err(Error::Usage(format!(
                "input {k} ({:?}) is {}, the model wants {}",
                info.name, a.dtype, info.dtype
            )));
        };
        out.push(a);
    }
    Ok((out, cases.unwrap_or(1), notes))
}

/// How many cases an array of `given` shape holds for a tensor of `want` shape.
fn case_count(want: &[usize], given: &[usize]) -> Option<usize> {
    if want == given {
        return Some(1);
    }
    if want.is_empty() || want.len() != given.len() || want[1..] != given[1..] || want[0] == 0 {
        return None;
    }
    (given[0].is_multiple_of(want[0]) && given[0] > 0).then(|| given[0] / want[0])
}

/// Quantizes float32 values like TFLite's QUANTIZE: `clamp(roundf(x / scale) + zp)`.
pub fn quantize_array(a: &Array, to: DType, scale: f32, zero_point: i32) -> Result<Array> {
    let x: Vec<f32> = a.to_vec();
    let q = |v: f32, lo: i32, hi: i32| arith::quantize_f32(v, scale, zero_point, lo, hi);
    Ok(match to {
        DType::Int8 => {
            Array::from_slice(to, a.shape.clone(), &x.iter().map(|&v| q(v, -128, 127) as i8).collect::<Vec<_>>())
        }
        DType::UInt8 => {
            Array::from_slice(to, a.shape.clone(), &x.iter().map(|&v| q(v, 0, 255) as u8).collect::<Vec<_>>())
        }
        DType::Int16 => {
            Array::from_slice(to, a.shape.clone(), &x.iter().map(|&v| q(v, -32768, 32767) as i16).collect::<Vec<_>>())
        }
        _ => return Err(Error::Usage(format!("cannot quantize to {to}"))),
    })
}

/// Seeded random inputs, one case: integers uniform over the type's range, floats uniform in
/// [−1, 1).
pub fn random_inputs(interp: &Interpreter<'_>, seed: u64) -> Result<Vec<Array>> {
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut out = Vec::new();
    for &t in interp.inputs() {
        let info = interp.tensor_info(t)?;
        let shape = interp.tensor_shape(t)?.to_vec();
        let n: usize = shape.iter().product();
        let a = match info.dtype {
            DType::Float32 => {
                let v: Vec<f32> = (0..n).map(|_| (next() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0).collect();
                Array::from_slice(DType::Float32, shape, &v)
            }
            dt => {
                let size =
                    dt.byte_size(1).ok_or_else(|| Error::Usage(format!("cannot make random {dt} inputs")))? as usize;
                let data: Vec<u8> = (0..n * size).map(|_| (next() >> 56) as u8).collect();
                let data = if dt == DType::Bool { data.iter().map(|b| b & 1).collect() } else { data };
                Array { dtype: dt, shape, data }
            }
        };
        out.push(a);
    }
    Ok(out)
}

/// Runs `cases` cases (inputs as returned by [`prepare_inputs`]) and stacks each output on axis 0.
pub fn run_cases(interp: &mut Interpreter<'_>, inputs: &[Array], cases: usize) -> Result<Vec<Array>> {
    let outs = interp.outputs();
    let mut results: Vec<Vec<u8>> = vec![Vec::new(); outs.len()];
    for c in 0..cases {
        for (k, a) in inputs.iter().enumerate() {
            let per = a.data.len() / cases;
            let dst = interp.input_bytes_mut(k)?;
            if dst.len() != per {
                return Err(Error::Usage(format!("input {k}: {per} bytes per case, the tensor holds {}", dst.len())));
            }
            dst.copy_from_slice(&a.data[c * per..(c + 1) * per]);
        }
        interp.invoke()?;
        for (k, r) in results.iter_mut().enumerate() {
            r.extend_from_slice(interp.output_bytes(k)?);
        }
    }
    outs.iter()
        .zip(results)
        .map(|(&t, data)| {
            let mut shape = interp.tensor_shape(t)?.to_vec();
            match shape.first_mut() {
                Some(d) => *d *= cases,
                None if cases > 1 => shape = vec![cases],
                None => {}
            }
            Ok(Array { dtype: interp.tensor_info(t)?.dtype, shape, data })
        })
        .collect()
}

/// Real values of a quantized output (`scale · (q − zp)` in double, as TFLite's DEQUANTIZE);
/// other arrays are returned unchanged.
pub fn dequantize_output(interp: &Interpreter<'_>, k: usize, a: &Array) -> Result<Array> {
    let t = interp.outputs()[k];
    let Some(q) = &interp.tensor_info(t)?.quantization else { return Ok(a.clone()) };
    let (s, zp) = (q.scale[0], q.zero_point[0] as i32);
    let vals: Vec<i32> = match a.dtype {
        DType::Int8 => a.to_vec::<i8>().into_iter().map(i32::from).collect(),
        DType::UInt8 => a.to_vec::<u8>().into_iter().map(i32::from).collect(),
        DType::Int16 => a.to_vec::<i16>().into_iter().map(i32::from).collect(),
        DType::Int32 => a.to_vec::<i32>(),
        _ => return Ok(a.clone()),
    };
    let f: Vec<f32> = vals.iter().map(|&v| arith::dequantize(v, s, zp)).collect();
    Ok(Array::from_slice(DType::Float32, a.shape.clone(), &f))
}

/// How one output compares with its expected values.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Elements compared.
    pub elements: usize,
    /// Elements that differ.
    pub differing: usize,
    /// Largest difference in quantized steps (integers), or in units in the last place (floats).
    pub max_steps: u64,
    /// Largest difference in real units (steps × scale for quantized outputs).
    pub max_real: f64,
    /// Index of the first element with the largest difference.
    pub worst_index: Option<usize>,
}

/// Compares an output with expected values of the same type and shape.
pub fn compare(got: &Array, expected: &Array, scale: Option<f32>) -> Result<Comparison> {
    if got.dtype != expected.dtype {
        return Err(Error::Usage(format!("expected values are {}, the output is {}", expected.dtype, got.dtype)));
    }
    if got.len() != expected.len() || got.shape != expected.shape {
        return Err(Error::Usage(format!("expected shape {:?}, the output has {:?}", expected.shape, got.shape)));
    }
    let pairs: Vec<(u64, f64)> = match got.dtype {
        DType::Float32 => {
            let (a, b) = (got.to_vec::<f32>(), expected.to_vec::<f32>());
            // Equal values (NaN with NaN, inf with inf) differ by 0, not by NaN = inf − inf.
            let real = |x: f32, y: f32| if ulps(x, y) == 0 { 0.0 } else { (x as f64 - y as f64).abs() };
            a.iter().zip(&b).map(|(&x, &y)| (ulps(x, y), real(x, y))).collect()
        }
        DType::Float64 => {
            let (a, b) = (got.to_vec::<f64>(), expected.to_vec::<f64>());
            let same = |x: f64, y: f64| x == y || (x.is_nan() && y.is_nan());
            a.iter().zip(&b).map(|(&x, &y)| if same(x, y) { (0, 0.0) } else { (1, (x - y).abs()) }).collect()
        }
        dt => {
            let (a, b) = (ints(got)?, ints(expected)?);
            let s = scale.unwrap_or(1.0) as f64;
            let _ = dt;
            a.iter().zip(&b).map(|(&x, &y)| (x.abs_diff(y), x.abs_diff(y) as f64 * s)).collect()
        }
    };
    let mut c = Comparison { elements: pairs.len(), differing: 0, max_steps: 0, max_real: 0.0, worst_index: None };
    for (i, &(steps, real)) in pairs.iter().enumerate() {
        if steps > 0 || real > 0.0 || real.is_nan() {
            c.differing += 1;
            if steps > c.max_steps || c.worst_index.is_none() {
                c.max_steps = c.max_steps.max(steps);
                c.worst_index = Some(i);
            }
            c.max_real = c.max_real.max(if real.is_nan() { f64::INFINITY } else { real });
        }
    }
    Ok(c)
}

fn ints(a: &Array) -> Result<Vec<i64>> {
    Ok(match a.dtype {
        DType::Int8 => a.to_vec::<i8>().into_iter().map(i64::from).collect(),
        DType::UInt8 | DType::Bool => a.to_vec::<u8>().into_iter().map(i64::from).collect(),
        DType::Int16 => a.to_vec::<i16>().into_iter().map(i64::from).collect(),
        DType::UInt16 => a.to_vec::<u16>().into_iter().map(i64::from).collect(),
        DType::Int32 => a.to_vec::<i32>().into_iter().map(i64::from).collect(),
        DType::UInt32 => a.to_vec::<u32>().into_iter().map(i64::from).collect(),
        DType::Int64 => a.to_vec::<i64>(),
        dt => return Err(Error::Usage(format!("cannot compare {dt} arrays"))),
    })
}

/// Distance in units in the last place between two float32 values (0 for equal values,
/// including +0/−0; NaN against anything but NaN is the maximum).
pub fn ulps(a: f32, b: f32) -> u64 {
    if a == b || (a.is_nan() && b.is_nan()) {
        return 0;
    }
    if a.is_nan() || b.is_nan() {
        return u64::MAX;
    }
    let key = |x: f32| {
        let i = x.to_bits() as i32;
        if i < 0 { i64::from(i32::MIN) - i64::from(i) } else { i64::from(i) }
    };
    key(a).abs_diff(key(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_stack_on_axis_0() {
        assert_eq!(case_count(&[1, 16], &[1, 16]), Some(1));
        assert_eq!(case_count(&[1, 16], &[4, 16]), Some(4));
        assert_eq!(case_count(&[2, 3], &[6, 3]), Some(3));
        assert_eq!(case_count(&[2, 3], &[5, 3]), None);
        assert_eq!(case_count(&[1, 16], &[16]), None);
        assert_eq!(case_count(&[1, 16], &[4, 15]), None);
    }

    #[test]
    fn comparison_counts_steps_and_real_units() {
        let a = Array::from_slice(DType::Int8, vec![4], &[1i8, 2, 3, -128]);
        let b = Array::from_slice(DType::Int8, vec![4], &[1i8, 3, 3, 127]);
        let c = compare(&a, &b, Some(0.5)).unwrap();
        assert_eq!((c.differing, c.max_steps, c.max_real, c.worst_index), (2, 255, 127.5, Some(3)));
        assert!(compare(&a, &Array::from_slice(DType::Int16, vec![4], &[0i16; 4]), None).is_err());
        assert_eq!(ulps(1.0, f32::from_bits(1.0f32.to_bits() + 3)), 3);
        assert_eq!(ulps(0.0, -0.0), 0);
        assert_eq!(ulps(f32::from_bits(1), -f32::from_bits(1)), 2);
    }

    #[test]
    fn nan_equals_nan() {
        let a = Array::from_slice(DType::Float32, vec![3], &[f32::NAN, 1.0, f32::NAN]);
        let b = Array::from_slice(DType::Float32, vec![3], &[-f32::NAN, 1.0, 2.0]);
        let c = compare(&a, &b, None).unwrap();
        assert_eq!((c.differing, c.worst_index), (1, Some(2)));
    }
}
