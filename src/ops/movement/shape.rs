//! SHAPE: the input's shape as an int32 (or int64) vector. Known from shapes alone, so it is
//! computed at prepare time and never runs at invoke time.

use crate::dtype::DType;
use crate::error::Result;
use crate::ops::{Kernel, PrepareContext};

/// Prepares SHAPE.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(1..=1, 1)?;
    let shape = ctx.input_shape(0)?.to_vec();
    let bytes: Vec<u8> = match ctx.output_dtype(0)? {
        DType::Int32 => shape
            .iter()
            .map(|&d| i32::try_from(d).map_err(|_| ctx.err("dimension does not fit int32")))
            .collect::<Result<Vec<i32>>>()?
            .iter()
            .flat_map(|d| d.to_le_bytes())
            .collect(),
        DType::Int64 => shape.iter().flat_map(|&d| (d as i64).to_le_bytes()).collect(),
        t => return Err(ctx.err(format!("output type must be int32 or int64, got {t}"))),
    };
    ctx.set_output_shape(0, vec![shape.len()])?;
    ctx.set_output_value(0, bytes)?;
    Ok(Box::new(crate::ops::movement::reshape::Copy))
}
