//! The observer hook: what `invoke_with` shows after each operator equals what a run with every
//! tensor preserved holds at the end, and an observer's error stops the invoke.

use qlite::interpreter::{Observer, OpView};
use qlite::{Error, Interpreter, InterpreterOptions, Model, OpRegistry};

struct Record(Vec<(usize, String, usize, Vec<u8>)>);

impl Observer for Record {
    fn after_op(&mut self, op: &OpView<'_, '_>) -> Result<(), Error> {
        for &t in op.outputs().iter().flatten() {
            self.0.push((op.op_index(), op.opcode().name(), t, op.tensor_bytes(t)?.to_vec()));
        }
        Ok(())
    }
}

fn fill_inputs(interp: &mut Interpreter<'_>) {
    for k in 0..interp.inputs().len() {
        for (i, b) in interp.input_bytes_mut(k).unwrap().iter_mut().enumerate() {
            *b = (i * 37 % 251) as u8;
        }
    }
}

#[test]
fn the_observer_sees_every_intermediate_before_its_memory_is_reused() {
    for name in ["cnn_int8", "mlp_int8", "mlp_float"] {
        let model = Model::from_file(format!("{}/models/{name}.tflite", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let mut plain = Interpreter::new(&model).unwrap();
        let keep = InterpreterOptions { preserve_all_tensors: true, ..Default::default() };
        let mut kept = Interpreter::with_options(&model, &OpRegistry::with_builtins(), &keep).unwrap();
        fill_inputs(&mut plain);
        fill_inputs(&mut kept);
        kept.invoke().unwrap();
        let mut rec = Record(Vec::new());
        plain.invoke_with(&mut rec).unwrap();
        assert!(rec.0.len() >= plain.num_steps(), "{name}: one record per output of each step");
        let ops: std::collections::BTreeSet<usize> = rec.0.iter().map(|r| r.0).collect();
        assert_eq!(ops.len(), plain.num_steps(), "{name}: every step observed once");
        for (op, opcode, t, bytes) in &rec.0 {
            assert!(!bytes.is_empty(), "{name}: op {op} ({opcode}) output {t} is empty");
            assert_eq!(bytes.as_slice(), kept.tensor_bytes(*t).unwrap(), "{name}: op {op} ({opcode}) tensor {t}");
        }
        // The outputs are those of a plain invoke.
        let mut again = Interpreter::new(&model).unwrap();
        fill_inputs(&mut again);
        again.invoke().unwrap();
        assert_eq!(again.output_bytes(0).unwrap(), plain.output_bytes(0).unwrap());
    }
}

struct StopAt(usize, usize);

impl Observer for StopAt {
    fn after_op(&mut self, op: &OpView<'_, '_>) -> Result<(), Error> {
        self.1 += 1;
        if op.step() == self.0 { Err(Error::Usage(format!("stopped after step {}", op.step()))) } else { Ok(()) }
    }
}

#[test]
fn an_observer_error_stops_the_invoke() {
    let model = Model::from_file(format!("{}/models/cnn_int8.tflite", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut interp = Interpreter::new(&model).unwrap();
    assert!(interp.num_steps() > 2);
    let mut stop = StopAt(1, 0);
    let e = interp.invoke_with(&mut stop).unwrap_err();
    assert_eq!(e.to_string(), "stopped after step 1");
    assert_eq!(stop.1, 2, "no operator after the failing observer call");
}
