"""Writes the word-LM stand-in corpus (wordlm/{train,valid,test}.txt) from a small grammar.

Every sentence is generated here from word lists written for this repository (no external
text), so the corpus is ours under the repository's licence. Deterministic (seeded).
"""
import random

SUBJECTS = ["the cat", "a dog", "the old man", "my sister", "the small bird", "our teacher",
            "the farmer", "a child", "the river", "the red fox", "his friend", "the baker"]
VERBS = ["sees", "likes", "follows", "watches", "finds", "carries", "paints", "hears",
         "remembers", "visits"]
OBJECTS = ["the house", "a green apple", "the long road", "an old book", "the quiet lake",
           "a warm loaf", "the tall tree", "the morning sun", "a wooden boat", "the hill"]
ENDINGS = ["", "", "in the morning", "after the rain", "every day", "near the village",
           "with great care", "before dinner"]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(ENDINGS)]
    if rng.random() < 0.3:
        words += ["and", rng.choice(VERBS), rng.choice(OBJECTS)]
    return " ".join(w for w in words if w) + " ."


def main() -> None:
    rng = random.Random(20261124)
    for name, n in (("train", 240), ("valid", 40), ("test", 40)):
        with open(f"wordlm/{name}.txt", "w", encoding="utf8") as f:
            for _ in range(n):
                f.write(" " + sentence(rng) + " \n")


if __name__ == "__main__":
    main()
