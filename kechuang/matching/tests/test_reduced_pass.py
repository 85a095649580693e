"""The pieces of the embedded backend's reduced dense pass: the int8 product, the selection of the best
rows and the one-byte reduced vectors."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from kechuang.matching import load_backend
from kechuang.matching.pipeline import largest, low_precision_dot


def test_the_int8_product_equals_numpy_s_in_every_block():
    rng = np.random.default_rng(3)
    matrix = rng.integers(-127, 128, size=(1000, 24), dtype=np.int8)
    vector = rng.standard_normal(24).astype(np.float32)
    expected = matrix.astype(np.float64) @ vector
    assert np.allclose(low_precision_dot(matrix, vector, block=64), expected, atol=1e-3)
    float_matrix = matrix.astype(np.float32)
    assert np.allclose(low_precision_dot(float_matrix, vector), expected, atol=1e-3)


@given(
    st.lists(st.floats(-1e6, 1e6) | st.just(-np.inf), min_size=1, max_size=40000),
    st.integers(0, 50000),
)
def test_largest_picks_n_positions_none_smaller_than_a_left_one(values, n):
    values = np.array(values, dtype=np.float32)
    picked = largest(values, n)
    assert len(picked) == min(n, len(values)) == len(set(picked.tolist()))
    left = np.setdiff1d(np.arange(len(values)), picked)
    if len(picked) and len(left):
        assert values[picked].min() >= values[left].max()


def test_largest_on_a_long_array_is_argpartition_s_choice():
    values = np.random.default_rng(5).standard_normal(100_000).astype(np.float32)
    values[::7] = -np.inf  # rows not allowed
    for n in (1, 200, 2000, 20_000, 85_000):
        expected = np.argpartition(-values, n - 1)[:n]
        assert set(largest(values, n).tolist()) == set(expected.tolist())


def test_reduced_vectors_take_one_byte_and_keep_small_differences_on_a_common_direction(tmp_path):
    """Real sentence vectors share one large direction; quantised around zero its small differences
    would vanish. Around each axis's middle the error stays within rounding: half a step per axis."""
    rng = np.random.default_rng(11)
    common = rng.standard_normal(64)
    vectors = common + 0.1 * rng.standard_normal((400, 64)) * np.linspace(1, 0.1, 64)
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    backend = load_backend("embedded", {"INDEX_DIR": str(tmp_path), "ENCODER": "none"})
    backend.reduce_from, backend.reduced_dim = 1, 16
    folder = tmp_path / "generation"
    folder.mkdir()
    np.save(folder / "vectors.npy", vectors)
    np.save(folder / "vector_ready.npy", np.ones(len(vectors), dtype=np.uint8))
    backend._write_reduced(folder)
    with np.load(folder / "reduced.npz") as data:
        reduced, basis, offset = data["reduced"], data["basis"], data["offset"]
    assert reduced.dtype == np.int8 and reduced.shape == (400, 16)
    query = vectors[0]
    projected = query @ basis
    approx = low_precision_dot(reduced, projected) + projected @ offset
    # The float projection the bytes stand for: basis columns are the axes times their step.
    steps = np.linalg.norm(basis, axis=0)
    exact = vectors @ (basis / steps**2) @ (basis.T @ query)
    assert np.abs(approx - exact).max() <= 0.5 * np.abs(projected).sum() + 1e-4
    assert set(np.argsort(-approx)[:10]) == set(np.argsort(-exact)[:10])
