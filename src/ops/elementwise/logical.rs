//! LOGICAL_AND, LOGICAL_OR (with NumPy broadcasting, see `broadcast.rs`) and LOGICAL_NOT, on
//! bool tensors (one byte each; a non-zero byte is true), output bool (0 or 1).
//!
//! TFLite (`kernels/logical.cc`): bool inputs and output only; AND/OR broadcast when the shapes
//! differ and run element-wise otherwise; NOT is `!x`. qlite broadcasts any pair of shapes
//! `broadcast.rs` plans (checked against TFLite 2.21 up to rank 6, see models/fuzz_fops.py).

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::Scratch;
use crate::ops::elementwise::broadcast::{self, BinaryKernel};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext};

fn and(a: u8, b: u8) -> u8 {
    u8::from(a != 0 && b != 0)
}

fn or(a: u8, b: u8) -> u8 {
    u8::from(a != 0 || b != 0)
}

fn check_bool(ctx: &PrepareContext<'_, '_>, inputs: usize) -> Result<()> {
    for k in 0..inputs {
        let t = ctx.input_dtype(k)?;
        if t != DType::Bool {
            return Err(ctx.err(format!("input {k} is {t}, expected bool")));
        }
    }
    let to = ctx.output_dtype(0)?;
    if to != DType::Bool {
        return Err(ctx.err(format!("output is {to}, expected bool")));
    }
    Ok(())
}

fn prepare_binary<'m>(ctx: &mut PrepareContext<'_, 'm>, is_and: bool) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    check_bool(ctx, 2)?;
    let plan = broadcast::plan(ctx)?;
    Ok(if is_and { Box::new(BinaryKernel::new(plan, and)) } else { Box::new(BinaryKernel::new(plan, or)) })
}

/// Prepares LOGICAL_AND.
pub fn prepare_and<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_binary(ctx, true)
}

/// Prepares LOGICAL_OR.
pub fn prepare_or<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_binary(ctx, false)
}

struct NotKernel;

impl Kernel for NotKernel {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<u8>(0)?;
        let out = outputs.get::<u8>(0)?;
        if x.len() != out.len() {
            return Err(Error::Internal("LOGICAL_NOT buffers differ in size".into()));
        }
        for (o, &v) in out.iter_mut().zip(x) {
            *o = u8::from(v == 0);
        }
        Ok(())
    }
}

/// Prepares LOGICAL_NOT.
pub fn prepare_not<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(1..=1, 1)?;
    check_bool(ctx, 1)?;
    let shape = ctx.input_shape(0)?.to_vec();
    ctx.set_output_shape(0, shape)?;
    Ok(Box::new(NotKernel))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    #[test]
    fn truth_tables() {
        assert_eq!([and(0, 0), and(0, 1), and(1, 0), and(1, 1), and(2, 1)], [0, 0, 0, 1, 1]);
        assert_eq!([or(0, 0), or(0, 1), or(1, 0), or(1, 1), or(0, 2)], [0, 1, 1, 1, 1]);
        let out = run_kernel(&NotKernel, &[&[0, 1, 2]], &[3]).unwrap();
        assert_eq!(out[0], vec![1, 0, 0]);
        let plan = broadcast::Broadcast::new(&[2, 2], &[2]).unwrap();
        let k = BinaryKernel::new(plan, and);
        let out = run_kernel(&k, &[&[1, 1, 0, 1], &[1, 0]], &[4]).unwrap();
        assert_eq!(out[0], vec![1, 0, 0, 0]);
    }
}
