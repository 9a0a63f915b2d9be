"""Checks of family_tokenizers.py's own encoder on hand-worked cases:
/usr/bin/python3 -m unittest test_family_tokenizers (from this directory)."""
import unittest

import family_tokenizers as ft


class PreTokenizerTest(unittest.TestCase):

    def test_qwen_isolates_every_digit_and_keeps_the_space_apart(self):
        self.assertEqual(ft.qwen_pieces("Hello world 123"), ["Hello", " world", " ", "1", "2", "3"])

    def test_qwen_contractions_ignore_case(self):
        self.assertEqual(ft.qwen_pieces("I'LL don't"), ["I", "'LL", " don", "'t"])

    def test_gpt2_keeps_digit_runs_and_lower_case_contractions_only(self):
        self.assertEqual(ft.gpt2_pieces("Hello world 123"), ["Hello", " world", " 123"])
        self.assertEqual(ft.gpt2_pieces("I'LL don't"), ["I", "'", "LL", " don", "'t"])

    def test_deepseek_splits_letters_cjk_punctuation_digits_and_newlines(self):
        self.assertEqual(ft.deepseek_pieces("Hello 世界 123!\n"),
                         ["Hello", " ", "世界", " ", "1", "2", "3", "!", "\n"])

    def test_isolated_split_keeps_matches_and_gaps(self):
        self.assertEqual(ft._isolated(["ab12cd3"], ft.regex.compile(r"\d+")), ["ab", "12", "cd", "3"])


class EncoderTest(unittest.TestCase):

    def test_a_run_of_spaces_is_gpt_neox_s_longest_added_token(self):
        vocab = ft.Vocab(ft.FAMILIES["gpt-neox"], [])
        enc = ft.Encoder(vocab)

        ids = enc.encode("a    b")

        self.assertEqual(ids, [vocab.id_of["a"], vocab.special_id("    "), vocab.id_of["b"]])
        self.assertEqual(enc.decode(ids), "a    b")

    def test_deepseek_starts_with_bos_and_decode_skips_specials(self):
        vocab = ft.Vocab(ft.FAMILIES["deepseek"], [(b"h", b"i")])
        enc = ft.Encoder(vocab)

        ids = enc.encode("hi" + ft.DEEPSEEK_EOS)

        self.assertEqual(ids, [vocab.special_id(ft.DEEPSEEK_BOS), vocab.id_of["hi"], vocab.special_id(ft.DEEPSEEK_EOS)])
        self.assertEqual(enc.decode(ids), "hi")

    def test_qwen_composes_before_the_merges(self):
        vocab = ft.Vocab(ft.FAMILIES["qwen2"], [(b"\xc3", b"\xa9")])
        enc = ft.Encoder(vocab)

        self.assertEqual(enc.encode("e\u0301"), [vocab.id_of[ft.to_token("é".encode())]])

    def test_merges_apply_lowest_rank_first(self):
        vocab = ft.Vocab(ft.FAMILIES["qwen2"], [(b"b", b"c"), (b"a", b"b")])
        enc = ft.Encoder(vocab)

        self.assertEqual(enc.encode("abc"), [vocab.id_of["a"], vocab.id_of["bc"]])


if __name__ == "__main__":
    unittest.main()
