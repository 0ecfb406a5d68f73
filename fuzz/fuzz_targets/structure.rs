//! Structure-aware: byte 0 picks one of the seed models below, the rest are in-place edits of
//! semantic fields (shapes, types, indices, quantization, options, operator order) that keep the
//! file verifiable; the mutant then goes through the `model` target's harness. See
//! `qlite::fuzzing::structure`.
#![no_main]

use libfuzzer_sys::fuzz_target;

macro_rules! seeds {
    ($($path:literal),* $(,)?) => {
        &[$(include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/", $path, ".tflite"))),*]
    };
}

/// Small models (all under 50 KB) covering most operator families and quantization modes.
static SEEDS: &[&[u8]] = seeds![
    "mlp_float",
    "mlp_int8",
    "mlp_int8_floatio",
    "cnn_int8",
    "golden/act_activations_f32",
    "golden/act_unary_f32",
    "golden/act_exp_log_abs_int8",
    "golden/act_gelu_int8",
    "golden/act_logistic_int8",
    "golden/binary_add_bcast_c_int8",
    "golden/binary_mul_float",
    "golden/binary_sqdiff_int8",
    "golden/binary_pow_float",
    "golden/binary_max_min_float",
    "golden/div_bcast_c_int8",
    "golden/conv_dw_int8_m2_s2_valid",
    "golden/conv_dw_float_dyn_filter",
    "golden/conv_float_grouped_dil2",
    "golden/conv_int8_pc_same",
    "golden/conv_tconv_int8_s2_same",
    "golden/conv_tconv_float_valid",
    "golden/fops_bool_logical",
    "golden/fops_cast_from_f32",
    "golden/fops_compare_int8_dequantized",
    "golden/fops_l2norm_int8",
    "golden/fops_select_v2_bcast_f32",
    "golden/hybrid_batch_matmul_int8_adj_y_bcast",
    "golden/hybrid_bmm_sym_bcast_adj_x",
    "golden/hybrid_conv_per_channel_same",
    "golden/hybrid_dw_dm2_same",
    "golden/hybrid_fc_asym_per_channel_relu",
    "golden/i16act_softmax_int16",
    "golden/i16elt_concat_int16",
    "golden/i16elt_mean_int16",
    "golden/i16mm_fc_rank3_int64bias",
    "golden/i16mm_tconv_int64bias",
    "golden/i16mm_dw_int64bias",
    "golden/lstm_full",
    "golden/lstm_projection",
    "golden/move_flatten_dense",
    "golden/move_gather_int8_axis0",
    "golden/move_pack_unpack_int8",
    "golden/move_split_v_float",
    "golden/move_strided_slice_float_masks",
    "golden/move_transpose_int8_2d_4d",
    "golden/move_pad_float_5d",
    "golden/move_tile_reverse_float",
    "golden/move_depth_space_float",
    "golden/net_branching",
    "golden/net_branching_float16",
    "golden/pool_avg_same_3x3_s2_int8",
    "golden/pool_max_valid_float",
    "golden/pool_mean_hw_keep_int8",
    "golden/pool_reduce_max_int8",
    "golden/pool_argmax_int8",
    "golden/pool_softmax_float",
    "golden/pool_sum_int8",
    "golden/space_b2s_int8_crop",
    "golden/space_bilinear_int8_align_corners",
    "golden/space_nearest_float_halfpixel_down",
    "golden/space_s2b_int8_pad_zp_min",
    "golden/svdf_f32_rank3_batch2",
    "golden/svdf_i16_rank2_batch2",
    "golden/tconv8_same_s2_relu6",
];

fuzz_target!(|data: &[u8]| {
    let _ = qlite::fuzzing::structure::run(SEEDS, data);
});
