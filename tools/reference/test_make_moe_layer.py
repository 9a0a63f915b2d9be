"""Checks of make_moe_layer.py on a small shape (runs in about a second):

    cd tools/reference && /usr/bin/python3 -m unittest test_make_moe_layer
"""
import filecmp
import json
import os
import tempfile
import unittest

import numpy as np

import make_moe_layer
import safetensors_io

SMALL = ["--hidden", "64", "--intermediate", "96", "--heads", "4", "--kv-heads", "2", "--experts", "4"]


def generate(out, *extra):
    make_moe_layer.main(SMALL + ["--out", out, *extra])
    return safetensors_io.read(out)


class MakeMoeLayerTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def test_writes_every_mixtral_tensor_in_bf16_with_hf_layout(self):
        tensors, dtypes = generate(self.path("m"))
        p = "model.layers.0."
        self.assertEqual(tensors[p + "block_sparse_moe.experts.3.w1.weight"].shape, (96, 64))
        self.assertEqual(tensors[p + "block_sparse_moe.experts.3.w2.weight"].shape, (64, 96))
        self.assertEqual(tensors[p + "block_sparse_moe.gate.weight"].shape, (4, 64))
        self.assertEqual(tensors[p + "self_attn.k_proj.weight"].shape, (32, 64))  # 2 KV heads of 16
        self.assertEqual(tensors["lm_head.weight"].shape, (258, 64))
        self.assertEqual(len(tensors), 1 + 7 + 4 * 3 + 2)
        self.assertEqual(set(dtypes.values()), {"BF16"})

    def test_config_describes_the_written_shape(self):
        generate(self.path("m"), "--top-k", "1", "--layers", "2")
        with open(self.path("m/config.json")) as f:
            cfg = json.load(f)
        self.assertEqual((cfg["hidden_size"], cfg["intermediate_size"], cfg["num_local_experts"],
                          cfg["num_experts_per_tok"], cfg["num_hidden_layers"]), (64, 96, 4, 1, 2))
        self.assertEqual(cfg["architectures"], ["MixtralForCausalLM"])

    def test_weights_have_the_requested_scale_and_norms_are_ones(self):
        tensors, _ = generate(self.path("m"), "--std", "0.02")
        w1 = tensors["model.layers.0.block_sparse_moe.experts.0.w1.weight"]
        self.assertAlmostEqual(float(w1.std()), 0.02, delta=0.002)
        np.testing.assert_array_equal(tensors["model.norm.weight"], np.ones(64, dtype=np.float32))

    def test_values_do_not_depend_on_the_chunk_size(self):
        generate(self.path("a"))
        old = make_moe_layer.CHUNK_ELEMENTS
        make_moe_layer.CHUNK_ELEMENTS = 100  # 1 row of 64, or of 96, per chunk
        try:
            generate(self.path("b"))
        finally:
            make_moe_layer.CHUNK_ELEMENTS = old
        self.assertTrue(filecmp.cmp(self.path("a/model.safetensors"), self.path("b/model.safetensors"), shallow=False))

    def test_another_seed_gives_other_weights(self):
        a, _ = generate(self.path("a"))
        b, _ = generate(self.path("b"), "--seed", "1")
        name = "model.layers.0.block_sparse_moe.experts.0.w2.weight"
        self.assertFalse(np.array_equal(a[name], b[name]))

    def test_streaming_writer_refuses_chunks_that_do_not_fill_the_shape(self):
        entries = [("w", (2, 3), lambda: [np.zeros((1, 3), dtype=np.float32)])]
        with self.assertRaisesRegex(ValueError, "w: chunks gave 6 bytes, shape needs 12"):
            safetensors_io.write_file_streaming(self.path("bad.safetensors"), entries, "BF16")


if __name__ == "__main__":
    unittest.main()
