"""The ``skemo`` command: fit, predict and evaluate from the shell.

::

    skemo fit --method taco --data goemotions --out model/ [--epochs N] [--train-size N]
    skemo predict model/ < texts.txt > predictions.jsonl
    skemo evaluate model/ --data goemotions --split test

``fit`` trains one of skemo's methods on a dataset of :mod:`skemo.datasets`
and saves it with :meth:`~skemo.base.EmotionClassifierBase.save`;
``predict`` reads one text per line and writes one JSON object per line,
``{"text": ..., "labels": [...], "probabilities": {label: p}}``;
``evaluate`` prints :func:`skemo.metrics.emotion_report` on a dataset split.
Errors are reported as one line on standard error with exit status 2.
"""

import argparse
import contextlib
import json
import sys
from itertools import islice

import numpy as np


#: Texts predicted at once by ``skemo predict`` (output streams chunk by chunk).
PREDICT_CHUNK = 1024

_HANDLED = (ValueError, OSError, TypeError, KeyError, ImportError)


def estimator_class(method):
    """The estimator class of a ``--method`` name (or of an estimator class name).

    Parameters
    ----------
    method : str
        A method key (:data:`skemo.methods.METHODS`, e.g. ``"taco"``).

    Returns
    -------
    type
        A subclass of :class:`~skemo.base.EmotionClassifierBase`.

    Raises
    ------
    ValueError
        If no skemo estimator has that name.

    Examples
    --------
    >>> from skemo.cli import estimator_class
    >>> estimator_class("finetuned").__name__
    'FineTunedEmotionClassifier'
    """
    from skemo.methods import METHOD_KEYS, METHODS

    if method not in METHOD_KEYS:
        raise ValueError(f"unknown method {method!r}; choose one of "
                         f"{', '.join(METHOD_KEYS)}.")
    return METHODS[method]


def load_data(name, split, data_home=None):
    """Load ``split`` of the dataset ``name`` of :data:`~skemo.datasets.DATASETS`.

    Parameters
    ----------
    name : str
        A key of :data:`skemo.datasets.DATASETS`.
    split : str
        The split to load, e.g. ``"train"`` or ``"test"``.
    data_home : str or None
        Where the dataset files are (see :func:`skemo.datasets.get_data_home`);
        the bundled ``goemotions_sample`` has none.

    Returns
    -------
    sklearn.utils.Bunch
        The loader's bunch: ``data``, ``target``, ``target_names``, ...

    Examples
    --------
    >>> from skemo.cli import load_data
    >>> load_data("goemotions_sample", "test").target.shape
    (411, 28)
    """
    from skemo.datasets import DATASETS

    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    loader = DATASETS[name]
    if name == "goemotions_sample":
        if data_home is not None:
            raise ValueError("goemotions_sample ships with skemo; --data-home does not "
                             "apply to it.")
        return loader(split)
    return loader(split=split, data_home=data_home)


def _subset(data, size, random_state):
    """At most ``size`` texts and targets of ``data``: label-stratified if multi-label."""
    from skemo.model_selection import multilabel_train_test_split

    if size is None or size >= len(data.data):
        return data.data, data.target
    multilabel = np.ndim(data.target) == 2
    texts, _, target, _ = multilabel_train_test_split(
        data.data, data.target, train_size=size, test_size=len(data.data) - size,
        random_state=random_state, stratify=data.target if multilabel else None)
    return texts, target


def parse_param(text):
    """Parse one ``--param KEY=VALUE`` into ``(key, value)``.

    The value is read as JSON when it parses, and kept as a string otherwise.
    It serves as an :mod:`argparse` ``type``, here and in the benchmarks.

    Parameters
    ----------
    text : str
        ``KEY=VALUE``.

    Returns
    -------
    tuple of (str, object)

    Raises
    ------
    argparse.ArgumentTypeError
        If ``text`` has no ``=`` or no key.

    Examples
    --------
    >>> from skemo.cli import parse_param
    >>> parse_param("alpha=0.3"), parse_param("class_weight=balanced")
    (('alpha', 0.3), ('class_weight', 'balanced'))
    """
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def fit(args):
    """``skemo fit``: train a method on a dataset and save it."""
    klass = estimator_class(args.method)
    data = load_data(args.data, args.split, args.data_home)
    texts, target = _subset(data, args.train_size, args.random_state)
    given = {"encoder": args.encoder, "max_epochs": args.epochs,
             "max_length": args.max_length, "batch_size": args.batch_size, "lr": args.lr}
    params = {key: value for key, value in given.items() if value is not None}
    params.update(label_names=list(data.target_names), random_state=args.random_state,
                  verbose=args.verbose)
    params.update(args.param)
    est = klass(**params).fit(texts, target)
    est.save(args.out)
    print(f"saved {type(est).__name__} ({len(est.classes_)} labels, "
          f"{len(est.history_)} epochs on {len(texts)} texts) to {args.out}")
    return 0


def _chunks(lines, size):
    """Lists of at most ``size`` texts (line ends removed) from ``lines``."""
    lines = iter(lines)
    while chunk := [line.rstrip("\r\n") for line in islice(lines, size)]:
        yield chunk


def predict(args):
    """``skemo predict``: texts on stdin (or ``--input``), JSON lines on stdout."""
    from skemo.persistence import load
    from skemo.thresholds import apply_thresholds

    est = load(args.model)
    names = est.label_names_
    source = (contextlib.nullcontext(sys.stdin) if args.input == "-"
              else open(args.input, encoding="utf-8"))
    n_texts = 0
    with source as lines:
        for texts in _chunks(lines, PREDICT_CHUNK):
            proba = est.predict_proba(texts)
            if est.multilabel_:
                chosen = apply_thresholds(proba, est.decision_thresholds())
            else:
                chosen = np.eye(len(names), dtype=int)[proba.argmax(axis=1)]
            for text, row, picks in zip(texts, proba, chosen):
                record = {"text": text,
                          "labels": [names[j] for j in np.flatnonzero(picks)],
                          "probabilities": {name: round(float(p), 4)
                                            for name, p in zip(names, row)}}
                print(json.dumps(record, ensure_ascii=False))
            n_texts += len(texts)
    if not n_texts:
        raise ValueError("no texts to predict: give one text per line on standard input "
                         "or in --input.")
    return 0


def _check_same_labels(est, data, name):
    """Raise unless ``est`` predicts the labels of dataset ``data``, in its encoding."""
    names = list(data.target_names)
    multilabel = np.ndim(data.target) == 2
    if multilabel:
        same = est.multilabel_ and list(est.label_names_) == names
    else:
        same = not est.multilabel_ and all(
            isinstance(c, (int, np.integer)) and 0 <= c < len(names) and names[c] == label
            for c, label in zip(est.classes_, est.label_names_))
    if not same:
        kind = "multi-label" if est.multilabel_ else "single-label"
        raise ValueError(f"the model predicts {kind} labels {list(est.label_names_)}, "
                         f"not the labels of {name} ({names}); evaluate it on the "
                         "dataset it was fitted on.")


def evaluate(args):
    """``skemo evaluate``: print the per-label report of a saved model on a dataset split."""
    from skemo.metrics import emotion_report
    from skemo.persistence import load

    est = load(args.model)
    data = load_data(args.data, args.split, args.data_home)
    _check_same_labels(est, data, args.data)
    print(emotion_report(data.target, est.predict(data.data),
                         target_names=list(data.target_names), digits=args.digits))
    return 0


def build_parser():
    """The argument parser of the ``skemo`` command.

    Returns
    -------
    argparse.ArgumentParser
        The parser of ``fit``, ``predict`` and ``evaluate``; each subparser
        sets ``run``, the function that executes it.
    """
    from skemo.datasets import DATASETS
    from skemo.methods import METHOD_KEYS

    parser = argparse.ArgumentParser(
        prog="skemo", description="Fine-grained emotion classification of text.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fitting = commands.add_parser(
        "fit", help="train a method on a dataset and save it",
        description="Train a skemo method on a dataset split and save the fitted model "
                    "(safetensors + JSON) to --out.")
    fitting.add_argument("--method", required=True, metavar="METHOD",
                         help=f"one of: {', '.join(METHOD_KEYS)}")
    fitting.add_argument("--data", required=True, metavar="DATA",
                         help=f"one of: {', '.join(DATASETS)}")
    fitting.add_argument("--out", required=True, help="directory to save the model to")
    fitting.add_argument("--split", default="train", help="split to train on (default: train)")
    fitting.add_argument("--epochs", type=int, help="max_epochs (default: the method's)")
    fitting.add_argument("--train-size", type=int, metavar="N",
                         help="train on N texts drawn from the split (label-stratified "
                              "for multi-label data)")
    fitting.add_argument("--max-length", type=int, metavar="N",
                         help="truncate texts to N tokens")
    fitting.add_argument("--batch-size", type=int, metavar="N")
    fitting.add_argument("--lr", type=float, help="peak learning rate")
    fitting.add_argument("--encoder",
                         help="Hugging Face Hub name or local directory "
                              "(default: the bundled offline all-MiniLM-L6-v2)")
    fitting.add_argument("--data-home", metavar="DIR",
                         help="dataset folder (default: $SKEMO_DATA or ~/skemo_data)")
    fitting.add_argument("--random-state", type=int, default=0, metavar="SEED",
                         help="seed of the subset, initialisation and batches (default: 0)")
    fitting.add_argument("--param", type=parse_param, action="append", default=[],
                         metavar="KEY=VALUE",
                         help="any other estimator parameter, the value read as JSON "
                              "when it parses (e.g. --param alpha=0.3 "
                              "--param threshold=tuned); repeatable")
    fitting.add_argument("-v", "--verbose", action="count", default=0,
                         help="print the epoch table and progress bars")
    fitting.set_defaults(run=fit)

    predicting = commands.add_parser(
        "predict", help="predict the emotions of texts, one per line",
        description="Read one text per line (standard input or --input) and write one "
                    'JSON object per line: {"text", "labels", "probabilities"}.')
    predicting.add_argument("model", help="directory of a saved model")
    predicting.add_argument("--input", default="-", metavar="FILE",
                            help="UTF-8 text file, one text per line (default: stdin)")
    predicting.set_defaults(run=predict)

    evaluating = commands.add_parser(
        "evaluate", help="print per-label precision, recall and F1 on a dataset split",
        description="Predict a dataset split with a saved model and print "
                    "skemo.metrics.emotion_report (macro-F1 first).")
    evaluating.add_argument("model", help="directory of a saved model")
    evaluating.add_argument("--data", required=True, metavar="DATA",
                            help=f"one of: {', '.join(DATASETS)}")
    evaluating.add_argument("--split", default="test", help="split to evaluate (default: test)")
    evaluating.add_argument("--data-home", metavar="DIR",
                            help="dataset folder (default: $SKEMO_DATA or ~/skemo_data)")
    evaluating.add_argument("--digits", type=int, default=3,
                            help="digits after the decimal point (default: 3)")
    evaluating.set_defaults(run=evaluate)
    return parser


def main(argv=None):
    """Run the ``skemo`` command.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after ``skemo``; None reads ``sys.argv``.

    Returns
    -------
    int
        The exit status: 0 on success, 2 on an error (reported as one line on
        standard error, without a traceback).
    """
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except _HANDLED as error:
        message = " ".join(str(error).split()) or type(error).__name__
        if isinstance(error, KeyError):
            message = f"missing key {message}"
        print(f"skemo {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
