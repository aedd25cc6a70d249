"""The article's NumPy network, and what tests/export.test.js asks of it.

  python3 numpy_forward.py predict MODEL.npz IMAGES.idx[.gz] OUT.f32
      the forward pass of an exported .npz over every image (pixels / 255):
      the article's (W . a, sigmoid / relu / tanh as `activation` says,
      softmax last) with the biases, a convolution and max pooling written
      in NumPy; `input` centred takes each image's mean pixel first. Writes
      the probabilities, float32, one row of 10 an image.
  python3 numpy_forward.py train IMAGES LABELS OUT.npz STEPS
      the article's training (784-128-64-10 sigmoid, no biases, per-sample
      SGD on the squared error of the softmax) for STEPS samples, saved with
      np.savez as W1, W2, W3 only.
"""

import gzip
import sys

import numpy as np


def read_idx(path):
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    exps = np.exp(x - x.max(axis=-1, keepdims=True))
    return exps / exps.sum(axis=-1, keepdims=True)


ACTIVATIONS = {"sigmoid": sigmoid, "relu": lambda x: np.maximum(x, 0), "tanh": np.tanh}


def conv(x, w, b):
    """x (N, C, H, W), w (F, C, K, K): a valid cross-correlation, stride 1."""
    n, c, h, wd = x.shape
    f, _, k, _ = w.shape
    oh, ow = h - k + 1, wd - k + 1
    patches = np.empty((n, c, k, k, oh, ow), x.dtype)
    for i in range(k):
        for j in range(k):
            patches[:, :, i, j] = x[:, :, i : i + oh, j : j + ow]
    out = np.tensordot(patches, w, axes=([1, 2, 3], [1, 2, 3]))  # (N, OH, OW, F)
    return out.transpose(0, 3, 1, 2) + b[None, :, None, None]


def max_pool(x, p):
    n, c, h, w = x.shape
    x = x[:, :, : h // p * p, : w // p * p]
    return x.reshape(n, c, h // p, p, w // p, p).max(axis=(3, 5))


def forward(params, images):
    """images (N, 784) in 0..1 -> probabilities (N, classes)."""
    names = list(params.keys())
    if "layers" in names:
        layers = str(params["layers"]).split(",")
    else:  # the article's own: W1..Wn alone
        n = sum(1 for name in names if name.startswith("W"))
        layers = [str(params["W1"].shape[1])] + [str(params[f"W{k}"].shape[0]) for k in range(1, n + 1)]
    act = ACTIVATIONS[str(params["activation"]) if "activation" in names else "sigmoid"]
    x = images.astype(np.float64)
    if "input" in names and str(params["input"]) == "centred":
        x = x - x.mean(axis=1, keepdims=True)
    if "x" in layers[0]:
        side = [int(v) for v in layers[0].split("x")]
        x = x.reshape(len(x), side[0], side[1], side[2] if len(side) > 2 else 1).transpose(0, 3, 1, 2)
    k = 1
    for i, item in enumerate(layers[1:]):
        last = i == len(layers) - 2
        if item.startswith("pool"):
            x = max_pool(x, int(item[4:]))
            continue
        w = params[f"W{k}"].astype(np.float64)
        b = params[f"b{k}"].astype(np.float64) if f"b{k}" in names else np.zeros(len(w))
        k += 1
        if item.startswith("conv"):
            x = conv(x, w, b)
        else:
            x = x.reshape(len(x), -1)  # channel, row, column: NumPy's order
            x = np.dot(x, w.T) + b  # the article's np.dot(W, a), for a batch
        x = softmax(x) if last else act(x)
    return x


def train(images, labels, steps, seed=1):
    """The article's network and its SGD, sample by sample (lr 0.001 there for 10 epochs; 1 here, for a run of seconds)."""
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.standard_normal((128, 784)) * np.sqrt(1.0 / 128),
        "W2": rng.standard_normal((64, 128)) * np.sqrt(1.0 / 64),
        "W3": rng.standard_normal((10, 64)) * np.sqrt(1.0 / 10),
    }
    lr = 1.0
    for step in range(steps):
        x = images[step % len(images)].astype(np.float64) / 255
        y = np.zeros(10)
        y[labels[step % len(labels)]] = 1
        z1 = params["W1"] @ x
        a1 = sigmoid(z1)
        z2 = params["W2"] @ a1
        a2 = sigmoid(z2)
        z3 = params["W3"] @ a2
        out = softmax(z3)
        error = 2 * (out - y) / out.shape[0] * out * (1 - out)
        change = {"W3": np.outer(error, a2)}
        error = (params["W3"].T @ error) * a2 * (1 - a2)
        change["W2"] = np.outer(error, a1)
        error = (params["W2"].T @ error) * a1 * (1 - a1)
        change["W1"] = np.outer(error, x)
        for key, value in change.items():
            params[key] -= lr * value
    return params


def main(argv):
    if argv[1] == "predict":
        params = np.load(argv[2], allow_pickle=False)
        images = read_idx(argv[3]).reshape(-1, 784).astype(np.float32) / 255
        # in blocks: a convolution's patches of all 10,000 images would take gigabytes
        probs = [forward(params, images[i : i + 500]) for i in range(0, len(images), 500)]
        np.concatenate(probs).astype("<f4").tofile(argv[4])
    elif argv[1] == "train":
        params = train(read_idx(argv[2]).reshape(-1, 784), read_idx(argv[3]), int(argv[5]))
        np.savez(argv[4], **params)
    else:
        raise SystemExit(f"unknown command {argv[1]}")


if __name__ == "__main__":
    main(sys.argv)
