"""Augmentation on batches of 28×28 digits, as TensorFlow ops so it runs inside tf.data.

It covers what the serving pipeline can still leave in its output: a digit slightly off-centre, tilted,
squashed or sheared, and strokes thinner or thicker than MNIST's.
"""

from __future__ import annotations

import math

import tensorflow as tf

CENTRE = 13.5


def _dilate(x: tf.Tensor) -> tf.Tensor:
    return tf.nn.max_pool2d(x, ksize=3, strides=1, padding="SAME")


def _erode(x: tf.Tensor) -> tf.Tensor:
    return -tf.nn.max_pool2d(-x, ksize=3, strides=1, padding="SAME")


def stroke_width(x: tf.Tensor, low: float = -0.6, high: float = 1.0) -> tf.Tensor:
    """Blend towards a 3×3 dilation (a > 0) or erosion (a < 0): a fractional change of stroke width."""
    n = tf.shape(x)[0]
    a = tf.random.uniform([n, 1, 1, 1], low, high)
    return tf.where(a > 0, x + a * (_dilate(x) - x), x - a * (_erode(x) - x))


def affine(
    x: tf.Tensor,
    rotate_deg: float = 12.0,
    scale: float = 0.12,
    aspect: float = 0.12,
    shear: float = 0.15,
    shift: float = 2.0,
) -> tf.Tensor:
    """One random affine map per digit about the image centre, applied with a single interpolation."""
    n = tf.shape(x)[0]

    def u(r: float) -> tf.Tensor:
        return tf.random.uniform([n], -r, r)

    theta = u(rotate_deg * math.pi / 180)
    s = 1.0 + u(scale)
    ar = 1.0 + u(aspect)
    sx, sy = s * ar, s / ar
    k = u(shear)
    tx, ty = u(shift), u(shift)
    cos, sin = tf.cos(theta), tf.sin(theta)
    # Forward map A = R · Shear · Scale; the op wants the inverse (output pixel -> input pixel).
    a00, a01 = cos * sx, (cos * k - sin) * sy
    a10, a11 = sin * sx, (sin * k + cos) * sy
    det = a00 * a11 - a01 * a10
    i00, i01, i10, i11 = a11 / det, -a01 / det, -a10 / det, a00 / det
    ox, oy = CENTRE + tx, CENTRE + ty
    b0 = CENTRE - (i00 * ox + i01 * oy)
    b1 = CENTRE - (i10 * ox + i11 * oy)
    zeros = tf.zeros([n])
    transforms = tf.stack([i00, i01, b0, i10, i11, b1, zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=x,
        transforms=transforms,
        output_shape=tf.shape(x)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )


def augment(x: tf.Tensor) -> tf.Tensor:
    """The training-time augmentation: x is float32 N×28×28×1 in [0, 1]."""
    x = stroke_width(x)
    x = affine(x)
    return tf.clip_by_value(x, 0.0, 1.0)
