"""Closed forms in quizgen.engine.shapes: lecture values, identities between forms, errors."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.engine import shapes as S
from quizgen.errors import EngineError


# -- output sizes ------------------------------------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    ((227, 11, 4, 2), 56),     # DeepRob AlexNet conv1: (227 - 11 + 2·2)/4 + 1
    ((227, 11, 4, 0), 55),     # CS231n AlexNet conv1 (96 filters, pad 0)
    ((27, 5, 1, 2), 27),
    ((224, 7, 2, 3), 112),     # ResNet / GoogLeNet stem
    ((28, 5, 1, 2), 28),       # LeNet with padding 2
    ((32, 5), 28),
    ((7, 3, 2), 3),
    ((5, 3, 1, 0, 2), 1),      # dilation 2: extent 5
])
def test_conv_out_values(args, expected):
    assert S.conv_out(*args) == expected


@pytest.mark.parametrize("args, expected", [
    ((8, 3, 2, 2), 4),          # ⌊(8 − 3 + 2 + 2)/2⌋
    ((8, 3, 1, 0), 6),
    ((227, 11, 4, 4), 56),      # p_h = 2·2
    ((6, 3, 3, 1), 2),          # odd total padding
])
def test_conv_out_total_values(args, expected):
    assert S.conv_out_total(*args) == expected


@given(n=st.integers(1, 60), k=st.integers(1, 9), s=st.integers(1, 5), p=st.integers(0, 4))
def test_total_padding_form_equals_per_side_form(n, k, s, p):
    if k > n + 2 * p:
        return
    assert S.conv_out_total(n, k, s, 2 * p) == S.conv_out(n, k, s, p)
    assert S.conv_out_asym(n, k, s, p, p) == S.conv_out(n, k, s, p)
    # the lecture's other spelling: ⌊(n + 2p − k + s)/s⌋
    assert S.conv_out(n, k, s, p) == (n + 2 * p - k + s) // s


@given(n=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4), a=st.integers(0, 3),
       b=st.integers(0, 3))
def test_asymmetric_form_is_total_form(n, k, s, a, b):
    if k > n + a + b:
        with pytest.raises(EngineError):
            S.conv_out_asym(n, k, s, a, b)
        return
    assert S.conv_out_asym(n, k, s, a, b) == S.conv_out_total(n, k, s, a + b)


@pytest.mark.parametrize("args, kwargs, expected", [
    ((56, 3, 2), {}, 27),                    # AlexNet pool1: ⌊53/2⌋ + 1
    ((27, 3, 2), {}, 13),
    ((13, 3, 2), {}, 6),
    ((112, 3, 2, 1), {}, 56),                # ResNet / GoogLeNet stem pool
    ((56, 3, 2, 1), {}, 28),
    ((112, 3, 2, 0), {"ceil_mode": True}, 56),   # torchvision GoogLeNet: p 0, ceil
    ((56, 3, 2, 0), {"ceil_mode": True}, 28),
    ((55, 3, 2, 0), {"ceil_mode": True}, 27),
    ((28, 2), {}, 14),                       # stride defaults to the kernel
    ((5, 2, 2, 1), {"ceil_mode": True}, 3),  # last window would start in the padding: dropped
    ((5, 3, 2, 1), {"ceil_mode": True}, 3),
    ((6, 3, 2, 0), {"ceil_mode": True}, 3),
    ((6, 3, 2, 0), {}, 2),
    ((1, 2, 2, 0), {"ceil_mode": True}, 1),  # ceil: a window may hang over the input's end
    ((2, 3, 2, 0), {"ceil_mode": True}, 1),
])
def test_pool_out_values(args, kwargs, expected):
    assert S.pool_out(*args, **kwargs) == expected


def test_pool_out_ceil_never_less_than_floor():
    for n in range(1, 30):
        for k in range(1, 5):
            for s in range(1, 4):
                for p in range(0, k // 2 + 1):
                    if k > n + 2 * p:
                        continue
                    lo = S.pool_out(n, k, s, p)
                    hi = S.pool_out(n, k, s, p, ceil_mode=True)
                    assert lo <= hi <= lo + 1


# -- counts ------------------------------------------------------------------------------------

def test_param_counts():
    assert S.conv_params(3, 64, 11) == 23_296                # 64·3·11·11 + 64
    assert S.conv_params(3, 64, 11, bias=False) == 23_232
    assert S.conv_params(64, 192, 5) == 307_392
    assert S.conv_params(3, 64, 3, 3, bias=False) == 1_728   # CS231n VGG row 1
    assert S.conv_params(64, 64, 3, groups=64) == 64 * 9 + 64   # depthwise
    assert S.conv_param_split(192, 384, 3) == (663_552, 384)
    assert S.conv_params(4, 6, 3, 5) == 6 * 4 * 3 * 5 + 6
    assert S.linear_params(9216, 4096) == 37_752_832         # DeepRob prints 37,725,832 (slip)
    assert S.linear_params(4096, 1000, bias=False) == 4_096_000
    assert S.linear_params(400, 120) == 48_120


def test_mac_and_op_counts():
    assert S.conv_macs(3, 64, 11, 11, 56, 56) == 72_855_552   # DeepRob conv1
    assert S.conv_macs(3, 64, 11, None, 56, 56) == 72_855_552
    assert S.conv_macs(64, 192, 5, 5, 27, 27) == 223_948_800
    assert S.conv_macs(64, 64, 3, 3, 56, 56, groups=64) == 64 * 56 * 56 * 9
    assert S.linear_macs(9216, 4096) == 37_748_736
    assert S.pool_ops(64, 27, 27, 3) == 419_904               # DeepRob "0.4 MFLOP"
    assert S.pool_ops(64, 27, 27, (3, 2)) == 64 * 27 * 27 * 6


def test_memory_and_rounding():
    assert S.activation_bytes(64 * 56 * 56) == 802_816
    assert S.kb(S.activation_bytes(64 * 56 * 56)) == 784
    assert S.kb(S.activation_bytes(64 * 27 * 27)) == 182.25
    assert S.round_half_up(182.25) == 182
    assert S.round_half_up(546.75) == 547
    assert S.round_half_up(126.75) == 127
    assert S.round_half_up(253.5) == 254      # round() would give 254 too, but:
    assert S.round_half_up(126.5) == 127 and round(126.5) == 126
    assert S.round_half_up(0.5) == 1
    assert S.round_half_up(-0.5) == -1
    assert S.round_half_up(7) == 7
    assert S.round_half_up(Fraction(5, 2)) == 3
    assert S.round_half_up(2.675, 2) == Decimal("2.68")
    assert S.activation_bytes(10, 2) == 20


def test_receptive_field():
    assert S.receptive_field([(3, 1)] * 3) == 7          # three 3×3 convs see 7×7
    assert S.receptive_field([(5, 1), (5, 1)]) == 9
    assert S.receptive_field([(3, 1), (2, 2), (3, 1)]) == 8
    assert S.receptive_field([(3, 1, 2)]) == 5           # dilation 2
    assert S.receptive_field([(7, 2), (3, 2)]) == 7 + 2 * 2
    assert S.receptive_field([]) == 1
    assert S.receptive_field([3, 3]) == 5                # bare kernels: stride 1


def test_fits():
    assert S.fits(227, 11, 4, 2)          # 220 divisible by 4
    assert not S.fits(224, 11, 4, 2)      # 217 is not
    assert S.fits(5, 3, 1)
    assert not S.fits(6, 3, 2)


# -- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, words", [
    (lambda: S.conv_out(3, 5), ["conv_out", "k=5", "3", "larger than the padded input"]),
    (lambda: S.conv_out(3, 5, 1, 0, 1), ["conv_out", "k=5"]),
    (lambda: S.conv_out(5, 3, 1, 0, 3), ["conv_out", "dilated extent 7", "d=3"]),
    (lambda: S.conv_out(0, 3), ["conv_out", "n must be positive", "n=0"]),
    (lambda: S.conv_out(5, 0), ["conv_out", "k must be positive"]),
    (lambda: S.conv_out(5, 3, 0), ["conv_out", "s must be positive", "s=0"]),
    (lambda: S.conv_out(5, 3, 1, -1), ["conv_out", "p must be >= 0", "p=-1"]),
    (lambda: S.conv_out(5.5, 3), ["conv_out", "n must be an integer", "5.5"]),
    (lambda: S.conv_out(True, 3), ["conv_out", "n must be an integer"]),
    (lambda: S.conv_out_total(3, 6, 1, 2), ["conv_out_total", "k=6", "3 + 2 = 5"]),
    (lambda: S.conv_out_asym(3, 6, 1, 1, 1), ["conv_out_asym", "p_before", "5"]),
    (lambda: S.pool_out(2, 3), ["pool_out", "k=3", "larger than the padded input"]),
    (lambda: S.pool_out(1, 3, 2, ceil_mode=True), ["pool_out", "k=3", "no output position"]),
    (lambda: S.pool_out(8, 3, 2, 2), ["pool_out", "p=2", "half the kernel"]),
    (lambda: S.pool_out(8, 3, 0), ["pool_out", "s must be positive"]),
    (lambda: S.conv_params(6, 4, 3, groups=4), ["conv_params", "groups=4", "c_in=6"]),
    (lambda: S.conv_params(0, 4, 3), ["conv_params", "c_in must be positive"]),
    (lambda: S.linear_params(0, 4), ["linear_params", "in_features"]),
    (lambda: S.conv_macs(3, 64, 11, 11, 0, 56), ["conv_macs", "h_out must be positive"]),
    (lambda: S.pool_ops(64, 27, 27, (3, 3, 3)), ["pool_ops", "pair"]),
    (lambda: S.activation_bytes(-1), ["activation_bytes", "elements"]),
    (lambda: S.kb(-4), ["kb", "bytes"]),
    (lambda: S.round_half_up(float("nan")), ["round_half_up", "finite"]),
    (lambda: S.round_half_up("3"), ["round_half_up", "number"]),
    (lambda: S.receptive_field([(3, 0)]), ["receptive_field", "stride of layer 0"]),
    (lambda: S.receptive_field([(3, 1, 1, 1)]), ["receptive_field", "layer 0"]),
    (lambda: S.receptive_field([None]), ["receptive_field", "layer 0"]),
    (lambda: S.fits(3, 7, 1, 1), ["fits", "k=7", "3 + 2·1 = 5"]),
])
def test_errors_name_function_values_and_reason(call, words):
    with pytest.raises(EngineError) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)


@settings(max_examples=200)
@given(n=st.integers(1, 50), k=st.integers(1, 8), s=st.integers(1, 4), p=st.integers(0, 3),
       d=st.integers(1, 3))
def test_conv_out_is_positive_or_raises(n, k, s, p, d):
    extent = d * (k - 1) + 1
    if extent > n + 2 * p:
        with pytest.raises(EngineError):
            S.conv_out(n, k, s, p, d)
    else:
        out = S.conv_out(n, k, s, p, d)
        assert out >= 1
        # the last window ends inside the padded input, one more would not
        assert (out - 1) * s + extent <= n + 2 * p < out * s + extent
