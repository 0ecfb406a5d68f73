//! The interpreter: prepare once, invoke many times.
//!
//! Contract:
//! - [`Interpreter::new`] resolves every operator of the main subgraph in an [`OpRegistry`]
//!   (an unknown operator is an error naming its index and opcode or custom name), runs each
//!   kernel's `prepare` in execution order, folds operators whose inputs are all known at prepare
//!   time (shape arithmetic such as Keras `Flatten`'s SHAPE → STRIDED_SLICE → PACK), and plans one
//!   arena for every other tensor from the tensors' lifetimes, reusing the memory of dead tensors;
//!   each operator's scratch ([`PrepareContext::request_scratch`]) is a block of the same arena,
//!   live during that operator's step only, so [`Interpreter::arena_size`] is the whole working
//!   memory. Operator state ([`PrepareContext::request_state`]: LSTM, SVDF) is in a separate
//!   area that is never reused; [`Interpreter::reset_state`] puts it back to its initial value.
//! - The graph is checked before any kernel trusts it: a tensor written by two operators, or read
//!   (other than a variable) before the operator that writes it, is refused, and after planning
//!   every operator's tensors must still have the sizes its kernel was prepared with. An operator
//!   whose outputs are all empty is not run. Everything prepare allocates is charged to one memory
//!   budget ([`InterpreterOptions::max_memory_bytes`]) before it is allocated.
//! - [`Interpreter::invoke`] runs the kernels in order. It allocates nothing and re-validates
//!   nothing.
//! - What prepare made is a [`PreparedGraph`]: immutable, `Send + Sync`, behind an `Arc`.
//!   [`Interpreter::share`] / [`Interpreter::from_prepared`] make more interpreters of it, each
//!   with only its own arena and state, so N interpreters (or threads) of one model hold one copy
//!   of the prepared weights.
//! - Any tensor can be read after `invoke`; an intermediate one keeps its value only until the
//!   planner reuses its memory, unless [`InterpreterOptions::preserve_all_tensors`] is set.

use std::borrow::Cow;

use crate::dtype::DType;
use crate::error::{Error, OpErrorKind, Result};
use crate::model::{Model, Tensor};
use crate::ops::{
    Budget, Element, Inputs, Kernel, Loc, OpRegistry, Outputs, PrepTensor, PrepareContext, Scratch, ScratchLayout,
    StateLayout,
};

mod plan;
use plan::plan;

/// Arena and constant buffers are aligned to this many bytes.
const ALIGN: usize = 16;

/// A byte buffer aligned to 16 bytes.
#[derive(Clone, Default)]
pub struct AlignedBuf {
    words: Vec<u128>,
    len: usize,
}

impl AlignedBuf {
    /// `len` zero bytes.
    pub fn zeroed(len: usize) -> Self {
        AlignedBuf { words: vec![0u128; len.div_ceil(16)], len }
    }
    /// A copy of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut b = Self::zeroed(bytes.len());
        b.bytes_mut().copy_from_slice(bytes);
        b
    }
    /// `len` zero bytes, or an error (not an abort) when they cannot be allocated.
    pub fn try_zeroed(len: usize) -> Result<Self> {
        let n = len.div_ceil(16);
        let mut words = Vec::new();
        words.try_reserve_exact(n).map_err(|_| Error::Limit {
            what: "memory (bytes, could not allocate)".into(),
            value: len as u64,
            limit: 0,
        })?;
        words.resize(n, 0u128);
        Ok(AlignedBuf { words, len })
    }
    /// A copy of `bytes`, or an error when it cannot be allocated.
    pub fn try_from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut b = Self::try_zeroed(bytes.len())?;
        b.bytes_mut().copy_from_slice(bytes);
        Ok(b)
    }
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &bytemuck::cast_slice(&self.words)[..self.len]
    }
    /// The bytes, mutably.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut bytemuck::cast_slice_mut(&mut self.words)[..self.len]
    }
}

/// Options for [`Interpreter::with_options`].
#[derive(Debug, Clone)]
pub struct InterpreterOptions {
    /// Give every tensor its own memory, so that every intermediate tensor can be read after
    /// `invoke` (for per-layer comparison). Uses more memory.
    pub preserve_all_tensors: bool,
    /// The interpreter's one memory budget, in bytes (default 4 GiB): the activation arena plus
    /// everything the kernels keep (scratch, recurrent state, packed or widened weights), folded
    /// constants and copies of misaligned constants. Each is charged before it is allocated, so a
    /// model that needs more is an [`Error::Limit`], not an allocation.
    pub max_memory_bytes: usize,
    /// Which TFLite runtime's arithmetic to reproduce (default: the reference kernels).
    pub profile: crate::Profile,
    /// Most elementary steps one invoke may take, as the kernels declare them at prepare
    /// (default: unlimited, as TFLite). Today pooling declares its window steps: its window is an
    /// option, so a tiny file can ask for 10^12 of them. A service that runs untrusted models
    /// sets this to bound the time of an invoke.
    pub max_work_per_invoke: u64,
}

impl Default for InterpreterOptions {
    fn default() -> Self {
        InterpreterOptions {
            preserve_all_tensors: false,
            max_memory_bytes: 4 << 30,
            profile: crate::Profile::default(),
            max_work_per_invoke: u64::MAX,
        }
    }
}

struct Step<'m> {
    op_index: usize,
    kernel: Box<dyn Kernel + 'm>,
    /// The scratch and state regions the kernel requested.
    scratch: ScratchLayout,
    /// Arena offset of this step's scratch block (`scratch.scratch_bytes` long).
    scratch_offset: usize,
}

/// The immutable result of preparing a model: the prepared kernels (multipliers, tables, packed
/// or widened weights), constants qlite had to copy or fold, where every tensor lives, and the
/// arena and state layout. It is `Send + Sync` and shared (`Arc`) by every [`Interpreter`]
/// made from it ([`Interpreter::share`], [`Interpreter::from_prepared`]), so N interpreters of
/// one model, on any threads, hold one copy of it and each only its own arena and state.
pub struct PreparedGraph<'m> {
    model: &'m Model,
    subgraph: usize,
    shapes: Vec<Vec<usize>>,
    locs: Vec<Loc>,
    owned: Vec<AlignedBuf>,
    steps: Vec<Step<'m>>,
    /// Bytes of the arena each interpreter allocates.
    arena_len: usize,
    /// Where each state region lies and the value it starts from.
    state_layout: StateLayout,
    /// Bytes charged for this graph itself (everything but an interpreter's arena and state).
    memory_bytes: u64,
    work: u64,
}

impl std::fmt::Debug for PreparedGraph<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedGraph")
            .field("operators_run", &self.steps.len())
            .field("arena_bytes", &self.arena_len)
            .field("prepared_bytes", &self.memory_bytes)
            .finish_non_exhaustive()
    }
}

impl PreparedGraph<'_> {
    /// Bytes charged to the memory budget for the graph itself, shared by its interpreters:
    /// packed or widened weights, folded and copied constants, tables (not the arenas and state
    /// of the interpreters).
    pub fn memory_bytes(&self) -> u64 {
        self.memory_bytes
    }
    /// Bytes of the arena each interpreter of this graph allocates.
    pub fn arena_size(&self) -> usize {
        self.arena_len
    }
    /// Bytes of the operator state each interpreter of this graph allocates.
    pub fn state_size(&self) -> usize {
        self.state_layout.end
    }
}

/// Runs one model. Create it once, then fill inputs and [`invoke`](Interpreter::invoke) as often
/// as needed. It holds its own arena (inputs, outputs, intermediate tensors, scratch) and
/// operator state, and shares the [`PreparedGraph`] with the interpreters [`Interpreter::share`]
/// makes.
pub struct Interpreter<'m> {
    graph: std::sync::Arc<PreparedGraph<'m>>,
    arena: AlignedBuf,
    /// Every operator's persistent state ([`PrepareContext::request_state`]), never reused.
    state: AlignedBuf,
}

impl std::fmt::Debug for Interpreter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interpreter")
            .field("operators_run", &self.graph.steps.len())
            .field("arena_bytes", &self.arena.len)
            .finish_non_exhaustive()
    }
}

impl<'m> Interpreter<'m> {
    /// Prepares `model` with every builtin kernel of this crate.
    pub fn new(model: &'m Model) -> Result<Self> {
        Self::with_options(model, &OpRegistry::with_builtins(), &InterpreterOptions::default())
    }

    /// Prepares `model` with the kernels of `registry`.
    pub fn with_registry(model: &'m Model, registry: &OpRegistry) -> Result<Self> {
        Self::with_options(model, registry, &InterpreterOptions::default())
    }

    /// Prepares `model` with the kernels of `registry` and the given options.
    pub fn with_options(model: &'m Model, registry: &OpRegistry, options: &InterpreterOptions) -> Result<Self> {
        let subgraph = 0;
        let sg = model.main_subgraph();
        let mut tensors: Vec<PrepTensor<'m>> = sg
            .tensors
            .iter()
            .enumerate()
            .map(|(i, t)| PrepTensor {
                shape: t.shape.clone(),
                // A variable tensor is state, never a constant, so an operator reading one (SVDF,
                // LSTM state) is never folded at prepare time. A buffer on it is ignored (TFLite's
                // Python interpreter refuses such a model: "variable tensor with buffer").
                known: if t.is_variable { None } else { model.tensor_data(subgraph, i).map(Cow::Borrowed) },
            })
            .collect();
        for &i in &sg.inputs {
            tensors[i].known = None;
        }
        let (mut is_model_input, mut is_model_output) = (vec![false; tensors.len()], vec![false; tensors.len()]);
        for &t in &sg.inputs {
            is_model_input[t] = true;
        }
        for &t in &sg.outputs {
            is_model_output[t] = true;
        }
        let producers = producers(model, subgraph)?;
        let budget = Budget::new(options.max_memory_bytes as u64);
        let work = Budget::new(options.max_work_per_invoke);
        let mut steps = Vec::new();
        let mut state_layout = StateLayout::default();
        // Per step, the bytes each non-constant input and output had when the kernel was
        // prepared: checked against the final plan below, so that no kernel can ever run on a
        // tensor whose size changed after it captured its geometry.
        let mut prepared_sizes: Vec<Vec<(usize, usize)>> = Vec::new();
        for (op_index, op) in sg.operators.iter().enumerate() {
            let code = model.opcode(op);
            let op_err_of = |kind: OpErrorKind, msg: String| Error::Operator {
                subgraph,
                op: op_index,
                opcode: code.name(),
                msg,
                kind,
            };
            let op_err = |msg: String| op_err_of(OpErrorKind::InvalidModel, msg);
            let prepare = registry.find(code).ok_or_else(|| {
                op_err_of(OpErrorKind::Unsupported, "no kernel for this operator in this build".into())
            })?;
            for (k, t) in op.outputs.iter().enumerate() {
                if let Some(t) = t {
                    if op.inputs.contains(&Some(*t)) {
                        return Err(op_err(format!("output {k} (tensor {t}) is also an input")));
                    }
                    if is_model_input[*t] || tensors[*t].known.is_some() {
                        return Err(op_err(format!("output {k} (tensor {t}) is a model input or a constant")));
                    }
                }
            }
            for (k, t) in op.inputs.iter().enumerate() {
                let Some(t) = *t else { continue };
                let meta = &sg.tensors[t];
                if meta.is_sparse {
                    return Err(op_err_of(
                        OpErrorKind::Unsupported,
                        format!("input {k} (tensor {t}) is a sparse tensor; qlite does not densify sparse tensors yet"),
                    ));
                }
                // A tensor read before the operator that writes it would be prepared against its
                // declared shape and then resized by its producer (variables are state: they are
                // read before they are written by design).
                if let Some(p) = producers[t]
                    && p > op_index
                    && !meta.is_variable
                    && tensors[t].known.is_none()
                {
                    return Err(op_err(format!(
                        "input {k} (tensor {t}) is read before operator {p} writes it (operators must be in execution order)"
                    )));
                }
            }
            let mut ctx = PrepareContext {
                model,
                subgraph,
                op_index,
                op,
                tensors: &mut tensors,
                folded_outputs: Vec::new(),
                budget: &budget,
                work: &work,
                profile: options.profile,
                scratch: ScratchLayout::default(),
                state: &mut state_layout,
            };
            let kernel = prepare(&mut ctx)?;
            let folded = std::mem::take(&mut ctx.folded_outputs);
            let scratch = std::mem::take(&mut ctx.scratch);
            let n_out = op.outputs.len();
            if n_out > 0 && folded.len() == n_out && folded.iter().all(Option::is_some) {
                // The kernel computed its outputs from shapes alone.
                for (t, v) in op.outputs.iter().zip(folded) {
                    if let (Some(t), Some(v)) = (t, v) {
                        tensors[*t].known = Some(Cow::Owned(v));
                    }
                }
                continue;
            }
            let all_known = op.inputs.iter().flatten().all(|&t| tensors[t].known.is_some());
            let has_inputs = op.inputs.iter().flatten().next().is_some();
            let outputs_are_model_outputs = op.outputs.iter().flatten().any(|&t| is_model_output[t]);
            if all_known && has_inputs && n_out > 0 && !outputs_are_model_outputs {
                // Folding runs the kernel: its failures are run-time ones (or internal).
                fold(model, op, &mut tensors, kernel.as_ref(), &scratch, &state_layout, &budget).map_err(
                    |e| match e {
                        e @ Error::Internal(_) => e,
                        e => op_err_of(e.op_kind().unwrap_or(OpErrorKind::Runtime), format!("while folding: {e}")),
                    },
                )?;
                continue;
            }
            let mut sizes = Vec::new();
            for &t in op.inputs.iter().chain(&op.outputs).flatten() {
                if tensors[t].known.is_none() {
                    let bytes = tensor_bytes(&sg.tensors[t], &tensors[t].shape)
                        .ok_or_else(|| op_err(format!("tensor {t} of shape {:?} is too large", tensors[t].shape)))?;
                    sizes.push((t, bytes));
                }
            }
            // An operator whose outputs are all empty has nothing to compute (and its loops over
            // the other, possibly huge, dimensions must not run).
            let all_outputs_empty = n_out > 0 && op.outputs.iter().flatten().all(|&t| tensors[t].shape.contains(&0));
            if all_outputs_empty && op.outputs.iter().all(Option::is_some) {
                continue;
            }
            prepared_sizes.push(sizes);
            steps.push(Step { op_index, kernel, scratch, scratch_offset: 0 });
        }

        // Materialize constants: borrowed from the file when aligned for their type, else copied.
        let bytes_base = model.bytes().as_ptr() as usize;
        let mut owned = Vec::new();
        let mut locs = vec![Loc::None; tensors.len()];
        for (i, t) in tensors.iter().enumerate() {
            match &t.known {
                Some(Cow::Borrowed(b)) => {
                    let align = (sg.tensors[i].dtype.bits().unwrap_or(8) / 8).clamp(1, 8) as usize;
                    let offset = b.as_ptr() as usize - bytes_base;
                    if (b.as_ptr() as usize).is_multiple_of(align) {
                        locs[i] = Loc::Model { offset, len: b.len() };
                    } else {
                        budget.charge(b.len() as u64, "copies of misaligned constants")?;
                        owned.push(AlignedBuf::try_from_bytes(b)?);
                        locs[i] = Loc::Owned { index: owned.len() - 1 };
                    }
                }
                Some(Cow::Owned(v)) => {
                    // Charged when folded.
                    owned.push(AlignedBuf::try_from_bytes(v)?);
                    locs[i] = Loc::Owned { index: owned.len() - 1 };
                }
                None => {}
            }
        }

        // Lifetimes of the tensors the arena holds, in step numbers.
        let never = usize::MAX;
        let mut first = vec![never; tensors.len()];
        let mut last = vec![0usize; tensors.len()];
        let touch = |t: usize, s: usize, first: &mut Vec<usize>, last: &mut Vec<usize>| {
            first[t] = first[t].min(s);
            last[t] = last[t].max(s);
        };
        for &t in &sg.inputs {
            touch(t, 0, &mut first, &mut last);
        }
        for (s, step) in steps.iter().enumerate() {
            let op = &sg.operators[step.op_index];
            for &t in op.inputs.iter().chain(&op.outputs).flatten() {
                if tensors[t].known.is_none() {
                    touch(t, s, &mut first, &mut last);
                }
            }
        }
        for &t in &sg.outputs {
            if tensors[t].known.is_none() {
                touch(t, 0, &mut first, &mut last);
                last[t] = never;
            }
        }
        let mut live: Vec<(usize, usize, usize, usize)> = Vec::new(); // (tensor, size, first, last)
        for t in 0..tensors.len() {
            if first[t] == never {
                continue;
            }
            let size = tensor_bytes(&sg.tensors[t], &tensors[t].shape).ok_or_else(|| Error::Tensor {
                subgraph,
                tensor: t,
                name: sg.tensors[t].name.clone(),
                msg: format!("cannot hold a {} tensor of shape {:?}", sg.tensors[t].dtype, tensors[t].shape),
            })?;
            let (f, l) = if options.preserve_all_tensors || sg.tensors[t].is_variable {
                (0, never)
            } else {
                (first[t], last[t])
            };
            live.push((t, size, f, l));
        }
        // Each step's scratch block is live during that step only (keyed after the tensors).
        let n_tensors = tensors.len();
        for (s, step) in steps.iter().enumerate() {
            if step.scratch.scratch_bytes > 0 {
                live.push((n_tensors + s, step.scratch.scratch_bytes, s, s));
            }
        }
        let (arena_len, offsets) = plan(&live);
        budget.charge(arena_len as u64, "the activation arena (tensors and operator scratch)")?;
        let arena = AlignedBuf::try_zeroed(arena_len)?;
        // Charged when requested.
        let mut state = AlignedBuf::try_zeroed(state_layout.end)?;
        state_layout.reset(state.bytes_mut());
        for (&(t, size, _, _), offset) in live.iter().zip(offsets) {
            if t < n_tensors {
                locs[t] = Loc::Arena { offset, len: size };
            } else if let Some(step) = steps.get_mut(t - n_tensors) {
                step.scratch_offset = offset;
            }
        }
        for (step, sizes) in steps.iter().zip(&prepared_sizes) {
            for &(t, bytes) in sizes {
                let len = match locs[t] {
                    Loc::Arena { len, .. } | Loc::Model { len, .. } => len,
                    Loc::Owned { index } => owned.get(index).map_or(0, |b| b.bytes().len()),
                    Loc::None => 0,
                };
                if len != bytes {
                    return Err(Error::Internal(format!(
                        "subgraph {subgraph}, operator {} ({}): tensor {t} was prepared with {bytes} bytes but is \
                         planned with {len}",
                        step.op_index,
                        model.opcode(&sg.operators[step.op_index]).name()
                    )));
                }
            }
        }
        let shapes = tensors.into_iter().map(|t| t.shape).collect();
        let own = (arena.len + state.len) as u64;
        let graph = PreparedGraph {
            model,
            subgraph,
            shapes,
            locs,
            owned,
            steps,
            arena_len,
            state_layout,
            memory_bytes: budget.used().saturating_sub(own),
            work: work.used(),
        };
        Ok(Interpreter { graph: std::sync::Arc::new(graph), arena, state })
    }

    /// A new interpreter of an already prepared graph: allocates only its own arena and state
    /// (the graph's kernels, weights and constants are shared, not copied); an error, not an
    /// abort, when they cannot be allocated.
    pub fn from_prepared(graph: std::sync::Arc<PreparedGraph<'m>>) -> Result<Self> {
        let arena = AlignedBuf::try_zeroed(graph.arena_len)?;
        let mut state = AlignedBuf::try_zeroed(graph.state_layout.end)?;
        graph.state_layout.reset(state.bytes_mut());
        Ok(Interpreter { graph, arena, state })
    }

    /// Another interpreter of the same prepared graph ([`Self::from_prepared`] of
    /// [`Self::prepared`]), with its own fresh arena and state: for another thread, or another
    /// stream of a recurrent model. Each interpreter is `Send`.
    ///
    /// ```
    /// # fn main() -> Result<(), qlite::Error> {
    /// let model = qlite::Model::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/models/mlp_int8.tflite"))?;
    /// let mut a = qlite::Interpreter::new(&model)?;
    /// let mut b = a.share()?;
    /// std::thread::scope(|s| {
    ///     s.spawn(|| a.invoke());
    ///     s.spawn(|| b.invoke());
    /// });
    /// # Ok(())
    /// # }
    /// ```
    pub fn share(&self) -> Result<Self> {
        Self::from_prepared(self.graph.clone())
    }

    /// The prepared graph this interpreter runs (shared with the interpreters made from it).
    pub fn prepared(&self) -> &std::sync::Arc<PreparedGraph<'m>> {
        &self.graph
    }

    /// The model.
    pub fn model(&self) -> &'m Model {
        self.graph.model
    }
    /// Bytes of the activation arena: every tensor computed at invoke and every operator's
    /// scratch, placed by lifetime (so memory is reused).
    pub fn arena_size(&self) -> usize {
        self.arena.len
    }
    /// Bytes of the persistent state of the operators (recurrent state: LSTM, SVDF).
    pub fn state_size(&self) -> usize {
        self.state.len
    }
    /// Resets every operator's persistent state to the value it started from (TFLite's
    /// `ResetVariableTensors`: 0, or the zero point for int8 state), so the next invoke runs as
    /// the first one did.
    pub fn reset_state(&mut self) {
        self.graph.state_layout.reset(self.state.bytes_mut());
    }
    /// Bytes charged to the memory budget ([`InterpreterOptions::max_memory_bytes`]): the arena
    /// (with the kernels' scratch) and the kernels' state of this interpreter, plus its prepared
    /// graph's packed weights, folded and copied constants ([`PreparedGraph::memory_bytes`],
    /// shared with the interpreters made by [`Interpreter::share`]).
    pub fn memory_bytes(&self) -> u64 {
        self.graph.memory_bytes + (self.arena.len + self.state.len) as u64
    }
    /// The work one invoke does, as the kernels declared it at prepare
    /// ([`InterpreterOptions::max_work_per_invoke`]; today pooling's window steps only).
    pub fn work_per_invoke(&self) -> u64 {
        self.graph.work
    }
    /// Number of operators run per invoke (operators folded at prepare time are not counted).
    pub fn num_steps(&self) -> usize {
        self.graph.steps.len()
    }
    /// Tensor indices of the model's inputs.
    pub fn inputs(&self) -> &'m [usize] {
        &self.graph.model.subgraphs()[self.graph.subgraph].inputs
    }
    /// Tensor indices of the model's outputs.
    pub fn outputs(&self) -> &'m [usize] {
        &self.graph.model.subgraphs()[self.graph.subgraph].outputs
    }
    /// Metadata of a tensor.
    pub fn tensor_info(&self, tensor: usize) -> Result<&'m Tensor> {
        self.graph.model.subgraphs()[self.graph.subgraph]
            .tensors
            .get(tensor)
            .ok_or_else(|| Error::Usage(format!("tensor {tensor} does not exist")))
    }
    /// The shape of a tensor as prepared.
    pub fn tensor_shape(&self, tensor: usize) -> Result<&[usize]> {
        self.graph
            .shapes
            .get(tensor)
            .map(Vec::as_slice)
            .ok_or_else(|| Error::Usage(format!("tensor {tensor} does not exist")))
    }
    fn io_tensor(&self, list: &[usize], k: usize, what: &str) -> Result<usize> {
        list.get(k)
            .copied()
            .ok_or_else(|| Error::Usage(format!("the model has {} {what}s; there is no {what} {k}", list.len())))
    }
    /// The bytes of any tensor (empty for a tensor that no operator materializes).
    pub fn tensor_bytes(&self, tensor: usize) -> Result<&[u8]> {
        Ok(
            match self.graph.locs.get(tensor).ok_or_else(|| Error::Usage(format!("tensor {tensor} does not exist")))? {
                Loc::None => &[],
                Loc::Arena { offset, len } => &self.arena.bytes()[*offset..offset + len],
                Loc::Model { offset, len } => &self.graph.model.bytes()[*offset..offset + len],
                Loc::Owned { index } => self.graph.owned[*index].bytes(),
            },
        )
    }
    /// Any tensor's values, typed.
    pub fn tensor<T: Element>(&self, tensor: usize) -> Result<&[T]> {
        let dt = self.tensor_info(tensor)?.dtype;
        check_type::<T>(dt, tensor)?;
        bytemuck::try_cast_slice(self.tensor_bytes(tensor)?).map_err(|e| Error::Usage(format!("tensor {tensor}: {e}")))
    }
    /// Input `k`'s bytes, to fill before `invoke`.
    pub fn input_bytes_mut(&mut self, k: usize) -> Result<&mut [u8]> {
        let t = self.io_tensor(self.inputs(), k, "input")?;
        match self.graph.locs[t] {
            Loc::Arena { offset, len } => Ok(&mut self.arena.bytes_mut()[offset..offset + len]),
            _ => Ok(&mut []),
        }
    }
    /// Input `k`, typed (an error if `T` is not its element type).
    pub fn input_mut<T: Element>(&mut self, k: usize) -> Result<&mut [T]> {
        let t = self.io_tensor(self.inputs(), k, "input")?;
        check_type::<T>(self.tensor_info(t)?.dtype, t)?;
        bytemuck::try_cast_slice_mut(self.input_bytes_mut(k)?).map_err(|e| Error::Usage(format!("input {k}: {e}")))
    }
    /// Output `k`'s bytes.
    pub fn output_bytes(&self, k: usize) -> Result<&[u8]> {
        let t = self.io_tensor(self.outputs(), k, "output")?;
        self.tensor_bytes(t)
    }
    /// Output `k`, typed (an error if `T` is not its element type).
    pub fn output<T: Element>(&self, k: usize) -> Result<&[T]> {
        let t = self.io_tensor(self.outputs(), k, "output")?;
        self.tensor(t)
    }

    /// Runs every operator once on the current inputs.
    pub fn invoke(&mut self) -> Result<()> {
        self.invoke_with(&mut NoObserver)
    }

    /// Runs every operator once on the current inputs, calling `observer` after each operator
    /// with a read-only view of it and of every tensor. The observer sees intermediate tensors
    /// before the planner reuses their memory, so per-layer tools need no
    /// [`InterpreterOptions::preserve_all_tensors`]. [`Interpreter::invoke`] is this with an
    /// observer that does nothing (and is compiled away).
    ///
    /// ```
    /// # fn main() -> Result<(), qlite::Error> {
    /// use qlite::interpreter::{OpView, Observer};
    /// let model = qlite::Model::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/models/mlp_int8.tflite"))?;
    /// let mut interp = qlite::Interpreter::new(&model)?;
    /// struct Count(Vec<String>);
    /// impl Observer for Count {
    ///     fn after_op(&mut self, op: &OpView<'_, '_>) -> Result<(), qlite::Error> {
    ///         let out = op.outputs()[0].expect("one output");
    ///         self.0.push(format!("{} -> {} bytes", op.opcode().name(), op.tensor_bytes(out)?.len()));
    ///         Ok(())
    ///     }
    /// }
    /// let mut seen = Count(Vec::new());
    /// interp.invoke_with(&mut seen)?;
    /// assert_eq!(seen.0.len(), interp.num_steps());
    /// # Ok(())
    /// # }
    /// ```
    pub fn invoke_with<O: Observer + ?Sized>(&mut self, observer: &mut O) -> Result<()> {
        for step in 0..self.graph.steps.len() {
            self.run_step(step)?;
            if O::ACTIVE {
                observer.after_op(&OpView { interp: self, step })?;
            }
        }
        Ok(())
    }

    fn run_step(&mut self, index: usize) -> Result<()> {
        let sg = &self.graph.model.subgraphs()[self.graph.subgraph];
        let arena_len = self.arena.len;
        let arena = self.arena.bytes_mut().as_mut_ptr();
        let Some(step) = self.graph.steps.get(index) else { return Ok(()) };
        let op = &sg.operators[step.op_index];
        let inputs = Inputs {
            arena,
            arena_len,
            model: self.graph.model.bytes(),
            owned: &self.graph.owned,
            locs: &self.graph.locs,
            ids: &op.inputs,
        };
        let mut outputs = Outputs { arena, arena_len, locs: &self.graph.locs, ids: &op.outputs };
        let (block_offset, block_len) = (step.scratch_offset, step.scratch.scratch_bytes);
        if block_offset.checked_add(block_len).is_none_or(|end| end > arena_len) {
            return Err(Error::Internal(format!("operator {}: scratch block outside the arena", step.op_index)));
        }
        let state_len = self.state.len;
        // SAFETY: the scratch block is inside the arena (checked above) and the planner placed it
        // where no tensor live during this step (the operator's inputs and outputs) lies; the
        // state area is a buffer of its own. Nothing else borrows either while the kernel runs,
        // and the step's regions were laid out inside them.
        let mut scratch = unsafe {
            Scratch::new(
                &step.scratch.regions,
                arena.add(block_offset),
                block_len,
                self.state.bytes_mut().as_mut_ptr(),
                state_len,
            )
        };
        // A kernel's own operator error keeps its kind, and an invariant failure stays internal;
        // anything else a kernel returns at invoke is a run-time failure of this operator.
        step.kernel.eval(&inputs, &mut outputs, &mut scratch).map_err(|e| match e {
            e @ Error::Operator { .. } => e,
            Error::Internal(msg) => Error::Internal(format!(
                "subgraph {}, operator {} ({}): {msg}",
                self.graph.subgraph,
                step.op_index,
                self.graph.model.opcode(op).name()
            )),
            e => Error::Operator {
                subgraph: self.graph.subgraph,
                op: step.op_index,
                opcode: self.graph.model.opcode(op).name(),
                msg: e.to_string(),
                kind: OpErrorKind::Runtime,
            },
        })
    }
}

/// Watches an [`Interpreter::invoke_with`] run: called after each operator.
pub trait Observer {
    /// Whether `after_op` is called at all; `false` only for an observer that does nothing, so
    /// that a plain `invoke` pays nothing for the hook.
    const ACTIVE: bool = true;
    /// Called after the operator of `op` ran; an error stops the invoke and is returned by it.
    fn after_op(&mut self, op: &OpView<'_, '_>) -> Result<()>;
}

/// The observer of a plain [`Interpreter::invoke`].
struct NoObserver;

impl Observer for NoObserver {
    const ACTIVE: bool = false;
    fn after_op(&mut self, _: &OpView<'_, '_>) -> Result<()> {
        Ok(())
    }
}

/// An operator that just ran, seen by an [`Observer`]: which one it is, its tensors, and the
/// interpreter (to read any tensor's current bytes, shape, type and quantization).
pub struct OpView<'i, 'm> {
    interp: &'i Interpreter<'m>,
    step: usize,
}

impl<'m> OpView<'_, 'm> {
    fn operator(&self) -> &'m crate::model::Operator {
        let op_index = self.interp.graph.steps.get(self.step).map_or(0, |s| s.op_index);
        &self.interp.graph.model.subgraphs()[self.interp.graph.subgraph].operators[op_index]
    }
    /// The position of this operator among those run per invoke (folded operators are not run).
    pub fn step(&self) -> usize {
        self.step
    }
    /// The operator's index in its subgraph.
    pub fn op_index(&self) -> usize {
        self.interp.graph.steps.get(self.step).map_or(0, |s| s.op_index)
    }
    /// The operator's code (`opcode().name()` is `CONV_2D`, or a custom op's name).
    pub fn opcode(&self) -> &'m crate::model::OperatorCode {
        self.interp.graph.model.opcode(self.operator())
    }
    /// The operator's input tensor indices (`None` for an omitted optional input).
    pub fn inputs(&self) -> &'m [Option<usize>] {
        &self.operator().inputs
    }
    /// The operator's output tensor indices.
    pub fn outputs(&self) -> &'m [Option<usize>] {
        &self.operator().outputs
    }
    /// The interpreter, to read tensors (`tensor::<T>`, `tensor_shape`, `tensor_info`).
    pub fn interpreter(&self) -> &Interpreter<'m> {
        self.interp
    }
    /// The current bytes of any tensor.
    pub fn tensor_bytes(&self, tensor: usize) -> Result<&[u8]> {
        self.interp.tensor_bytes(tensor)
    }
}

fn check_type<T: Element>(dt: DType, tensor: usize) -> Result<()> {
    if T::matches(dt) {
        Ok(())
    } else {
        Err(Error::Usage(format!("tensor {tensor} is {dt}, not {}", std::any::type_name::<T>())))
    }
}

/// The operator that writes each tensor of a subgraph. A tensor written by two operators is an
/// error: the second would resize it under the kernels prepared against the first's shape, and
/// TFLite's graph has one producer per tensor.
fn producers(model: &Model, subgraph: usize) -> Result<Vec<Option<usize>>> {
    let sg = &model.subgraphs()[subgraph];
    let mut producer = vec![None; sg.tensors.len()];
    for (op_index, op) in sg.operators.iter().enumerate() {
        for (k, &t) in op.outputs.iter().enumerate() {
            let Some(t) = t else { continue };
            if let Some(p) = producer[t] {
                return Err(Error::Operator {
                    subgraph,
                    op: op_index,
                    opcode: model.opcode(op).name(),
                    msg: format!("output {k} (tensor {t}) is also written by operator {p}"),
                    kind: OpErrorKind::InvalidModel,
                });
            }
            producer[t] = Some(op_index);
        }
    }
    Ok(producer)
}

/// Bytes a tensor of `shape` takes, rounded for the arena.
fn tensor_bytes(t: &Tensor, shape: &[usize]) -> Option<usize> {
    let elements = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d as u64))?;
    let b = t.dtype.byte_size(elements)?;
    usize::try_from(b).ok().filter(|&b| b <= isize::MAX as usize / 2)
}

/// Runs a kernel whose inputs are all known, during preparation; its outputs become known.
fn fold<'m>(
    model: &'m Model,
    op: &crate::model::Operator,
    tensors: &mut [PrepTensor<'m>],
    kernel: &dyn Kernel,
    scratch: &ScratchLayout,
    state_layout: &StateLayout,
    budget: &Budget,
) -> Result<()> {
    let sg = model.main_subgraph();
    let mut owned = Vec::new();
    let mut locs = vec![Loc::None; tensors.len()];
    for &t in op.inputs.iter().flatten() {
        if let Some(k) = &tensors[t].known {
            owned.push(AlignedBuf::from_bytes(k));
            locs[t] = Loc::Owned { index: owned.len() - 1 };
        }
    }
    let mut total = 0;
    let mut out_ranges = Vec::new();
    for &t in op.outputs.iter().flatten() {
        let len =
            tensor_bytes(&sg.tensors[t], &tensors[t].shape).ok_or_else(|| Error::Usage("output too large".into()))?;
        locs[t] = Loc::Arena { offset: total, len };
        out_ranges.push((t, total, len));
        total = (total + len).div_ceil(ALIGN) * ALIGN;
    }
    // The outputs are kept as constants (the temporary arena they are computed in is as large).
    budget.charge(total as u64, "constants folded at prepare time")?;
    let mut arena = AlignedBuf::try_zeroed(total)?;
    let arena_ptr = arena.bytes_mut().as_mut_ptr();
    let inputs = Inputs { arena: arena_ptr, arena_len: 0, model: &[], owned: &owned, locs: &locs, ids: &op.inputs };
    let mut outputs = Outputs { arena: arena_ptr, arena_len: total, locs: &locs, ids: &op.outputs };
    // The operator's scratch and state, for this one run (state charged when requested).
    budget.charge(scratch.scratch_bytes as u64, "scratch of an operator folded at prepare time")?;
    let mut block = AlignedBuf::try_zeroed(scratch.scratch_bytes)?;
    let mut state = AlignedBuf::try_zeroed(state_layout.end)?;
    state_layout.reset(state.bytes_mut());
    // SAFETY: two buffers of their own, alive for the call; the regions were laid out in them.
    let mut sc = unsafe {
        Scratch::new(
            &scratch.regions,
            block.bytes_mut().as_mut_ptr(),
            block.len,
            state.bytes_mut().as_mut_ptr(),
            state.len,
        )
    };
    kernel.eval(&inputs, &mut outputs, &mut sc)?;
    for (t, off, len) in out_ranges {
        tensors[t].known = Some(Cow::Owned(arena.bytes()[off..off + len].to_vec()));
    }
    Ok(())
}
