"""The one catalogue of named student misconceptions.

Every wrong option carries one of these keys; answer keys and the practice page explain the
option with the sentence given here. Families may only use keys listed in ``CATALOGUE`` (the
option builder checks), so the vocabulary stays shared and documented.
"""
from __future__ import annotations

CATALOGUE: dict[str, str] = {
    # output sizes
    "forgot_padding": "Ignored the zero padding: used n − k instead of n + 2p − k.",
    "padding_one_side": "Added the padding on one side only (p instead of 2p per dimension).",
    "padding_double_counted": "Counted the total padding twice (2·p_total instead of p_total).",
    "forgot_plus_one": "Forgot the +1 in ⌊(n + 2p − k)/s⌋ + 1.",
    "ignored_stride": "Ignored the stride, as if it were 1.",
    "no_floor": "Rounded up instead of taking the floor: a window that would fall outside the "
                "input is not computed.",
    "stride_divides_input": "Divided the input size by the stride (n/s) instead of applying the "
                            "output-size formula.",
    "kernel_times_stride": "Subtracted the kernel size once per stride step.",
    "same_as_input": "Assumed the spatial size stays the same (only true with 'same' padding "
                     "and stride 1).",
    "swapped_hw": "Swapped height and width.",
    "channels_from_input": "Kept the number of input channels; the output has one channel per "
                           "filter.",
    "channels_from_kernel_depth": "Took the kernel depth as the number of output channels.",
    "forgot_dilation": "Ignored the dilation: the effective kernel is d·(k − 1) + 1 wide.",
    "pool_changes_channels": "Thought pooling changes the number of channels; it acts per "
                             "channel.",
    "fits_anyway": "Assumed the filter always fits; here (n + 2p − k) is not divisible by the "
                   "stride, so the last positions are skipped.",
    "does_not_fit_claimed": "Claimed the filter does not fit; the formula gives a whole output.",
    "ignored_ceil_mode": "Rounded down although ceil_mode=True: a last, partial window that starts "
                         "inside the input is kept.",
    "wrong_same_padding": "Chose padding k − 1 (total) as if per side; 'same' needs p = (k − 1)/2 "
                          "per side.",
    # parameter counts
    "forgot_bias": "Forgot the bias: every filter (or output neuron) also has one bias.",
    "forgot_input_channels": "Forgot that every filter spans all input channels (C_in).",
    "forgot_output_channels": "Counted one filter only; there are C_out filters.",
    "counted_absent_bias": "Added one bias per filter although the layer has no biases "
                           "(bias=False).",
    "counted_output_row": "Multiplied by one output dimension (H′) and left out the input "
                          "channels C_in.",
    "inception_naive": "Applied the k×k convolution to all C_in input channels, as in the naive "
                       "Inception module; the 1×1 reduction first cuts them to C_reduce.",
    "counted_output_positions": "Multiplied by the number of output positions; weights are "
                                "shared across positions.",
    "counted_pool_params": "Gave the pooling layer parameters; pooling has none.",
    "bias_per_position": "Counted one bias per output position instead of one per filter.",
    "bias_per_input_channel": "Counted one bias per input channel instead of one per filter.",
    "fc_forgot_flatten": "Used the channel count instead of the flattened size C·H·W as the FC "
                         "input.",
    "squared_instead_of_product": "Used K² · C_in² style products (squared the wrong factor).",
    "ignored_groups": "Ignored the groups: each filter sees only C_in / groups channels.",
    "counted_bn_running_stats": "Counted batch-norm running mean and variance as learnable "
                                "parameters.",
    # compute counts
    "macs_vs_flops": "Reported FLOPs (2 × MACs) where multiplications (MACs) were asked.",
    "flops_vs_macs": "Reported MACs where FLOPs (2 × MACs, hardware convention) were asked.",
    "forgot_output_size": "Forgot to multiply by the number of output positions H′·W′.",
    "used_input_size": "Multiplied by the input size H·W instead of the output size H′·W′.",
    "one_output_row": "Multiplied by one output dimension only (H′ instead of H′·W′).",
    "counted_additions_only": "Counted the additions (k·k·C_in − 1 per output) instead of the "
                              "multiplications.",
    "pool_ops_forgot_kernel": "Counted one operation per pooling output instead of K² per output.",
    "bottleneck_as_basic": "Treated the bottleneck block like two 3×3 convolutions at full width.",
    "basic_as_bottleneck": "Treated the basic block like a bottleneck block.",
    "forgot_channel_growth": "Forgot that channels double when the resolution halves.",
    "dropped_size_factor": "Took the spatial size as H·W, dropping the factor 2 per dimension "
                           "(2H × 2W = 4HW positions).",
    # memory
    "bytes_not_kb": "Reported bytes instead of kilobytes (divide by 1024).",
    "elements_not_bytes": "Reported the number of elements; each float32 takes 4 bytes.",
    "kb_as_1000": "Divided by 1000 instead of 1024.",
    "memory_of_input": "Used the input's size instead of the output activation's.",
    "float64_bytes": "Used 8 bytes per element (float64) instead of 4 (float32).",
    "counted_weights_as_memory": "Counted the weights instead of the activations.",
    "memory_forgot_input": "Left out the input image; its values are stored too.",
    "assumed_float32": "Used 4 bytes per element (float32); float16 takes 2 bytes and float64 8.",
    # values
    "kernel_flipped": "Flipped the kernel (true convolution); deep-learning 'convolution' is "
                      "cross-correlation.",
    "kernel_not_flipped": "Did not flip the kernel; a true convolution flips it in both "
                          "directions first.",
    "kernel_transposed": "Used the transposed kernel (rows and columns swapped).",
    "kernel_flipped_one_axis": "Flipped the kernel along one axis only; a true convolution flips "
                               "it both upside down and left to right (a 180° rotation).",
    "max_instead_of_avg": "Took the maximum of each window instead of the average.",
    "avg_instead_of_max": "Took the average of each window instead of the maximum.",
    "min_instead_of_max": "Took the minimum of each window.",
    "sum_instead_of_avg": "Summed each window without dividing by its size.",
    "ignored_stride_values": "Slid the window by 1 instead of by the stride.",
    "top_left_only": "Took the top-left value of each window (subsampling, not pooling).",
    "forgot_bias_value": "Forgot to add the bias to the result.",
    "one_channel_only": "Used one input channel only; a filter sums over all channels.",
    "channels_not_summed": "Averaged instead of summed the per-channel results.",
    "forgot_relu": "Forgot the ReLU: negative values become 0.",
    "relu_before_bias": "Applied the ReLU before adding the bias.",
    "elementwise_product": "Multiplied element-wise without summing the products.",
    "misaligned_window": "Placed the window at the wrong position.",
    "forgot_zero_padding_values": "Ignored the zero padding around the input.",
    "wrong_cell": "Computed a neighbouring output cell.",
    # normalisation, softmax, loss
    "bn_forgot_eps": "Left out ε in √(σ² + ε).",
    "bn_used_std_not_var": "Divided by the variance instead of the standard deviation.",
    "bn_unbiased_variance": "Used the unbiased variance (divide by m − 1); batch norm normalises "
                            "with the biased one (divide by m).",
    "bn_forgot_affine": "Forgot the scale γ and shift β.",
    "bn_affine_order": "Added β before multiplying by γ.",
    "softmax_no_exp": "Normalised the raw scores without exponentiating them.",
    "softmax_wrong_class": "Read the probability of another class.",
    "sigmoid_instead_of_softmax": "Applied the sigmoid to the class's own score; softmax "
                                  "normalises over the scores of all classes.",
    "ce_log_of_wrong_class": "Took the log of a wrong class's probability.",
    "ce_no_negative": "Forgot the minus sign: the loss is −log p.",
    "ce_log10": "Used log base 10; cross-entropy uses the natural log.",
    "ce_one_minus_p": "Used 1 − p instead of −log p.",
    "argmax_of_wrong_layer": "Predicted from an intermediate activation instead of the output.",
    "argmin_instead_of_argmax": "Picked the smallest score; the prediction is the largest.",
    "forgot_residual": "Forgot the shortcut: a residual block outputs F(x) + x.",
    "residual_after_relu": "Added the shortcut after the final ReLU instead of before it.",
    # receptive field and depth
    "rf_sum_kernels": "Added the kernel sizes instead of growing by (k − 1) per layer.",
    "rf_ignored_dilation": "Ignored the dilation when growing the receptive field.",
    "rf_ignored_stride": "Ignored the stride of earlier layers (jumps multiply).",
    "rf_last_layer_only": "Gave the receptive field of the last layer alone.",
    "depth_counted_blocks": "Counted residual blocks instead of weight layers.",
    "depth_forgot_stem_fc": "Left out the stem convolution and the final FC layer.",
    "depth_counted_pooling": "Counted pooling layers as weight layers.",
    "depth_basic_as_bottleneck": "Counted 3 layers per block for basic blocks (2 is right).",
    # network tracing
    "wrong_layer": "Read the value of a neighbouring layer.",
    "most_params_early": "Assumed the early convolutions hold most parameters; the FC layers "
                         "do.",
    "most_memory_late": "Assumed the late layers hold most activation memory; the early, "
                        "high-resolution ones do.",
    "most_compute_fc": "Assumed the FC layers do most of the compute; the convolutions do.",
    "most_compute_largest_output": "Picked the layer with the largest output; compute also "
                                   "scales with the work per output value (C_in·K²).",
    "flatten_forgot_channels": "Flattened only the spatial grid H·W, forgetting the channels.",
    "slide_slip": "Copied a number from a lecture slide that does not add up; recompute it.",
    # fill-ins
    "near_value": "A nearby value that no single common slip produces.",
    # conceptual (static bank)
    "static": "This statement is not correct.",
}


def explain(key: str) -> str:
    """The catalogue sentence for ``key`` (KeyError for an unknown key)."""
    return CATALOGUE[key]
