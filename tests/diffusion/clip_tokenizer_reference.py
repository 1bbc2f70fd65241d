#!/usr/bin/env python3
"""Makes the tiny CLIP tokenizer fixture in tests/diffusion/clip_vocab/ and prints the ids that
test_clip_tokenizer.cpp expects.

    python3 tests/diffusion/clip_tokenizer_reference.py

The real CLIP vocabulary (49,408 tokens) cannot be shipped here, so a small one is learned with the BPE
algorithm of Sennrich et al. (2016) over CORPUS and laid out as CLIP's is: ids 0..255 the 256 byte
characters of GPT-2's bytes_to_unicode table (in that table's order), 256..511 the same with "</w>", one id
per merge in merge order, then <|startoftext|> and <|endoftext|>.

The encoder below is an independent implementation of CLIP's published tokenizer (simple_tokenizer.py),
minus ftfy: html.unescape twice, NFC, whitespace collapsed, lower-case, CLIP's pre-tokenizer pattern,
byte-level BPE with merges applied lowest rank first. It needs the `regex` module for \\p{L} and \\p{N}
(Debian: apt-get install python3-regex); the C++ test does not need Python.
"""

import html
import json
import pathlib
import unicodedata

import regex

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "clip_vocab"

PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE,
)
SPECIALS = ["<|startoftext|>", "<|endoftext|>"]

CORPUS = """
a photo of a cat sitting on a red chair, highly detailed, 8k, studio lighting.
a photo of a dog running on the beach at sunset, golden hour, bokeh!!! trending on artstation.
portrait of a woman with long hair, oil painting, by greg rutkowski and alphonse mucha.
portrait of an old man, black and white photo, dramatic lighting... it's a masterpiece.
don't show text, don't show watermark; it's the best quality, they'll love it, we're done, I'm sure.
a cozy café in paris at night, rain on the street, neon lights, cinematic, 35mm photo, f/1.8.
a naïve painting of Zoë and her cat in the garden, soft colors, pastel, children's book illustration.
an astronaut riding a horse on mars, photorealistic, 4k, unreal engine, octane render.
a castle on a hill under the stars, fantasy art, matte painting, concept art, highly detailed.
東京の夜景, 東京タワー, 富士山と桜, a photo of tokyo at night.
🔥 fire and ice 🔥, a dragon made of fire, 🐉 epic, epic, epic!!!
close-up photo of a face, sharp focus, 85mm lens, (masterpiece:1.2), [best quality], {detailed}.
the cat and the dog and the bird, the sun and the moon, the city and the sea, the night and the day.
photo, photo, photo of the sea, photo of the city, photo of the moon at night, 1990s film photo, 2024.
école, straße, garçon, crème brûlée, smörgåsbord, jalapeño, über cool, déjà vu.
"""


def bytes_to_unicode():
    # GPT-2's table: printable Latin-1 bytes stand for themselves, the rest move to 256 and up.
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1)
    )
    table = {b: chr(b) for b in printable}
    shifted = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + shifted)
            shifted += 1
    return table


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def clean(text):
    text = html.unescape(html.unescape(text))
    text = unicodedata.normalize("NFC", text)
    return " ".join(text.split()).lower()


def pre_tokenize(text):
    return PATTERN.findall(clean(text))


def symbols_of(piece):
    chars = [BYTE_TO_CHAR[b] for b in piece.encode("utf-8")]
    chars[-1] += "</w>"
    return chars


def learn_merges(corpus):
    """Sennrich et al.'s BPE learning over word counts; ties go to the smallest pair, a merge whose
    result already exists is skipped so every merge adds one vocabulary entry."""
    counts = {}
    for piece in pre_tokenize(corpus):
        if piece in SPECIALS:
            continue
        key = tuple(symbols_of(piece))
        counts[key] = counts.get(key, 0) + 1
    known = set(BYTE_TO_CHAR.values()) | {c + "</w>" for c in BYTE_TO_CHAR.values()}
    merges = []
    while True:
        pairs = {}
        for word, n in counts.items():
            for pair in zip(word, word[1:]):
                pairs[pair] = pairs.get(pair, 0) + n
        candidates = [(-n, pair) for pair, n in pairs.items() if n >= 2 and "".join(pair) not in known]
        if not candidates:
            return merges
        _, best = min(candidates)
        merges.append(best)
        known.add("".join(best))
        counts = {tuple(merge_pair(list(word), best)): n for word, n in counts.items()}


def merge_pair(word, pair):
    merged, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            merged.append(word[i] + word[i + 1])
            i += 2
        else:
            merged.append(word[i])
            i += 1
    return merged


class Tokenizer:
    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.ranks = {pair: rank for rank, pair in enumerate(merges)}

    def bpe(self, piece):
        word = symbols_of(piece)
        while len(word) > 1:
            ranked = [(self.ranks[p], p) for p in zip(word, word[1:]) if p in self.ranks]
            if not ranked:
                break
            word = merge_pair(word, min(ranked)[1])
        return word

    def encode(self, text):
        ids = []
        for piece in pre_tokenize(text):
            if piece in SPECIALS:
                ids.append(self.vocab[piece])
            else:
                ids.extend(self.vocab[s] for s in self.bpe(piece))
        return ids


# Each case: name, prompt (as a Python string; the C++ test spells the same text).
CASES = [
    ("plain", "a photo of an astronaut riding a horse on mars"),
    ("punctuation", "hello!!! world..."),
    ("contractions", "it's don't they'LL we'Re I'M"),
    ("digits", "1234 photos"),
    ("lower_case", "ÉCOLE Straße"),
    ("accents", "naïve Zoë at a café"),
    ("emoji", "🔥🐱 fire cat"),
    ("cjk", "東京の夜景"),
    ("entities", "rock &amp; roll &lt;3 &quot;cat&quot; &#39;dog&#39; caf&#233; caf&#xE9;"),
    ("whitespace", "  a\tphoto\n\nof   a \u00a0 cat  "),
    ("specials", "a <|endoftext|> b"),
    ("empty", ""),
]
LONG = "a photo of a cat, " * 20


def cpp_list(ids):
    return "{" + ", ".join(str(i) for i in ids) + "}"


def main():
    merges = learn_merges(CORPUS)
    chars = list(BYTE_TO_CHAR.values())
    tokens = chars + [c + "</w>" for c in chars] + ["".join(m) for m in merges] + SPECIALS
    vocab = {t: i for i, t in enumerate(tokens)}
    assert len(vocab) == len(tokens)

    OUT.mkdir(exist_ok=True)
    (OUT / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = ["#version: 0.2"] + [f"{a} {b}" for a, b in merges]
    (OUT / "merges.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

    # The layout of stable-diffusion-v1-5's tokenizer/ folder: AddedToken objects, a plain pad token.
    def added(content):
        return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": True,
                "rstrip": False, "single_word": False}

    config = {"add_prefix_space": False, "bos_token": added("<|startoftext|>"), "do_lower_case": True,
              "eos_token": added("<|endoftext|>"), "errors": "replace", "model_max_length": 77,
              "pad_token": "<|endoftext|>", "tokenizer_class": "CLIPTokenizer", "unk_token": added("<|endoftext|>")}
    special = {"bos_token": added("<|startoftext|>"), "eos_token": added("<|endoftext|>"),
               "pad_token": "<|endoftext|>", "unk_token": added("<|endoftext|>")}
    (OUT / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    (OUT / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n", encoding="utf-8")

    tok = Tokenizer(vocab, merges)
    print(f"// {len(merges)} merges, vocabulary of {len(vocab)}")
    print(f"// bos {vocab['<|startoftext|>']}, eos {vocab['<|endoftext|>']}")
    for name, prompt in CASES:
        print(f"// {name}: {prompt!r} -> {[tok.bpe(p) if p not in SPECIALS else [p] for p in pre_tokenize(prompt)]}")
        print(f"{{\"{name}\", {cpp_list(tok.encode(prompt))}}},")
    long_ids = tok.encode(LONG)
    print(f"// long: {len(long_ids)} ids, {max(0, len(long_ids) - 75)} dropped, first 8 {long_ids[:8]}")


if __name__ == "__main__":
    main()
