//! Running a model on `.npy`-style arrays, as `qlite run`, `compare` and `bench` do: input
//! checking and conversion, batching of stacked cases, stacking of outputs, and comparison.
//!
//! Cases: an input whose leading dimension is N times the model's holds N cases stacked on
//! axis 0; each case is one invoke, and the outputs are stacked on axis 0 the same way. At most
//! [`MAX_CASES`] cases are run, and a zero-sized input takes exactly one.
//!
//! Memory: a model may list the same tensor several times as an input or an output. The arrays
//! of such a list are an [`IoArrays`], which holds one array per distinct tensor, shared by its
//! listings. The inputs and the stacked outputs together are bounded ([`run_cases_limited`],
//! [`DEFAULT_MAX_IO_BYTES`]) before anything runs.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::arith;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::interpreter::Interpreter;
use crate::npy::Array;

/// The most cases one run takes (stacked on axis 0 of the inputs).
pub const MAX_CASES: usize = 1_000_000;

/// The default bound on the bytes of a run's inputs plus its stacked outputs (4 GiB, the same as
/// the interpreter's default memory budget, [`crate::InterpreterOptions::max_memory_bytes`]).
pub const DEFAULT_MAX_IO_BYTES: usize = 4 << 30;

/// The arrays of a model's input or output list, where a tensor may be listed several times:
/// one array per distinct array, shared by the listings. Index it by listing (`a[k]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IoArrays {
    arrays: Vec<Array>,
    slots: Vec<usize>,
}

impl IoArrays {
    /// Number of listings.
    pub fn len(&self) -> usize {
        self.slots.len()
    }
    /// True when there are no listings.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
    /// The array of listing `k`.
    pub fn get(&self, k: usize) -> Option<&Array> {
        self.arrays.get(*self.slots.get(k)?)
    }
    /// The arrays by listing (a shared array once per listing).
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Array> + '_ {
        self.slots.iter().map(|&s| &self.arrays[s])
    }
    /// The distinct arrays.
    pub fn distinct(&self) -> &[Array] {
        &self.arrays
    }
    /// The first listing that shares listing `k`'s array (`k` itself when no earlier one does).
    pub fn first_listing(&self, k: usize) -> Option<usize> {
        let s = *self.slots.get(k)?;
        self.slots.iter().position(|&x| x == s)
    }
    /// Bytes held (each distinct array once).
    pub fn total_bytes(&self) -> usize {
        self.arrays.iter().map(|a| a.data.len()).sum()
    }
}

impl From<Vec<Array>> for IoArrays {
    /// One array per listing.
    fn from(arrays: Vec<Array>) -> Self {
        IoArrays { slots: (0..arrays.len()).collect(), arrays }
    }
}

impl std::ops::Index<usize> for IoArrays {
    type Output = Array;
    fn index(&self, k: usize) -> &Array {
        &self.arrays[self.slots[k]]
    }
}

/// The distinct tensors of a list, in order of first listing, and each listing's index into them.
fn distinct_tensors(list: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut index = HashMap::new();
    let mut tensors = Vec::new();
    let slots = list
        .iter()
        .map(|&t| {
            *index.entry(t).or_insert_with(|| {
                tensors.push(t);
                tensors.len() - 1
            })
        })
        .collect();
    (tensors, slots)
}

/// Bytes of a tensor as prepared (its shape and element type; 0 for a tensor no operator
/// materializes). `None` on overflow.
fn tensor_bytes(interp: &Interpreter<'_>, t: usize) -> Result<Option<usize>> {
    let dt = interp.tensor_info(t)?.dtype;
    let n = interp.tensor_shape(t)?.iter().try_fold(1u64, |a, &d| a.checked_mul(d as u64));
    Ok(n.and_then(|n| dt.byte_size(n)).and_then(|b| usize::try_from(b).ok()))
}

fn over(what: &str, value: Option<usize>, limit: usize) -> Error {
    Error::Limit { what: what.into(), value: value.map_or(u64::MAX, |v| v as u64), limit: limit as u64 }
}

/// Checks array `a` against model input `k` (element type, shape); returns how many cases it
/// holds.
pub fn check_input(interp: &Interpreter<'_>, k: usize, a: &Array) -> Result<usize> {
    let t = *interp.inputs().get(k).ok_or_else(|| {
        Error::Usage(format!("the model has {} input(s); there is no input {k}", interp.inputs().len()))
    })?;
    let info = interp.tensor_info(t)?;
    let shape = interp.tensor_shape(t)?;
    let n = case_count(shape, &a.shape)
        .map_err(|why| Error::Usage(format!("input {k} ({:?}) has shape {:?}; {why}", info.name, a.shape)))?;
    if a.dtype != info.dtype && !(a.dtype == DType::Float32 && info.quantization.is_some()) {
        return Err(Error::Usage(format!(
            "input {k} ({:?}) is {}, the model wants {}",
            info.name, a.dtype, info.dtype
        )));
    }
    Ok(n)
}

/// Checks `arrays` against the model's inputs, quantizing float32 arrays given for quantized
/// inputs (with the input's scale and zero point, as TFLite's QUANTIZE does). Returns the arrays
/// in the input's type, the number of cases, and notes for the user.
pub fn prepare_inputs(interp: &Interpreter<'_>, arrays: Vec<Array>) -> Result<(IoArrays, usize, Vec<String>)> {
    let ids = interp.inputs();
    if arrays.len() != ids.len() {
        return Err(Error::Usage(format!("the model has {} input(s), {} given", ids.len(), arrays.len())));
    }
    let mut notes = Vec::new();
    let mut cases = None;
    let mut out = Vec::new();
    for (k, (a, &t)) in arrays.into_iter().zip(ids).enumerate() {
        let n = check_input(interp, k, &a)?;
        if let Some(c) = cases
            && c != n
        {
            return Err(Error::Usage(format!("input {k} holds {n} case(s), an earlier input {c}")));
        }
        cases = Some(n);
        let info = interp.tensor_info(t)?;
        let a = match &info.quantization {
            Some(q) if a.dtype != info.dtype => {
                notes.push(format!(
                    "input {k}: quantized float32 values to {} with scale {} zero point {}",
                    info.dtype, q.scale[0], q.zero_point[0]
                ));
                quantize_array(&a, info.dtype, q.scale[0], q.zero_point[0] as i32)?
            }
            _ => a,
        };
        out.push(a);
    }
    Ok((out.into(), cases.unwrap_or(1), notes))
}

/// How many cases an array of `given` shape holds for a tensor of `want` shape, or why it does
/// not fit.
fn case_count(want: &[usize], given: &[usize]) -> std::result::Result<usize, String> {
    if want == given {
        return Ok(1);
    }
    let stacked = !want.is_empty() && want.len() == given.len() && want[1..] == given[1..] && want[0] > 0;
    if !stacked || given[0] == 0 || !given[0].is_multiple_of(want[0]) {
        return Err(format!("the model wants {want:?} (or N cases stacked on axis 0)"));
    }
    let n = given[0] / want[0];
    if want.contains(&0) {
        return Err(format!("the model's input {want:?} is empty, so it takes exactly one case, not {n}"));
    }
    if n > MAX_CASES {
        return Err(format!("that is {n} cases, over the limit of {MAX_CASES}"));
    }
    Ok(n)
}

/// Quantizes float32 values like TFLite's QUANTIZE: `clamp(roundf(x / scale) + zp)`.
pub fn quantize_array(a: &Array, to: DType, scale: f32, zero_point: i32) -> Result<Array> {
    let q = |v: f32, lo: i32, hi: i32| arith::quantize_f32(v, scale, zero_point, lo, hi);
    let x = a.values::<f32>();
    let mut data = Vec::new();
    let size = match to {
        DType::Int8 | DType::UInt8 => 1,
        DType::Int16 => 2,
        _ => return Err(Error::Usage(format!("cannot quantize to {to}"))),
    };
    data.try_reserve_exact(a.len().saturating_mul(size))
        .map_err(|e| Error::Usage(format!("cannot allocate the quantized input: {e}")))?;
    match to {
        DType::Int8 => data.extend(x.map(|v| q(v, -128, 127) as i8 as u8)),
        DType::UInt8 => data.extend(x.map(|v| q(v, 0, 255) as u8)),
        _ => data.extend(x.flat_map(|v| (q(v, -32768, 32767) as i16).to_le_bytes())),
    }
    Ok(Array { dtype: to, shape: a.shape.clone(), data })
}

/// Seeded random inputs, one case: integers uniform over the type's range, floats uniform in
/// [−1, 1). One array per distinct input tensor (a tensor listed twice shares it); at most
/// [`DEFAULT_MAX_IO_BYTES`] in all.
pub fn random_inputs(interp: &Interpreter<'_>, seed: u64) -> Result<IoArrays> {
    random_inputs_limited(interp, seed, DEFAULT_MAX_IO_BYTES)
}

/// [`random_inputs`], at most `max_bytes` in all (checked before anything is allocated).
pub fn random_inputs_limited(interp: &Interpreter<'_>, seed: u64, max_bytes: usize) -> Result<IoArrays> {
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let (tensors, slots) = distinct_tensors(interp.inputs());
    let mut sizes = Vec::with_capacity(tensors.len());
    let mut total = Some(0usize);
    for &t in &tensors {
        let dt = interp.tensor_info(t)?.dtype;
        dt.byte_size(1).ok_or_else(|| Error::Usage(format!("cannot make random {dt} inputs")))?;
        let b = tensor_bytes(interp, t)?;
        total = total.zip(b).and_then(|(a, b)| a.checked_add(b));
        sizes.push(b.unwrap_or(0));
    }
    if total.is_none_or(|t| t > max_bytes) {
        return Err(over("random input bytes", total, max_bytes));
    }
    let mut arrays = Vec::with_capacity(tensors.len());
    for (&t, &bytes) in tensors.iter().zip(&sizes) {
        let dtype = interp.tensor_info(t)?.dtype;
        let shape = interp.tensor_shape(t)?.to_vec();
        let mut data = Vec::new();
        data.try_reserve_exact(bytes).map_err(|e| Error::Usage(format!("cannot allocate a random input: {e}")))?;
        match dtype {
            DType::Float32 => data.extend(
                (0..bytes / 4).flat_map(|_| ((next() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0).to_le_bytes()),
            ),
            DType::Bool => data.extend((0..bytes).map(|_| (next() >> 56) as u8 & 1)),
            _ => data.extend((0..bytes).map(|_| (next() >> 56) as u8)),
        }
        arrays.push(Array { dtype, shape, data });
    }
    Ok(IoArrays { arrays, slots })
}

/// Bytes of one case of the model's inputs (each distinct input tensor once), as
/// [`random_inputs`] makes them, or `None` on overflow.
pub fn input_bytes(interp: &Interpreter<'_>) -> Result<Option<usize>> {
    let (tensors, _) = distinct_tensors(interp.inputs());
    let mut total = Some(0usize);
    for t in tensors {
        let b = tensor_bytes(interp, t)?;
        total = total.zip(b).and_then(|(a, b)| a.checked_add(b));
    }
    Ok(total)
}

/// Bytes that `cases` cases of the model's outputs take when stacked (each distinct output
/// tensor once), or `None` on overflow.
pub fn output_bytes(interp: &Interpreter<'_>, cases: usize) -> Result<Option<usize>> {
    let (tensors, _) = distinct_tensors(interp.outputs());
    let mut total = Some(0usize);
    for t in tensors {
        let b = tensor_bytes(interp, t)?;
        total = total.zip(b.and_then(|b| b.checked_mul(cases))).and_then(|(a, b)| a.checked_add(b));
    }
    Ok(total)
}

/// Copies case `c` of `inputs` (holding `cases` cases) into the model's inputs. A tensor listed
/// several times is filled once, from its last listing.
pub fn set_inputs(interp: &mut Interpreter<'_>, inputs: &IoArrays, c: usize, cases: usize) -> Result<()> {
    let ids = interp.inputs();
    if inputs.len() != ids.len() {
        return Err(Error::Usage(format!("the model has {} input(s), {} given", ids.len(), inputs.len())));
    }
    if c >= cases {
        return Err(Error::Usage(format!("there is no case {c} of {cases}")));
    }
    let last: HashMap<usize, usize> = ids.iter().enumerate().map(|(k, &t)| (t, k)).collect();
    for (k, a) in inputs.iter().enumerate() {
        let per = a.data.len() / cases;
        if a.data.len() != per * cases {
            return Err(Error::Usage(format!("input {k}: {} bytes do not split into {cases} cases", a.data.len())));
        }
        let dst = interp.input_bytes_mut(k)?;
        if dst.len() != per {
            return Err(Error::Usage(format!("input {k}: {per} bytes per case, the tensor holds {}", dst.len())));
        }
        if last.get(&ids[k]) == Some(&k) {
            dst.copy_from_slice(&a.data[c * per..(c + 1) * per]);
        }
    }
    Ok(())
}

/// Runs `cases` cases (inputs as returned by [`prepare_inputs`]) and stacks each output on axis
/// 0; the inputs and outputs together are at most [`DEFAULT_MAX_IO_BYTES`].
pub fn run_cases(interp: &mut Interpreter<'_>, inputs: &IoArrays, cases: usize) -> Result<IoArrays> {
    run_cases_limited(interp, inputs, cases, DEFAULT_MAX_IO_BYTES)
}

/// [`run_cases`] with the inputs plus the stacked outputs bounded by `max_bytes`, checked before
/// the first invoke. A tensor listed several times as an output is collected once.
pub fn run_cases_limited(
    interp: &mut Interpreter<'_>,
    inputs: &IoArrays,
    cases: usize,
    max_bytes: usize,
) -> Result<IoArrays> {
    if cases > MAX_CASES {
        return Err(over("the number of cases", Some(cases), MAX_CASES));
    }
    let total = output_bytes(interp, cases)?.and_then(|o| o.checked_add(inputs.total_bytes()));
    if total.is_none_or(|t| t > max_bytes) {
        return Err(over("input and output bytes", total, max_bytes));
    }
    let (tensors, slots) = distinct_tensors(interp.outputs());
    let mut results: Vec<Vec<u8>> = Vec::with_capacity(tensors.len());
    for &t in &tensors {
        let mut v = Vec::new();
        let b = tensor_bytes(interp, t)?.unwrap_or(0).saturating_mul(cases);
        v.try_reserve_exact(b).map_err(|e| Error::Usage(format!("cannot allocate the outputs: {e}")))?;
        results.push(v);
    }
    for c in 0..cases {
        set_inputs(interp, inputs, c, cases)?;
        interp.invoke()?;
        for (&t, r) in tensors.iter().zip(results.iter_mut()) {
            r.extend_from_slice(interp.tensor_bytes(t)?);
        }
    }
    let arrays = tensors
        .iter()
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
        .collect::<Result<_>>()?;
    Ok(IoArrays { arrays, slots })
}

/// Real values of a quantized output (`scale · (q − zp)` in double, as TFLite's DEQUANTIZE);
/// other arrays are returned as they are.
pub fn dequantize_output<'a>(interp: &Interpreter<'_>, k: usize, a: &'a Array) -> Result<Cow<'a, Array>> {
    let t = *interp.outputs().get(k).ok_or_else(|| Error::Usage(format!("there is no output {k}")))?;
    let Some(q) = &interp.tensor_info(t)?.quantization else { return Ok(Cow::Borrowed(a)) };
    let (s, zp) = (q.scale[0], q.zero_point[0] as i32);
    if !matches!(a.dtype, DType::Int8 | DType::UInt8 | DType::Int16 | DType::Int32) {
        return Ok(Cow::Borrowed(a));
    }
    let mut data = Vec::new();
    data.try_reserve_exact(a.len().saturating_mul(4))
        .map_err(|e| Error::Usage(format!("cannot allocate the dequantized output: {e}")))?;
    let f = |v: i32| arith::dequantize(v, s, zp).to_le_bytes();
    match a.dtype {
        DType::Int8 => data.extend(a.values::<i8>().flat_map(|v| f(v.into()))),
        DType::UInt8 => data.extend(a.values::<u8>().flat_map(|v| f(v.into()))),
        DType::Int16 => data.extend(a.values::<i16>().flat_map(|v| f(v.into()))),
        _ => data.extend(a.values::<i32>().flat_map(f)),
    }
    Ok(Cow::Owned(Array { dtype: DType::Float32, shape: a.shape.clone(), data }))
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
    let mut c = Comparison { elements: got.len(), differing: 0, max_steps: 0, max_real: 0.0, worst_index: None };
    let mut visit = |i: usize, steps: u64, real: f64| {
        if steps > 0 || real > 0.0 || real.is_nan() {
            c.differing += 1;
            if steps > c.max_steps || c.worst_index.is_none() {
                c.max_steps = c.max_steps.max(steps);
                c.worst_index = Some(i);
            }
            c.max_real = c.max_real.max(if real.is_nan() { f64::INFINITY } else { real });
        }
    };
    let s = scale.unwrap_or(1.0) as f64;
    match got.dtype {
        DType::Float32 => {
            // Equal values (NaN with NaN, inf with inf) differ by 0, not by NaN = inf − inf.
            let real = |x: f32, y: f32| if ulps(x, y) == 0 { 0.0 } else { (x as f64 - y as f64).abs() };
            for (i, (x, y)) in got.values::<f32>().zip(expected.values::<f32>()).enumerate() {
                visit(i, ulps(x, y), real(x, y));
            }
        }
        DType::Float64 => {
            let same = |x: f64, y: f64| x == y || (x.is_nan() && y.is_nan());
            for (i, (x, y)) in got.values::<f64>().zip(expected.values::<f64>()).enumerate() {
                if same(x, y) { visit(i, 0, 0.0) } else { visit(i, 1, (x - y).abs()) }
            }
        }
        DType::Int8 => compare_ints::<i8>(got, expected, s, &mut visit),
        DType::UInt8 | DType::Bool => compare_ints::<u8>(got, expected, s, &mut visit),
        DType::Int16 => compare_ints::<i16>(got, expected, s, &mut visit),
        DType::UInt16 => compare_ints::<u16>(got, expected, s, &mut visit),
        DType::Int32 => compare_ints::<i32>(got, expected, s, &mut visit),
        DType::UInt32 => compare_ints::<u32>(got, expected, s, &mut visit),
        DType::Int64 => compare_ints::<i64>(got, expected, s, &mut visit),
        dt => return Err(Error::Usage(format!("cannot compare {dt} arrays"))),
    }
    Ok(c)
}

/// Compares integer arrays element by element: steps are the absolute difference, real units
/// steps × `scale`.
fn compare_ints<T: bytemuck::Pod + Into<i64>>(
    got: &Array,
    expected: &Array,
    scale: f64,
    visit: &mut impl FnMut(usize, u64, f64),
) {
    for (i, (x, y)) in got.values::<T>().zip(expected.values::<T>()).enumerate() {
        let d = x.into().abs_diff(y.into());
        visit(i, d, d as f64 * scale);
    }
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
        assert_eq!(case_count(&[1, 16], &[1, 16]), Ok(1));
        assert_eq!(case_count(&[1, 16], &[4, 16]), Ok(4));
        assert_eq!(case_count(&[2, 3], &[6, 3]), Ok(3));
        assert!(case_count(&[2, 3], &[5, 3]).is_err());
        assert!(case_count(&[1, 16], &[16]).is_err());
        assert!(case_count(&[1, 16], &[4, 15]).is_err());
        assert!(case_count(&[1, 16], &[0, 16]).is_err());
        assert!(case_count(&[], &[3]).is_err());
        assert_eq!(case_count(&[], &[]), Ok(1));
    }

    #[test]
    fn cases_are_capped() {
        // F3: a .npy of shape (10^15, 0) announced 10^15 cases of a zero-sized input.
        assert_eq!(case_count(&[1, 0], &[1, 0]), Ok(1));
        assert_eq!(case_count(&[0], &[0]), Ok(1));
        let e = case_count(&[1, 0], &[1_000_000_000_000_000, 0]).unwrap_err();
        assert!(e.contains("takes exactly one case, not 1000000000000000"), "{e}");
        assert!(case_count(&[2, 0, 3], &[4, 0, 3]).unwrap_err().contains("exactly one case"));
        assert_eq!(case_count(&[1, 2], &[MAX_CASES, 2]), Ok(MAX_CASES));
        let e = case_count(&[1, 2], &[MAX_CASES + 1, 2]).unwrap_err();
        assert!(e.contains("over the limit of 1000000"), "{e}");
    }

    #[test]
    fn a_tensor_listed_twice_shares_its_array() {
        let (tensors, slots) = distinct_tensors(&[5, 3, 5, 5, 7, 3]);
        assert_eq!((tensors, slots.clone()), (vec![5, 3, 7], vec![0, 1, 0, 0, 2, 1]));
        let arrays: Vec<Array> = (0..3).map(|i| Array::from_slice(DType::Int8, vec![1], &[i as i8])).collect();
        let io = IoArrays { arrays, slots };
        assert_eq!(io.len(), 6);
        assert_eq!(io.distinct().len(), 3);
        assert_eq!(io.total_bytes(), 3);
        assert_eq!(io[3].data, vec![0]);
        assert_eq!(io.iter().map(|a| a.data[0]).collect::<Vec<_>>(), vec![0, 1, 0, 0, 2, 1]);
        assert_eq!((0..6).map(|k| io.first_listing(k).unwrap()).collect::<Vec<_>>(), vec![0, 1, 0, 0, 4, 1]);
        assert!(io.get(6).is_none());
        let plain = IoArrays::from(vec![Array::from_slice(DType::Int8, vec![1], &[1i8])]);
        assert_eq!((plain.len(), plain.first_listing(0)), (1, Some(0)));
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
