//! Operator kernels and the registry that maps opcodes to them.
//!
//! Contract of a kernel (one file per operator):
//! - `prepare` (a [`PrepareFn`]) gets a [`PrepareContext`]: it validates everything about the
//!   operator that does not depend on input values (types, shapes, quantization, options),
//!   computes multipliers, shifts, activation ranges and tables, sets every output's shape, may
//!   copy or re-lay-out constant weights, requests the memory `eval` will write besides its
//!   outputs ([`PrepareContext::request_scratch`] for per-invoke scratch,
//!   [`PrepareContext::request_state`] for state kept between invokes), and returns a [`Kernel`].
//!   Errors name the operator.
//! - [`Kernel::eval`] (`&self`: a prepared kernel is immutable, `Send + Sync`) runs the operator
//!   on the current inputs: no allocation, and no checks that `prepare` could have made. Inputs
//!   and outputs come as typed slices ([`Inputs`], [`Outputs`]), the requested regions from
//!   [`Scratch`].
//! - An operator whose inputs are all known at prepare time (constants, or outputs of such
//!   operators) is run once during preparation and its outputs become constants; an operator may
//!   also set its outputs as constants from `prepare` itself (SHAPE does).
//!
//! Registering an op is one line in [`OpRegistry::with_builtins`].
//!
//! Layout: one folder per family ([`activation`], [`conv`], [`dense`], [`elementwise`],
//! [`movement`], [`quant`], [`reduce`], [`rnn`]), one file per operator or group of closely
//! related operators, and `common` for what operators share (constant-or-input operands,
//! quantization parameters, convolution geometry, checks). Helpers live in `common` or in their
//! family (`elementwise::broadcast`, the `movement` module itself), so operators do not import
//! each other for them and the modules have no import cycles.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::dtype::DType;
use crate::error::{Error, OpErrorKind, Result};
use crate::model::{Model, Operator, OperatorCode, Quantization, Tensor};
use crate::tflite::{self, BuiltinOperator as B};

pub mod activation;
pub(crate) mod common;
pub mod conv;
pub mod dense;
pub mod elementwise;
pub mod movement;
pub mod quant;
pub mod reduce;
pub mod rnn;

/// A prepared operator, ready to run. Immutable once prepared (`&self` at eval, `Send + Sync`),
/// so one prepared graph can be shared by several interpreters and threads: what a kernel writes
/// while running goes to the [`Scratch`] regions and state it requested at prepare.
pub trait Kernel: Send + Sync {
    /// Runs the operator: reads `inputs`, writes every output, and may use the scratch regions
    /// and state it requested at prepare ([`PrepareContext::request_scratch`],
    /// [`PrepareContext::request_state`]). Must not allocate.
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()>;
}

/// Prepares an operator: validates it and returns its kernel.
pub type PrepareFn = Arc<dyn for<'p, 'm> Fn(&mut PrepareContext<'p, 'm>) -> Result<Box<dyn Kernel + 'm>> + Send + Sync>;

/// Maps builtin opcodes and custom op names to kernels.
#[derive(Clone, Default)]
pub struct OpRegistry {
    builtins: HashMap<i32, PrepareFn>,
    customs: HashMap<String, PrepareFn>,
}

fn f(p: for<'p, 'm> fn(&mut PrepareContext<'p, 'm>) -> Result<Box<dyn Kernel + 'm>>) -> PrepareFn {
    Arc::new(p)
}

impl OpRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every builtin kernel of this crate.
    pub fn with_builtins() -> Self {
        let mut r = Self::new();
        r.add_builtin(B::FULLY_CONNECTED, f(dense::fully_connected::prepare));
        r.add_builtin(B::QUANTIZE, f(quant::quantize::prepare));
        r.add_builtin(B::DEQUANTIZE, f(quant::dequantize::prepare));
        r.add_builtin(B::RESHAPE, f(movement::reshape::prepare_reshape));
        r.add_builtin(B::SQUEEZE, f(movement::reshape::prepare_squeeze));
        r.add_builtin(B::EXPAND_DIMS, f(movement::reshape::prepare_expand_dims));
        r.add_builtin(B::SHAPE, f(movement::shape::prepare));
        r.add_builtin(B::RESIZE_BILINEAR, f(movement::resize::prepare_bilinear));
        r.add_builtin(B::RESIZE_NEAREST_NEIGHBOR, f(movement::resize::prepare_nearest));
        r.add_builtin(B::SPACE_TO_BATCH_ND, f(movement::space_to_batch::prepare_space_to_batch));
        r.add_builtin(B::BATCH_TO_SPACE_ND, f(movement::space_to_batch::prepare_batch_to_space));
        r.add_builtin(B::AVERAGE_POOL_2D, f(reduce::pooling::prepare_average));
        r.add_builtin(B::MAX_POOL_2D, f(reduce::pooling::prepare_max));
        r.add_builtin(B::MEAN, f(reduce::reduction::prepare_mean));
        r.add_builtin(B::SUM, f(reduce::reduction::prepare_sum));
        r.add_builtin(B::REDUCE_MAX, f(reduce::reduction::prepare_max));
        r.add_builtin(B::REDUCE_MIN, f(reduce::reduction::prepare_min));
        r.add_builtin(B::SOFTMAX, f(activation::softmax::prepare));
        r.add_builtin(B::ARG_MAX, f(reduce::arg_max::prepare_arg_max));
        r.add_builtin(B::ARG_MIN, f(reduce::arg_max::prepare_arg_min));
        r.add_builtin(B::ADD, f(elementwise::add_sub::prepare_add));
        r.add_builtin(B::SUB, f(elementwise::add_sub::prepare_sub));
        r.add_builtin(B::MUL, f(elementwise::mul::prepare));
        r.add_builtin(B::DIV, f(elementwise::div::prepare));
        r.add_builtin(B::POW, f(elementwise::pow::prepare));
        r.add_builtin(B::SQUARED_DIFFERENCE, f(elementwise::squared_difference::prepare));
        r.add_builtin(B::MAXIMUM, f(elementwise::maximum_minimum::prepare_maximum));
        r.add_builtin(B::MINIMUM, f(elementwise::maximum_minimum::prepare_minimum));
        r.add_builtin(B::RELU, f(activation::relu::prepare_relu));
        r.add_builtin(B::RELU6, f(activation::relu::prepare_relu6));
        r.add_builtin(B::RELU_N1_TO_1, f(activation::relu::prepare_relu_n1_to_1));
        r.add_builtin(B::RELU_0_TO_1, f(activation::relu::prepare_relu_0_to_1));
        r.add_builtin(B::LEAKY_RELU, f(activation::relu::prepare_leaky_relu));
        r.add_builtin(B::HARD_SWISH, f(activation::hard_swish::prepare));
        r.add_builtin(B::LOGISTIC, f(activation::lut_activations::prepare_logistic));
        r.add_builtin(B::TANH, f(activation::lut_activations::prepare_tanh));
        r.add_builtin(B::ELU, f(activation::lut_activations::prepare_elu));
        r.add_builtin(B::GELU, f(activation::lut_activations::prepare_gelu));
        r.add_builtin(B::EXP, f(elementwise::unary::prepare_exp));
        r.add_builtin(B::LOG, f(elementwise::unary::prepare_log));
        r.add_builtin(B::SQRT, f(elementwise::unary::prepare_sqrt));
        r.add_builtin(B::RSQRT, f(elementwise::unary::prepare_rsqrt));
        r.add_builtin(B::NEG, f(elementwise::unary::prepare_neg));
        r.add_builtin(B::ABS, f(elementwise::unary::prepare_abs));
        r.add_builtin(B::FLOOR, f(elementwise::unary::prepare_floor));
        r.add_builtin(B::CONV_2D, f(conv::conv2d::prepare));
        r.add_builtin(B::DEPTHWISE_CONV_2D, f(conv::depthwise::prepare));
        r.add_builtin(B::TRANSPOSE_CONV, f(conv::transpose::prepare));
        r.add_builtin(B::CONCATENATION, f(movement::concatenation::prepare));
        r.add_builtin(B::PAD, f(movement::pad::prepare));
        r.add_builtin(B::PADV2, f(movement::pad::prepare));
        r.add_builtin(B::TRANSPOSE, f(movement::transpose::prepare));
        r.add_builtin(B::STRIDED_SLICE, f(movement::strided_slice::prepare));
        r.add_builtin(B::SLICE, f(movement::slice::prepare));
        r.add_builtin(B::PACK, f(movement::pack::prepare_pack));
        r.add_builtin(B::UNPACK, f(movement::pack::prepare_unpack));
        r.add_builtin(B::SPLIT, f(movement::split::prepare_split));
        r.add_builtin(B::SPLIT_V, f(movement::split::prepare_split_v));
        r.add_builtin(B::GATHER, f(movement::gather::prepare));
        r.add_builtin(B::TILE, f(movement::tile::prepare));
        r.add_builtin(B::REVERSE_V2, f(movement::reverse::prepare));
        r.add_builtin(B::DEPTH_TO_SPACE, f(movement::depth_to_space::prepare_depth_to_space));
        r.add_builtin(B::SPACE_TO_DEPTH, f(movement::depth_to_space::prepare_space_to_depth));
        r.add_builtin(B::EQUAL, f(elementwise::comparisons::prepare_equal));
        r.add_builtin(B::NOT_EQUAL, f(elementwise::comparisons::prepare_not_equal));
        r.add_builtin(B::LESS, f(elementwise::comparisons::prepare_less));
        r.add_builtin(B::LESS_EQUAL, f(elementwise::comparisons::prepare_less_equal));
        r.add_builtin(B::GREATER, f(elementwise::comparisons::prepare_greater));
        r.add_builtin(B::GREATER_EQUAL, f(elementwise::comparisons::prepare_greater_equal));
        r.add_builtin(B::SELECT, f(elementwise::select::prepare_select));
        r.add_builtin(B::SELECT_V2, f(elementwise::select::prepare_select_v2));
        r.add_builtin(B::LOGICAL_AND, f(elementwise::logical::prepare_and));
        r.add_builtin(B::LOGICAL_OR, f(elementwise::logical::prepare_or));
        r.add_builtin(B::LOGICAL_NOT, f(elementwise::logical::prepare_not));
        r.add_builtin(B::CAST, f(quant::cast::prepare));
        r.add_builtin(B::L2_NORMALIZATION, f(activation::l2norm::prepare));
        r.add_builtin(B::BATCH_MATMUL, f(dense::batch_matmul::prepare));
        r.add_builtin(B::UNIDIRECTIONAL_SEQUENCE_LSTM, f(rnn::lstm::prepare));
        r.add_builtin(B::SVDF, f(rnn::svdf::prepare));
        r
    }

    /// Registers (or replaces) the kernel of a builtin operator.
    pub fn add_builtin(&mut self, op: tflite::BuiltinOperator, prepare: PrepareFn) {
        self.builtins.insert(op.0, prepare);
    }

    /// Registers (or replaces) the kernel of a custom operator, by its name in the model.
    pub fn add_custom(&mut self, name: impl Into<String>, prepare: PrepareFn) {
        self.customs.insert(name.into(), prepare);
    }

    /// The kernel for an operator code, if registered.
    pub fn find(&self, code: &OperatorCode) -> Option<&PrepareFn> {
        if code.builtin == B::CUSTOM {
            self.customs.get(code.custom_name.as_deref()?)
        } else {
            self.builtins.get(&code.builtin.0)
        }
    }

    /// Whether an operator code has a kernel.
    pub fn can_run(&self, code: &OperatorCode) -> bool {
        self.find(code).is_some()
    }
}

/// A tensor element type that can be viewed as a slice.
pub trait Element: bytemuck::Pod + Send + Sync {
    /// Whether tensors of `dtype` can be viewed as `[Self]`.
    fn matches(dtype: DType) -> bool;
}

macro_rules! element {
    ($t:ty, $($d:ident)|+) => {
        impl Element for $t {
            fn matches(dtype: DType) -> bool {
                matches!(dtype, $(DType::$d)|+)
            }
        }
    };
}
element!(i8, Int8);
element!(u8, UInt8 | Bool);
element!(i16, Int16);
element!(u16, UInt16 | Float16 | BFloat16);
element!(i32, Int32);
element!(u32, UInt32);
element!(i64, Int64);
element!(u64, UInt64);
element!(f32, Float32);
element!(f64, Float64);

/// What the interpreter knows about a tensor while preparing.
pub(crate) struct PrepTensor<'m> {
    pub shape: Vec<usize>,
    /// Values known at prepare time: constant data from the file, or a folded result.
    pub known: Option<Cow<'m, [u8]>>,
}

/// The one memory budget of an interpreter ([`crate::InterpreterOptions::max_memory_bytes`]):
/// every byte a model can make qlite allocate while preparing — kernel scratch and state, packed
/// or widened weights, folded constants, copies of misaligned constants, the activation arena —
/// is charged here *before* it is allocated, so a model that needs more is an error, never an
/// allocation (and never a zero-fill that wakes the OOM killer under overcommit).
#[derive(Debug)]
pub(crate) struct Budget {
    used: Cell<u64>,
    limit: u64,
}

impl Budget {
    pub(crate) fn new(limit: u64) -> Self {
        Budget { used: Cell::new(0), limit }
    }
    /// Adds `amount`; `Err(total)` (and nothing added) when the total would pass the limit.
    pub(crate) fn add(&self, amount: u64) -> std::result::Result<(), u64> {
        let total = self.used.get().saturating_add(amount);
        if total > self.limit {
            return Err(total);
        }
        self.used.set(total);
        Ok(())
    }
    /// Charges `bytes` of memory for `what`; an [`Error::Limit`] when the total would pass the
    /// limit.
    pub(crate) fn charge(&self, bytes: u64, what: &str) -> Result<()> {
        self.add(bytes).map_err(|total| self.memory_error(total, what))
    }
    /// An [`Error::Limit`] when charging `bytes` more would pass the limit (charges nothing).
    pub(crate) fn check(&self, bytes: u64, what: &str) -> Result<()> {
        let total = self.used.get().saturating_add(bytes);
        if total > self.limit { Err(self.memory_error(total, what)) } else { Ok(()) }
    }
    fn memory_error(&self, total: u64, what: &str) -> Error {
        Error::Limit { what: format!("memory for {what} (bytes, in total)"), value: total, limit: self.limit }
    }
    /// The amount charged so far.
    pub(crate) fn used(&self) -> u64 {
        self.used.get()
    }
    /// The limit.
    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }
}

/// A zero-filled `Vec` of `n` elements, charged to `budget` first and allocated fallibly.
pub(crate) fn alloc_charged<T: Clone + Default>(budget: &Budget, n: usize, what: &str) -> Result<Vec<T>> {
    let bytes = (n as u64).saturating_mul(std::mem::size_of::<T>() as u64);
    budget.charge(bytes, what)?;
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::Limit {
        what: format!("memory for {what} (bytes, could not allocate)"),
        value: bytes,
        limit: 0,
    })?;
    v.resize(n, T::default());
    Ok(v)
}

/// Most scratch and state regions one operator may request.
pub const MAX_SCRATCH_REGIONS: usize = 64;

/// A region of memory an operator requested at prepare: per-invoke scratch
/// ([`PrepareContext::request_scratch`]) or persistent state ([`PrepareContext::request_state`]).
/// It is valid only for the operator that requested it; [`Scratch`] hands out its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScratchId {
    /// Position among this operator's requests (scratch and state together).
    index: u8,
    state: bool,
    /// Byte offset in the operator's scratch block (scratch) or in the state area (state).
    offset: usize,
    len: usize,
}

/// The regions one operator requested, in request order: laid out back to back (16-byte
/// aligned) in its scratch block, or in the interpreter's state area.
#[derive(Debug, Default, Clone)]
pub(crate) struct ScratchLayout {
    pub(crate) regions: Vec<ScratchId>,
    /// Bytes of this operator's scratch block.
    pub(crate) scratch_bytes: usize,
}

/// The interpreter's state area: every operator's state regions back to back, and the value
/// each region starts from (and is reset to).
#[derive(Debug, Default, Clone)]
pub(crate) struct StateLayout {
    /// Bytes of the state area.
    pub(crate) end: usize,
    /// Per region: byte offset, byte length, and the bytes of one element of its initial value.
    init: Vec<(usize, usize, Vec<u8>)>,
}

impl StateLayout {
    /// Writes every region's initial value into `area` (the whole state area; bytes outside
    /// the regions are zeroed).
    pub(crate) fn reset(&self, area: &mut [u8]) {
        area.fill(0);
        for (offset, len, pattern) in &self.init {
            if pattern.iter().all(|&b| b == 0) {
                continue;
            }
            if let Some(region) = area.get_mut(*offset..offset + len) {
                for chunk in region.chunks_mut(pattern.len().max(1)) {
                    chunk.copy_from_slice(&pattern[..chunk.len()]);
                }
            }
        }
    }
}

impl ScratchLayout {
    /// Adds a region of `bytes`; scratch goes at the end of the block, state at `*state_end`.
    fn add(&mut self, bytes: usize, state: bool, state_end: &mut usize) -> Option<ScratchId> {
        if self.regions.len() >= MAX_SCRATCH_REGIONS {
            return None;
        }
        let end = if state { &mut *state_end } else { &mut self.scratch_bytes };
        let offset = *end;
        let next = offset.checked_add(bytes)?.checked_next_multiple_of(16)?;
        if next > isize::MAX as usize / 2 {
            return None;
        }
        *end = next;
        let id = ScratchId { index: self.regions.len() as u8, state, offset, len: bytes };
        self.regions.push(id);
        Some(id)
    }
}

#[cfg(test)]
thread_local! {
    /// The regions unit tests requested with [`test_scratch`] on this thread (each test runs on
    /// its own), which [`run_kernel`] provides.
    static TEST_SCRATCH: std::cell::RefCell<(ScratchLayout, StateLayout, Vec<u8>)> = std::cell::RefCell::default();
}

/// A scratch region of `n` elements of `T` for a kernel built by hand in a unit test.
#[cfg(test)]
pub(crate) fn test_scratch<T>(n: usize) -> ScratchId {
    TEST_SCRATCH.with(|t| {
        let (layout, state, _) = &mut *t.borrow_mut();
        layout.add(n * std::mem::size_of::<T>(), false, &mut state.end).expect("test scratch")
    })
}

/// A state region of `n` elements of `T` for a kernel built by hand in a unit test.
#[cfg(test)]
pub(crate) fn test_state<T: bytemuck::Pod>(n: usize, init: T) -> ScratchId {
    TEST_SCRATCH.with(|t| {
        let (layout, state, bytes) = &mut *t.borrow_mut();
        let id = layout.add(n * std::mem::size_of::<T>(), true, &mut state.end).expect("test state");
        state.init.push((id.offset, id.len, bytemuck::bytes_of(&init).to_vec()));
        // Every region at its initial value, then the older regions' current values kept.
        let mut fresh = vec![0u8; state.end];
        state.reset(&mut fresh);
        fresh[..bytes.len()].copy_from_slice(bytes);
        *bytes = fresh;
        id
    })
}

/// The current values of a unit test's state region (as the last [`run_kernel`] left them).
#[cfg(test)]
pub(crate) fn test_state_values<T: bytemuck::Pod>(id: ScratchId) -> Vec<T> {
    TEST_SCRATCH.with(|t| bytemuck::pod_collect_to_vec(&t.borrow().2[id.offset..id.offset + id.len]))
}

/// The scratch regions and state of the operator being run, as it requested them at prepare.
/// Each region can be taken once per run; scratch comes zero-filled (so every invoke starts
/// from the same memory), state keeps its values from one invoke to the next.
pub struct Scratch<'a> {
    regions: &'a [ScratchId],
    block: *mut u8,
    block_len: usize,
    state: *mut u8,
    state_len: usize,
    taken: u64,
    _borrow: std::marker::PhantomData<&'a mut [u8]>,
}

impl<'a> Scratch<'a> {
    /// # Safety
    /// `block` and `state` must be valid for writes of `block_len` and `state_len` bytes for `'a`,
    /// borrowed by nothing else while this runs (the block and the state area do not overlap
    /// the running operator's inputs and outputs), and every region of `regions` must lie in them.
    pub(crate) unsafe fn new(
        regions: &'a [ScratchId],
        block: *mut u8,
        block_len: usize,
        state: *mut u8,
        state_len: usize,
    ) -> Self {
        Scratch { regions, block, block_len, state, state_len, taken: 0, _borrow: std::marker::PhantomData }
    }

    fn take(&mut self, id: ScratchId) -> Result<&'a mut [u8]> {
        let bad = |what: &str| Error::Internal(format!("scratch region {}: {what}", id.index));
        if self.regions.get(id.index as usize) != Some(&id) {
            return Err(bad("not requested by this operator"));
        }
        let bit = 1u64 << id.index;
        if self.taken & bit != 0 {
            return Err(bad("taken twice in one run"));
        }
        let (base, len) = if id.state { (self.state, self.state_len) } else { (self.block, self.block_len) };
        if id.offset.checked_add(id.len).is_none_or(|end| end > len) {
            return Err(bad("outside its area"));
        }
        self.taken |= bit;
        // SAFETY: inside the area (checked above), which `new`'s contract reserves for this
        // operator; regions of one operator are disjoint (laid out back to back), and each is
        // handed out at most once per `Scratch` (the `taken` mask), so no two live slices alias.
        Ok(unsafe { std::slice::from_raw_parts_mut(base.add(id.offset), id.len) })
    }

    /// Scratch region `id` as `[T]`, zero-filled.
    pub fn get<T: bytemuck::Pod>(&mut self, id: ScratchId) -> Result<&'a mut [T]> {
        if id.state {
            return Err(Error::Internal(format!("region {} is state, not scratch", id.index)));
        }
        let b = self.take(id)?;
        b.fill(0);
        bytemuck::try_cast_slice_mut(b).map_err(|e| Error::Internal(format!("scratch region {}: {e}", id.index)))
    }

    /// State region `id` as `[T]`, with the values the previous invoke left (zeros at first and
    /// after [`crate::Interpreter::reset_state`]).
    pub fn state<T: bytemuck::Pod>(&mut self, id: ScratchId) -> Result<&'a mut [T]> {
        if !id.state {
            return Err(Error::Internal(format!("region {} is scratch, not state", id.index)));
        }
        let b = self.take(id)?;
        bytemuck::try_cast_slice_mut(b).map_err(|e| Error::Internal(format!("state region {}: {e}", id.index)))
    }
}

/// What a kernel's `prepare` can see and set.
pub struct PrepareContext<'p, 'm> {
    pub(crate) model: &'m Model,
    pub(crate) subgraph: usize,
    pub(crate) op_index: usize,
    pub(crate) op: &'m Operator,
    pub(crate) tensors: &'p mut [PrepTensor<'m>],
    pub(crate) folded_outputs: Vec<Option<Vec<u8>>>,
    pub(crate) budget: &'p Budget,
    /// The work budget of one invoke ([`crate::InterpreterOptions::max_work_per_invoke`]), in
    /// the steps kernels declare with [`PrepareContext::charge_work`].
    pub(crate) work: &'p Budget,
    pub(crate) profile: crate::Profile,
    /// The regions this operator requested so far.
    pub(crate) scratch: ScratchLayout,
    /// The interpreter's state area (every operator's state, back to back).
    pub(crate) state: &'p mut StateLayout,
}

impl<'p, 'm> PrepareContext<'p, 'm> {
    /// An error about this operator: the model is invalid ([`OpErrorKind::InvalidModel`]:
    /// wrong arity, missing options, mismatched shapes, an index out of range, bad quantization).
    pub fn err(&self, msg: impl Into<String>) -> Error {
        self.err_of_kind(OpErrorKind::InvalidModel, msg)
    }
    /// An error about this operator: TFLite's kernel accepts this type combination, option or
    /// form, but this build does not implement it ([`OpErrorKind::Unsupported`]).
    pub fn unsupported(&self, msg: impl Into<String>) -> Error {
        self.err_of_kind(OpErrorKind::Unsupported, msg)
    }
    /// An error about this operator that TFLite's kernel raises as well
    /// ([`OpErrorKind::RefusedByTflite`]).
    pub fn refused_by_tflite(&self, msg: impl Into<String>) -> Error {
        self.err_of_kind(OpErrorKind::RefusedByTflite, msg)
    }
    /// An error about this operator, of the given kind.
    pub fn err_of_kind(&self, kind: OpErrorKind, msg: impl Into<String>) -> Error {
        Error::Operator {
            subgraph: self.subgraph,
            op: self.op_index,
            opcode: self.opcode().name(),
            msg: msg.into(),
            kind,
        }
    }
    /// The model.
    pub fn model(&self) -> &'m Model {
        self.model
    }
    /// Charges `bytes` of memory that this kernel will allocate and keep (scratch, state, packed
    /// weights) against the interpreter's memory budget
    /// ([`crate::InterpreterOptions::max_memory_bytes`]). Call it *before* allocating; an error
    /// when the budget would be exceeded. [`Self::alloc`] charges and allocates in one call.
    pub fn charge(&self, bytes: usize, what: &str) -> Result<()> {
        self.budget.charge(bytes as u64, what).map_err(|e| self.err_of_kind(OpErrorKind::OverLimit, e.to_string()))
    }
    /// Declares that one invoke of this operator does about `steps` elementary steps (multiply-
    /// adds, window cells), charged against
    /// [`crate::InterpreterOptions::max_work_per_invoke`] (unlimited by default); an
    /// [`OpErrorKind::OverLimit`] error when the total would pass it.
    pub fn charge_work(&self, steps: u64, what: &str) -> Result<()> {
        self.work.add(steps).map_err(|total| {
            self.err_of_kind(
                OpErrorKind::OverLimit,
                format!(
                    "{what}: {steps} steps per invoke ({total} in total) is over the work limit of {}",
                    self.work.limit()
                ),
            )
        })
    }
    /// [`Self::charge_work`] for the product of `dims` (multiply-adds of a matrix product or a
    /// convolution: output elements × accumulation depth), saturating.
    pub fn charge_macs(&self, dims: &[usize], what: &str) -> Result<()> {
        self.charge_work(dims.iter().fold(1u64, |a, &d| a.saturating_mul(d as u64)), what)
    }
    /// A zero-filled buffer of `n` elements for this kernel, charged to the memory budget and
    /// allocated fallibly: an error, never an abort, when it does not fit.
    pub fn alloc<T: Clone + Default>(&self, n: usize, what: &str) -> Result<Vec<T>> {
        alloc_charged(self.budget, n, what).map_err(|e| self.err_of_kind(OpErrorKind::OverLimit, e.to_string()))
    }
    /// Requests a scratch region of `n` elements of `T` that [`Kernel::eval`] gets zero-filled
    /// from its [`Scratch`] at every invoke (an im2col patch, accumulators, a re-laid-out copy
    /// of a non-constant operand). The interpreter places each operator's scratch in the arena
    /// as a block live only while the operator runs, so it shares memory with tensors and with
    /// other operators' scratch; it is charged to the memory budget with the arena, and refused
    /// here ([`OpErrorKind::OverLimit`]) when the arena could not fit it: this operator's scratch
    /// and its computed inputs are in the arena at the same time.
    pub fn request_scratch<T: bytemuck::Pod>(&mut self, n: usize, what: &str) -> Result<ScratchId> {
        self.request(n, std::mem::size_of::<T>(), false, what)
    }
    /// Requests a state region of `n` elements of `T` that keeps its values from one invoke to
    /// the next (recurrent state): every element is `init` when the interpreter is created and
    /// after [`crate::Interpreter::reset_state`] (TFLite resets variable tensors to 0, or to the
    /// zero point for int8); [`Scratch::state`] hands it out. Charged to the memory budget; one
    /// per interpreter, never shared.
    pub fn request_state<T: bytemuck::Pod>(&mut self, n: usize, init: T, what: &str) -> Result<ScratchId> {
        let id = self.request(n, std::mem::size_of::<T>(), true, what)?;
        self.state.init.push((id.offset, id.len, bytemuck::bytes_of(&init).to_vec()));
        Ok(id)
    }
    fn request(&mut self, n: usize, size: usize, state: bool, what: &str) -> Result<ScratchId> {
        let over = |ctx: &Self, msg: String| ctx.err_of_kind(OpErrorKind::OverLimit, msg);
        let bytes = n.checked_mul(size).ok_or_else(|| over(self, format!("{what}: {n} elements is too large")))?;
        if state {
            // The state area's footprint: regions are 16-byte aligned.
            self.charge(bytes.checked_next_multiple_of(16).unwrap_or(usize::MAX), what)?;
        } else {
            // Charged with the arena, which holds it. Refused now when the arena cannot fit: it
            // holds at least this operator's scratch and its computed inputs at the same time.
            let mut live = (self.scratch.scratch_bytes as u64).saturating_add(bytes as u64);
            let mut seen: Vec<usize> = Vec::new();
            for &t in self.op.inputs.iter().flatten() {
                if seen.contains(&t) || self.tensors[t].known.is_some() {
                    continue;
                }
                seen.push(t);
                let elements = self.tensors[t].shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d as u64));
                let b = elements.and_then(|e| self.meta(t).dtype.byte_size(e)).unwrap_or(u64::MAX);
                live = live.saturating_add(b);
            }
            self.budget.check(live, what).map_err(|e| self.err_of_kind(OpErrorKind::OverLimit, e.to_string()))?;
        }
        self.scratch.add(bytes, state, &mut self.state.end).ok_or_else(|| {
            over(self, format!("{what}: too many or too large scratch regions (at most {MAX_SCRATCH_REGIONS})"))
        })
    }
    /// The arithmetic profile the interpreter reproduces
    /// ([`crate::InterpreterOptions::profile`]): kernels pick their requantization rule by it.
    pub fn profile(&self) -> crate::Profile {
        self.profile
    }
    /// The operator.
    pub fn op(&self) -> &'m Operator {
        self.op
    }
    /// The operator's index in its subgraph.
    pub fn op_index(&self) -> usize {
        self.op_index
    }
    /// The operator's code.
    pub fn opcode(&self) -> &'m OperatorCode {
        self.model.opcode(self.op)
    }
    /// The builtin options table, if it is of type `T`.
    pub fn options<T: tflite::BuiltinOptionsMember<'m>>(&self) -> Option<T> {
        self.model.operator_table(self.op).builtin_options_as::<T>()
    }
    /// The second builtin options table, if it is of type `T`.
    pub fn options2<T: tflite::BuiltinOptions2Member<'m>>(&self) -> Option<T> {
        self.model.operator_table(self.op).builtin_options_2_as::<T>()
    }
    /// The custom options bytes.
    pub fn custom_options(&self) -> Option<&'m [u8]> {
        self.model.custom_options(self.op)
    }
    /// Number of inputs (including omitted optional ones).
    pub fn num_inputs(&self) -> usize {
        self.op.inputs.len()
    }
    /// Number of outputs.
    pub fn num_outputs(&self) -> usize {
        self.op.outputs.len()
    }
    /// Checks the number of inputs and outputs.
    pub fn expect_io(&self, inputs: std::ops::RangeInclusive<usize>, outputs: usize) -> Result<()> {
        if !inputs.contains(&self.num_inputs()) || self.num_outputs() != outputs {
            return Err(self.err(format!(
                "expected {}..={} inputs and {outputs} outputs, got {} and {}",
                inputs.start(),
                inputs.end(),
                self.num_inputs(),
                self.num_outputs()
            )));
        }
        Ok(())
    }
    fn tensor_index(&self, list: &[Option<usize>], k: usize, what: &str) -> Result<usize> {
        list.get(k).copied().flatten().ok_or_else(|| self.err(format!("{what} {k} is missing")))
    }
    /// The tensor index of input `k` (an error if absent).
    pub fn input_index(&self, k: usize) -> Result<usize> {
        self.tensor_index(&self.op.inputs, k, "input")
    }
    /// The tensor index of output `k`.
    pub fn output_index(&self, k: usize) -> Result<usize> {
        self.tensor_index(&self.op.outputs, k, "output")
    }
    /// Whether optional input `k` is present.
    pub fn has_input(&self, k: usize) -> bool {
        self.op.inputs.get(k).copied().flatten().is_some()
    }
    fn meta(&self, t: usize) -> &'m Tensor {
        &self.model.subgraphs()[self.subgraph].tensors[t]
    }
    /// Metadata of input `k`.
    pub fn input(&self, k: usize) -> Result<&'m Tensor> {
        Ok(self.meta(self.input_index(k)?))
    }
    /// Metadata of output `k`.
    pub fn output(&self, k: usize) -> Result<&'m Tensor> {
        Ok(self.meta(self.output_index(k)?))
    }
    /// The current shape of input `k`.
    pub fn input_shape(&self, k: usize) -> Result<&[usize]> {
        let t = self.input_index(k)?;
        Ok(&self.tensors[t].shape)
    }
    /// The element type of input `k`.
    pub fn input_dtype(&self, k: usize) -> Result<DType> {
        Ok(self.input(k)?.dtype)
    }
    /// The element type of output `k`.
    pub fn output_dtype(&self, k: usize) -> Result<DType> {
        Ok(self.output(k)?.dtype)
    }
    /// Sets the shape of output `k`.
    pub fn set_output_shape(&mut self, k: usize, shape: Vec<usize>) -> Result<()> {
        let t = self.output_index(k)?;
        let elements = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d as u64));
        let dt = self.meta(t).dtype;
        if elements.and_then(|e| dt.byte_size(e)).is_none_or(|b| b > isize::MAX as u64 / 2) {
            return Err(self.err(format!("output shape {shape:?} is too large")));
        }
        self.tensors[t].shape = shape;
        Ok(())
    }
    /// The current shape of output `k`.
    pub fn output_shape(&self, k: usize) -> Result<&[usize]> {
        let t = self.output_index(k)?;
        Ok(&self.tensors[t].shape)
    }
    /// Declares the value of output `k` known now (an output computed from shapes alone). When
    /// every output of an operator is known, the operator does not run at invoke time.
    pub fn set_output_value(&mut self, k: usize, bytes: Vec<u8>) -> Result<()> {
        if self.folded_outputs.len() < self.num_outputs() {
            self.folded_outputs.resize(self.num_outputs(), None);
        }
        self.folded_outputs[k] = Some(bytes);
        Ok(())
    }
    /// The values of input `k` when known at prepare time (constant data), as `[T]`: borrowed from
    /// the file when aligned, else copied.
    pub fn input_value<T: Element>(&self, k: usize) -> Result<Option<Cow<'m, [T]>>> {
        let t = self.input_index(k)?;
        let dt = self.meta(t).dtype;
        if !T::matches(dt) {
            return Err(self.err(format!("input {k} is {dt}, expected {}", std::any::type_name::<T>())));
        }
        // A copy (a folded value, or misaligned file data) is charged to the memory budget first.
        let aligned = |b: &[u8]| bytemuck::try_cast_slice::<u8, T>(b).is_ok();
        Ok(match &self.tensors[t].known {
            None => None,
            Some(Cow::Borrowed(b)) if aligned(b) => Some(cast_cow(b)),
            Some(Cow::Borrowed(b)) => {
                self.charge(b.len(), "copies of misaligned constants")?;
                Some(cast_cow(b))
            }
            Some(Cow::Owned(v)) => {
                self.charge(v.len(), "copies of folded constants")?;
                Some(Cow::Owned(bytemuck::pod_collect_to_vec(v)))
            }
        })
    }
    /// Like [`Self::input_value`], but an error when the input is not constant.
    pub fn const_input<T: Element>(&self, k: usize) -> Result<Cow<'m, [T]>> {
        self.input_value(k)?.ok_or_else(|| self.unsupported(format!("input {k} must be constant")))
    }
    /// Quantization of input `k` (an error if absent).
    pub fn input_quant(&self, k: usize) -> Result<&'m Quantization> {
        self.input(k)?.quantization.as_ref().ok_or_else(|| self.err(format!("input {k} is not quantized")))
    }
    /// Quantization of output `k` (an error if absent).
    pub fn output_quant(&self, k: usize) -> Result<&'m Quantization> {
        self.output(k)?.quantization.as_ref().ok_or_else(|| self.err(format!("output {k} is not quantized")))
    }
}

/// Per-tensor (scale, zero point) of a quantization; an error for per-channel parameters.
pub fn per_tensor(ctx: &PrepareContext<'_, '_>, q: &Quantization, what: &str) -> Result<(f32, i32)> {
    if q.scale.len() != 1 {
        return Err(ctx.err(format!("{what} must be quantized per tensor")));
    }
    let zp = i32::try_from(q.zero_point[0]).map_err(|_| ctx.err(format!("{what} zero point out of range")))?;
    Ok((q.scale[0], zp))
}

/// Borrows `bytes` as `[T]` when aligned; copies otherwise.
pub fn cast_cow<T: Element>(bytes: &[u8]) -> Cow<'_, [T]> {
    match bytemuck::try_cast_slice(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytemuck::pod_collect_to_vec(bytes)),
    }
}

/// Where a tensor's bytes live while running.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Loc {
    /// Not materialized (an omitted optional tensor, or one no operator uses).
    None,
    /// In the arena at this byte offset.
    Arena { offset: usize, len: usize },
    /// Constant data in the model file.
    Model { offset: usize, len: usize },
    /// A constant copy or folded value owned by the interpreter.
    Owned { index: usize },
}

/// The inputs of the operator being run.
pub struct Inputs<'a> {
    pub(crate) arena: *const u8,
    pub(crate) arena_len: usize,
    pub(crate) model: &'a [u8],
    pub(crate) owned: &'a [crate::interpreter::AlignedBuf],
    pub(crate) locs: &'a [Loc],
    pub(crate) ids: &'a [Option<usize>],
}

impl<'a> Inputs<'a> {
    /// Number of inputs.
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    /// True when the operator has no inputs.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// The bytes of input `k` (empty for an omitted optional input).
    pub fn bytes(&self, k: usize) -> &'a [u8] {
        let Some(Some(t)) = self.ids.get(k) else { return &[] };
        match self.locs.get(*t) {
            Some(Loc::Arena { offset, len }) if offset + len <= self.arena_len => {
                // SAFETY: the planner placed this tensor inside the arena (checked just above)
                // and guaranteed that no output of the running operator overlaps it; the arena
                // is not resized or otherwise borrowed while an operator runs.
                unsafe { std::slice::from_raw_parts(self.arena.add(*offset), *len) }
            }
            Some(Loc::Model { offset, len }) => self.model.get(*offset..offset + len).unwrap_or(&[]),
            Some(Loc::Owned { index }) => self.owned.get(*index).map_or(&[], |b| b.bytes()),
            _ => &[],
        }
    }
    /// Input `k` as `[T]`. Its type was checked at prepare; a misaligned or mistyped view is an error.
    pub fn get<T: Element>(&self, k: usize) -> Result<&'a [T]> {
        bytemuck::try_cast_slice(self.bytes(k))
            .map_err(|e| Error::Usage(format!("input {k} as {}: {e}", std::any::type_name::<T>())))
    }
}

/// The outputs of the operator being run.
pub struct Outputs<'a> {
    pub(crate) arena: *mut u8,
    pub(crate) arena_len: usize,
    pub(crate) locs: &'a [Loc],
    pub(crate) ids: &'a [Option<usize>],
}

impl Outputs<'_> {
    /// Number of outputs.
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    /// True when the operator has no outputs.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// The bytes of output `k` (empty for an omitted optional output).
    pub fn bytes(&mut self, k: usize) -> &mut [u8] {
        let Some(Some(t)) = self.ids.get(k) else { return &mut [] };
        match self.locs.get(*t) {
            Some(Loc::Arena { offset, len }) if offset + len <= self.arena_len => {
                // SAFETY: inside the arena (checked above); the planner guarantees no other
                // output or input of the running operator overlaps this range, and `&mut self`
                // ensures one output slice is borrowed at a time.
                unsafe { std::slice::from_raw_parts_mut(self.arena.add(*offset), *len) }
            }
            _ => &mut [],
        }
    }
    /// Output `k` as `[T]`.
    pub fn get<T: Element>(&mut self, k: usize) -> Result<&mut [T]> {
        bytemuck::try_cast_slice_mut(self.bytes(k))
            .map_err(|e| Error::Usage(format!("output {k} as {}: {e}", std::any::type_name::<T>())))
    }
}

/// Runs a kernel on raw input bytes, for the kernels' unit tests: returns each output's bytes.
#[cfg(test)]
pub(crate) fn run_kernel(kernel: &dyn Kernel, inputs: &[&[u8]], output_sizes: &[usize]) -> Result<Vec<Vec<u8>>> {
    use crate::interpreter::AlignedBuf;
    let owned: Vec<AlignedBuf> = inputs.iter().map(|b| AlignedBuf::from_bytes(b)).collect();
    let mut locs: Vec<Loc> = (0..inputs.len()).map(|index| Loc::Owned { index }).collect();
    let mut offset = 0;
    for &len in output_sizes {
        locs.push(Loc::Arena { offset, len });
        offset = (offset + len).div_ceil(16) * 16;
    }
    let mut arena = AlignedBuf::zeroed(offset);
    let ptr = arena.bytes_mut().as_mut_ptr();
    let in_ids: Vec<Option<usize>> = (0..inputs.len()).map(Some).collect();
    let out_ids: Vec<Option<usize>> = (inputs.len()..inputs.len() + output_sizes.len()).map(Some).collect();
    let ins = Inputs { arena: ptr, arena_len: 0, model: &[], owned: &owned, locs: &locs, ids: &in_ids };
    let mut outs = Outputs { arena: ptr, arena_len: offset, locs: &locs, ids: &out_ids };
    let (layout, _, state_bytes) = TEST_SCRATCH.with(|t| t.borrow().clone());
    let mut block = AlignedBuf::zeroed(layout.scratch_bytes);
    let mut state = AlignedBuf::from_bytes(&state_bytes);
    let (block_len, state_len) = (block.bytes().len(), state.bytes().len());
    // SAFETY: two buffers of their own, alive for the call; the layout placed every region in them.
    let mut sc = unsafe {
        Scratch::new(
            &layout.regions,
            block.bytes_mut().as_mut_ptr(),
            block_len,
            state.bytes_mut().as_mut_ptr(),
            state_len,
        )
    };
    kernel.eval(&ins, &mut outs, &mut sc)?;
    TEST_SCRATCH.with(|t| t.borrow_mut().2.copy_from_slice(state.bytes()));
    Ok(locs[inputs.len()..]
        .iter()
        .map(|l| match l {
            Loc::Arena { offset, len } => arena.bytes()[*offset..offset + len].to_vec(),
            _ => Vec::new(),
        })
        .collect())
}
