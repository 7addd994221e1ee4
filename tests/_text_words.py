"""The small vocabulary the text-quality tests draw random references and hypotheses from."""

WORDS = [
    "the",
    "a",
    "cat",
    "dog",
    "sat",
    "on",
    "mat",
    "quickly",
    "ran",
    "home",
    "big",
    "small",
    "red",
    "blue",
]
