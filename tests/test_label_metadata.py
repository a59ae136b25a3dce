"""Tests of skemo.labels: label sets, descriptions and circumplex."""

import csv
import json
import os
from pathlib import Path

import pytest

from skemo.labels import (
    LABEL_SETS,
    circumplex_coordinates,
    label_descriptions,
    label_names,
)
from skemo.utils._package_data import load_json

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = Path(os.environ.get("SKEMO_DATA") or REPO_ROOT.parent / "shared" / "data")

SET_SIZES = {
    "goemotions": 28,
    "goemotions_ekman": 7,
    "goemotions_group": 4,
    "semeval2018_ec": 11,
    "emotion": 6,
    "taco_goemotions": 27,
    "empathetic_dialogues": 32,
}


def test_label_sets():
    assert set(LABEL_SETS) == set(SET_SIZES)
    assert LABEL_SETS[0] == "goemotions"


@pytest.mark.parametrize("label_set", sorted(SET_SIZES))
def test_descriptions_of_each_set(label_set):
    descriptions = label_descriptions(label_set)
    assert len(descriptions) == SET_SIZES[label_set]
    assert list(descriptions) == label_names(label_set)
    assert all(isinstance(text, str) and len(text) > 10 for text in descriptions.values())


def test_every_set_has_a_recorded_source():
    sources = load_json("label_descriptions.json")["_sources"]
    assert set(sources) == set(LABEL_SETS)


def test_label_order():
    assert label_names("goemotions")[-1] == "neutral"
    assert label_names("goemotions_ekman")[4] == "neutral"
    assert label_names("goemotions_group") == ["ambiguous", "negative", "neutral", "positive"]
    assert label_names("emotion") == ["sadness", "joy", "love", "anger", "fear", "surprise"]
    assert label_names("empathetic_dialogues")[:3] == ["sad", "trusting", "terrified"]


def test_goemotions_rater_definitions():
    descriptions = label_descriptions("goemotions")
    assert descriptions["annoyance"] == "Mild anger, irritation."
    definitions_file = REAL_DATA / "goemotions/definitions/emotion_definition.csv"
    if definitions_file.is_file():
        with definitions_file.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                assert descriptions[row["emotion"]] == row["definition"]


def test_taco_descriptions_are_taco_text():
    taco_file = REAL_DATA / "taco/descriptions_taco.json"
    if not taco_file.is_file():
        pytest.skip(f"{taco_file} not found (set SKEMO_DATA)")
    taco = json.loads(taco_file.read_text(encoding="utf-8"))
    assert label_descriptions("taco_goemotions") == taco["go_emotion"]
    assert label_descriptions("empathetic_dialogues") == taco["ED"]


def test_merged_descriptions_prefer_goemotions():
    merged = label_descriptions()
    goemotions = label_descriptions("goemotions")
    all_names = {name for label_set in LABEL_SETS for name in label_names(label_set)}
    assert set(merged) == all_names
    for name, text in goemotions.items():
        assert merged[name] == text
    assert merged["pessimism"] == label_descriptions("semeval2018_ec")["pessimism"]
    assert merged["trusting"] == label_descriptions("empathetic_dialogues")["trusting"]


def test_returned_dicts_are_copies():
    label_descriptions("emotion")["joy"] = "changed"
    label_descriptions()["joy"] = "changed"
    circumplex_coordinates()["joy"] = (0.0, 0.0)
    assert label_descriptions("emotion")["joy"] != "changed"
    assert label_descriptions()["joy"] != "changed"
    assert circumplex_coordinates()["joy"] != (0.0, 0.0)


def test_unknown_label_set():
    with pytest.raises(ValueError, match="goemotions_ekman"):
        label_descriptions("plutchik")
    with pytest.raises(ValueError, match="expected one of"):
        label_names("plutchik")


def test_circumplex_covers_every_label():
    coordinates = circumplex_coordinates()
    for label_set in LABEL_SETS:
        missing = set(label_names(label_set)) - set(coordinates)
        assert not missing, (label_set, missing)
    for name, point in coordinates.items():
        assert isinstance(point, tuple) and len(point) == 2, name
        assert all(isinstance(x, float) and -1.0 <= x <= 1.0 for x in point), name
    assert coordinates["neutral"] == (0.0, 0.0)


def test_circumplex_sanity():
    c = circumplex_coordinates()
    assert c["joy"][0] > 0
    assert c["anger"][0] < 0 and c["anger"][1] > 0
    assert c["sadness"][0] < 0 and c["sadness"][1] < 0
    assert c["fear"][0] < 0 and c["fear"][1] > 0
    assert c["relief"][0] > 0 and c["relief"][1] < 0
    assert c["positive"][0] > 0 > c["negative"][0]
    assert c["furious"][1] > c["annoyed"][1]


#: Label sets of common emotion data sets beyond the bundled ones.
COMMON_LABEL_SETS = {
    "ISEAR": ["joy", "fear", "anger", "sadness", "disgust", "shame", "guilt"],
    "CrowdFlower emotion in text": ["empty", "sadness", "enthusiasm", "neutral", "worry",
                                    "surprise", "love", "fun", "hate", "happiness",
                                    "boredom", "relief", "anger"],
    "Ekman + contempt": ["anger", "disgust", "fear", "joy", "sadness", "surprise", "contempt"],
    "EmoContext": ["happy", "sad", "angry", "others"],
    "Plutchik intensities": ["serenity", "ecstasy", "rage", "terror", "sorrow"],
}


@pytest.mark.parametrize("name", sorted(COMMON_LABEL_SETS))
def test_circumplex_covers_common_emotion_data_sets(name):
    coordinates = circumplex_coordinates()
    assert not set(COMMON_LABEL_SETS[name]) - set(coordinates)
    # inflections share their coordinates; shame and guilt are unpleasant
    assert coordinates["shame"] == coordinates["ashamed"]
    assert coordinates["guilt"] == coordinates["guilty"]
    assert coordinates["happiness"] == coordinates["joy"]
    assert coordinates["boredom"][1] < 0 < coordinates["rage"][1]


def test_circumplex_source_is_stated():
    source = load_json("circumplex.json")["_source"]
    assert "Russell (1980)" in source and "Scherer (2005)" in source
    assert "not measured" in source
