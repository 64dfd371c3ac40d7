"""NTK Gram matrices: the arc-cosine closed form in NumPy, layouts, shapes."""
import numpy as np
import pytest

import cimpute


def ntk_numpy(X, Y, depth):
    """The ReLU NTK without bias (Jacot et al.; arc-cosine kernels of Cho & Saul), in NumPy."""
    nx, ny = np.linalg.norm(X, axis=1), np.linalg.norm(Y, axis=1)
    u = np.clip((X @ Y.T) / np.outer(nx, ny), -1, 1)
    sigma, theta = u.copy(), u.copy()
    for _ in range(depth):
        k0 = (np.pi - np.arccos(sigma)) / np.pi
        k1 = (np.sqrt(1 - sigma ** 2) + (np.pi - np.arccos(sigma)) * sigma) / np.pi
        theta = theta * k0 + k1
        sigma = k1
    return np.outer(nx, ny) * theta


def test_gram_equals_the_closed_form():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(40, 7)), rng.normal(size=(30, 7))
    for depth in (1, 2, 3):
        k = cimpute.NtkKernel(depth=depth)
        np.testing.assert_allclose(cimpute.gram(k, X, Y), ntk_numpy(X, Y, depth), rtol=1e-7)
        K = cimpute.gram(k, X)
        np.testing.assert_allclose(K, ntk_numpy(X, X, depth), rtol=1e-7)  # arccos near 1
        assert np.array_equal(K, K.T)


def test_gram_is_the_same_for_any_layout_and_dtype():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 9))
    k = cimpute.NtkKernel(depth=2, bias=0.5)
    a = cimpute.gram(k, np.asfortranarray(X))
    assert np.array_equal(a, cimpute.gram(k, np.ascontiguousarray(X)))  # bit for bit
    assert np.array_equal(a, cimpute.gram(k, X.tolist()))
    assert k(X[0], X[1]) == pytest.approx(a[0, 1], rel=1e-14)
    assert repr(k) == "NtkKernel(depth=2, bias=0.500000)"


def test_bad_kernel_input():
    with pytest.raises(ValueError):
        cimpute.NtkKernel(depth=0)
    k = cimpute.NtkKernel()
    with pytest.raises(ValueError):
        cimpute.gram(k, np.ones((3, 2)), np.ones((3, 4)))
    with pytest.raises(ValueError):
        cimpute.gram(k, np.array([[1.0, np.nan]]))


def test_an_autoencoder_trained_to_interpolation_stores_its_examples():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(8, 20))
    ae = cimpute.Autoencoder(20, hidden=[64, 64], activation="tanh", bias=True, seed=1)
    history = ae.train(X, max_epochs=3000, batch_size=0, learning_rate=1e-3,
                       loss_threshold=1e-8, validation_fraction=0)
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]
    assert ae.loss(X) < 1e-4
    assert ae.encode(X).shape == (8, 64)
    np.testing.assert_allclose(ae.decode(ae.encode(X)), ae.reconstruct(X), atol=1e-12)
    report = ae.attractors(X, tolerance=1e-2)
    assert list(report.columns) == ["attractor", "residual", "spectral_radius"]
    assert (report["residual"] < 1e-2).all()
    with pytest.raises(ValueError, match="activation"):
        cimpute.Autoencoder(20, activation="swish")
    with pytest.raises(ValueError, match="features"):
        ae.train(np.ones((3, 5)))


def test_a_float32_autoencoder_trains_like_the_float64_one():
    # The same network, seed and data in both precisions: float32 arrays out, and the training
    # curve of float32 follows float64's to single precision early on (before rounding grows).
    rng = np.random.default_rng(6)
    X = rng.normal(size=(16, 12))
    curves = {}
    for dtype in ("float64", "float32"):
        ae = cimpute.Autoencoder(12, hidden=[32], activation="leaky_relu", bias=True, seed=3,
                                 dtype=dtype)
        h = ae.train(X, max_epochs=20, batch_size=0, learning_rate=1e-3,
                     validation_fraction=0)
        curves[dtype] = h["train_loss"].to_numpy()
        assert ae.reconstruct(X).dtype == np.dtype(dtype)
    np.testing.assert_allclose(curves["float32"][:5], curves["float64"][:5], rtol=1e-4)
    assert curves["float32"][-1] < curves["float32"][0]
    with pytest.raises(ValueError, match="dtype"):
        cimpute.Autoencoder(12, dtype="int8")
