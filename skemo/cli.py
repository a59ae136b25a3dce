"""The ``skemo`` command: fit, predict and evaluate from the shell.

::

    skemo fit --method finetuned --data my_texts.csv --out model/
    skemo fit --method taco --data goemotions --out model/ [--epochs N] [--train-size N]
    skemo predict model/ < texts.txt > predictions.jsonl
    skemo evaluate model/ --data my_test.csv
    skemo evaluate model/ --data goemotions --split test
    skemo explain model/ --labels joy,anger < texts.txt > attributions.jsonl

``fit`` trains one of skemo's methods on a file of your own labelled texts
(CSV, TSV or JSON lines, read by :func:`skemo.datasets.load_labelled_texts`:
``--text-column``, and ``--label-column`` with ``--label-sep`` or
``--label-columns``) or on a dataset of :mod:`skemo.datasets`, and saves it
with :meth:`~skemo.base.EmotionClassifierBase.save`;
``predict`` reads texts (one per line, JSON lines or CSV) and writes one
record per text, JSON lines ``{"text": ..., "labels": [...], "scores": [...],
"probabilities": {label: p}}`` or CSV; ``--top-k`` and ``--threshold`` choose
the labels, and the model is a directory, a Hub id or a bundled model::

    echo "Thank you so much!" | skemo predict goemotions --top-k 3

``explain`` writes the word attributions of each text (:mod:`skemo.explain`),
JSON lines ``{"text", "label", "score", "reference_score", "method",
"words": [{"word", "start", "end", "attribution"}]}``, one per text and
label. ``evaluate`` prints :func:`skemo.metrics.emotion_report` (with the expected
calibration error) on a file of your own or a dataset split.
User errors are reported as one line on standard error with exit status 2;
a bug shows its traceback.
"""

import argparse
import contextlib
import json
import sys
from itertools import islice
from pathlib import Path

import numpy as np

#: Texts predicted at once by ``skemo predict`` (output streams chunk by chunk).
PREDICT_CHUNK = 1024

#: Errors reported as one line (exit status 2): the user's to fix. A TypeError or
#: KeyError raised inside skemo is a bug, shown with its traceback.
USER_ERRORS = (ValueError, OSError, ImportError)


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


def is_data_file(name):
    """Whether ``--data NAME`` names a file of one's own rather than a bundled dataset."""
    from skemo.datasets import DATASETS
    from skemo.datasets._files import SUFFIXES

    return name not in DATASETS and (Path(name).suffix.lower() in SUFFIXES
                                      or Path(name).is_file())


def _file_options(args, multilabel=None):
    """The :func:`~skemo.datasets.load_labelled_texts` keywords of ``--text-column`` etc."""
    columns = args.label_columns.split(",") if args.label_columns else None
    return {"text_column": args.text_column, "label_column": args.label_column,
            "label_columns": columns, "label_sep": args.label_sep, "multilabel": multilabel}


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
        raise ValueError(f"unknown dataset {name!r}: not a file (.csv, .tsv, .jsonl) nor "
                         f"one of {', '.join(DATASETS)}.")
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


def _check_out(out):
    """Refuse, before any training, an ``--out`` that a save could not replace."""
    from pathlib import Path

    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ValueError(f"--out {out} is an existing file; give a directory path.")
    if path.is_dir() and any(path.iterdir()) and not (path / "skemo.json").is_file():
        raise ValueError(f"--out {out} is a non-empty directory that is not a skemo save, "
                         "which saving would delete; give a new or empty directory.")


def _build_estimator(klass, params):
    """``klass(**params)`` with its parameters validated, before any data is read."""
    from skemo.utils._validation import check_device

    try:
        est = klass(**params)
        est._validate_params()  # skorch's check of the names (else made at fit)
    except (TypeError, ValueError) as error:  # an unknown --param name
        raise ValueError(f"{klass.__name__} does not take these parameters: {error}") from error
    est._check_parameters()
    check_device(est.device)
    return est


def fit(args):
    """``skemo fit``: train a method on a dataset and save it."""
    from skemo.datasets import load_labelled_texts

    klass = estimator_class(args.method)
    _check_out(args.out)
    own = is_data_file(args.data)
    data = (load_labelled_texts(args.data, **_file_options(args)) if own
            else load_data(args.data, args.split, args.data_home))
    given = {"encoder": args.encoder, "max_epochs": args.epochs,
             "max_length": args.max_length, "batch_size": args.batch_size, "lr": args.lr}
    params = {key: value for key, value in given.items() if value is not None}
    params.update(label_names=list(data.target_names), random_state=args.random_state,
                  verbose=args.verbose)
    params.update(args.param)
    est = _build_estimator(klass, params)
    texts, target = _subset(data, args.train_size, args.random_state)
    est.fit(texts, target)
    est.save_pretrained(args.out, datasets=[] if own else [args.data])
    if not args.quiet:
        print(f"saved {type(est).__name__} ({len(est.classes_)} labels, "
              f"{len(est.history_)} epochs on {len(texts)} texts) to {args.out}")
    return 0


def load_model(reference, device=None):
    """The fitted estimator that ``skemo predict``/``evaluate`` name by ``reference``.

    Parameters
    ----------
    reference : str
        A saved model's directory, a Hugging Face Hub id (``"org/name"``), or
        the name of a model bundled with skemo (:data:`skemo.hub.PRETRAINED_MODELS`);
        an existing directory wins over the other two.
    device : str or None, default=None
        As in :func:`skemo.load`.

    Returns
    -------
    estimator

    Examples
    --------
    >>> from skemo.cli import load_model
    >>> load_model("goemotions").label_names_[:3]  # doctest: +SKIP
    ['admiration', 'amusement', 'anger']
    """
    from pathlib import Path

    from skemo.hub import PRETRAINED_MODELS, load, pretrained
    from skemo.utils._validation import check_device

    if device is not None:
        check_device(device)
    if reference in PRETRAINED_MODELS and not Path(reference).exists():
        return pretrained(reference, device=device)
    return load(reference, device=device)


def _decoded_lines(name, binary):
    """``(line number, text)`` of a byte stream, line ends removed; bad UTF-8 names the line."""
    for number, raw in enumerate(binary, 1):
        try:
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as error:
            raise ValueError(f"{name}, line {number}: not valid UTF-8 ({error.reason} at "
                             f"byte {error.start}).") from None
        yield number, line.rstrip("\r\n")


def _input_format(args):
    if args.input_format != "auto":
        return args.input_format
    suffix = args.input.rsplit(".", 1)[-1].lower() if "." in args.input else ""
    return {"jsonl": "jsonl", "ndjson": "jsonl", "csv": "csv"}.get(suffix, "lines")


def read_texts(name, lines, kind, field="text"):
    """Texts and their line numbers, from the lines of a ``lines``, ``jsonl`` or ``csv`` input.

    Parameters
    ----------
    name : str
        The input's name, for error messages (a file name or ``"<stdin>"``).
    lines : iterable of (int, str)
        Line numbers and lines, line ends removed.
    kind : {"lines", "jsonl", "csv"}
        One text per line; one JSON object per line (its ``field``) or a JSON
        string; or CSV with a header row naming the ``field`` column.
    field : str, default="text"

    Yields
    ------
    (int, str)
        The line number of each text (of its record's last line, for CSV),
        and the text. Blank lines of JSON lines are no records; blank texts
        are yielded like any other (see ``nonblank_texts``).

    Raises
    ------
    ValueError
        Naming the input and line of a malformed record.

    Examples
    --------
    >>> from skemo.cli import read_texts
    >>> list(read_texts("x.jsonl", enumerate(['{"text": "hi"}', '', '"yo"'], 1), "jsonl"))
    [(1, 'hi'), (3, 'yo')]
    >>> list(read_texts("x.csv", enumerate(["id,text", '1,"a, b"'], 1), "csv"))
    [(2, 'a, b')]
    """
    if kind == "lines":
        yield from lines
    elif kind == "jsonl":
        for number, line in lines:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{name}, line {number}: not valid JSON ({error.msg}).") from None
            text = record.get(field) if isinstance(record, dict) else record
            if not isinstance(text, str):
                raise ValueError(f"{name}, line {number}: expected a JSON string or an object "
                                 f"with a string field {field!r}.")
            yield number, text
    else:
        import csv

        numbers = {}

        def numbered():
            for number, line in lines:
                numbers["last"] = number
                yield line

        reader = csv.DictReader(numbered())
        if reader.fieldnames is None or field not in reader.fieldnames:
            raise ValueError(f"{name}: the CSV header {reader.fieldnames} has no {field!r} "
                             "column (choose it with --text-field).")
        for row in reader:
            if row.get(field) is None:
                raise ValueError(f"{name}, line {numbers['last']}: the row has fewer columns "
                                 "than the header.")
            yield numbers["last"], row[field]


def nonblank_texts(name, numbered, skip=False, skipped=None):
    """The texts of ``numbered`` that are not blank (empty or only whitespace).

    A blank text has nothing to predict, and its record would look like a
    prediction: it is refused, naming its line, or with ``skip`` left out.

    Parameters
    ----------
    name : str
        The input's name, for error messages.
    numbered : iterable of (int, str)
        Line numbers and texts, as :func:`read_texts` yields them.
    skip : bool, default=False
        Leave blank texts out instead of raising.
    skipped : list or None, default=None
        Where ``skip`` appends the line number of each text left out.

    Yields
    ------
    str

    Raises
    ------
    ValueError
        At the first blank text, unless ``skip``.

    Examples
    --------
    >>> from skemo.cli import nonblank_texts
    >>> skipped = []
    >>> list(nonblank_texts("x.txt", [(1, "hi"), (2, "  "), (3, "yo")], True, skipped))
    ['hi', 'yo']
    >>> skipped
    [2]
    >>> list(nonblank_texts("x.txt", [(1, "hi"), (2, "")]))
    Traceback (most recent call last):
    ...
    ValueError: x.txt, line 2: the text is blank; give one text per line, or pass
    --skip-blank to leave blank texts out.
    """
    for number, text in numbered:
        if text.strip():
            yield text
        elif not skip:
            raise ValueError(f"{name}, line {number}: the text is blank; give one text per "
                             "line, or pass --skip-blank to leave blank texts out.")
        elif skipped is not None:
            skipped.append(number)


def _chunks(texts, size):
    """Lists of at most ``size`` texts from ``texts``."""
    texts = iter(texts)
    while chunk := list(islice(texts, size)):
        yield chunk


def _progress(verbose):
    """The one progress bar of ``skemo predict -v`` (texts predicted so far), or a stand-in."""
    from tqdm.auto import tqdm

    return tqdm(desc="predict", unit="text", disable=not verbose)


def _output_format(args):
    if args.format is not None:
        return args.format
    return "csv" if args.output.lower().endswith(".csv") else "jsonl"


def _threshold(text):
    """``--threshold``: a float in [0, 1] or ``tuned``."""
    if text == "tuned":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1] or 'tuned', "
                                         f"got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}")
    return value


def _top_k(text):
    """``--top-k``: a positive int or ``all``."""
    if text == "all":
        return text
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'all', got {text!r}")
    return int(text)


def _opened_input(args):
    """The name and the binary stream of ``--input`` (standard input for ``-``)."""
    if args.input == "-":
        return "<stdin>", contextlib.nullcontext(getattr(sys.stdin, "buffer", sys.stdin))
    return args.input, open(args.input, "rb")


def _opened_output(args):
    """The text stream of ``--output`` (standard output for ``-``)."""
    if args.output == "-":
        return contextlib.nullcontext(sys.stdout)
    return open(args.output, "w", encoding="utf-8", newline="")


def predict(args):
    """``skemo predict``: texts in (lines, JSONL or CSV), one record per text out."""
    import csv

    est = load_model(args.model, device=args.device)
    est.set_params(verbose=0)  # one progress bar over all chunks (-v), not one per chunk
    names = est.label_names_
    kind = _input_format(args)
    name, source = _opened_input(args)
    output = _opened_output(args)
    out_format = _output_format(args)
    n_texts, skipped = 0, []
    with source as binary, output as stream, _progress(args.verbose) as progress:
        writer = csv.writer(stream) if out_format == "csv" else None
        if writer is not None:
            writer.writerow(["text", "labels", *names])
        numbered = read_texts(name, _decoded_lines(name, binary), kind, args.text_field)
        texts = nonblank_texts(name, numbered, args.skip_blank, skipped)
        for chunk in _chunks(texts, PREDICT_CHUNK):
            proba = est.predict_proba(chunk)
            records = est._prediction_records(chunk, proba, args.top_k, args.threshold)
            for record, row in zip(records, proba):
                if writer is not None:
                    writer.writerow([record["text"], ";".join(record["labels"]),
                                     *(f"{p:.4f}" for p in row)])
                else:
                    print(json.dumps(record, ensure_ascii=False), file=stream)
            stream.flush()
            n_texts += len(chunk)
            progress.update(len(chunk))
    if skipped and not args.quiet:
        lines = ", ".join(map(str, skipped[:10])) + (", ..." if len(skipped) > 10 else "")
        print(f"skemo predict: skipped {len(skipped)} blank text(s), on line(s) {lines}",
              file=sys.stderr)
    if not n_texts:
        raise ValueError("no texts to predict: give one text per line on standard input "
                         "or in --input.")
    return 0


def _positive_int(text):
    """A positive int option (``--max-queue``, ``--n-steps``, ``--batch``...)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def _milliseconds(text):
    """``--max-wait-ms``: a number >= 0."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number of milliseconds >= 0, got {text!r}")
    return value


def serve(args):
    """``skemo serve``: answer ``POST /predict`` over HTTP until SIGINT or SIGTERM."""
    from skemo.serve import DEFAULT_LIMITS, run_server

    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    limits = {name: getattr(args, name) for name in DEFAULT_LIMITS}
    est = load_model(args.model, device=args.device)
    run_server(est, host=args.host, port=args.port, name=args.model,
               log_level="warning" if args.quiet else "debug" if args.verbose else "info",
               **limits)
    return 0


def explain(args):
    """``skemo explain``: texts in, one JSON line per text and label of word attributions."""
    est = load_model(args.model, device=args.device)
    labels = None if args.labels is None else [name.strip() for name in args.labels.split(",")]
    name, source = _opened_input(args)
    output = _opened_output(args)
    n_texts = 0
    with source as binary, output as stream:
        numbered = read_texts(name, _decoded_lines(name, binary), _input_format(args),
                              args.text_field)
        texts = nonblank_texts(name, numbered)
        for chunk in _chunks(texts, args.batch):
            explanation = est.explain(chunk, labels=labels, method=args.method,
                                      n_steps=args.n_steps, n_samples=args.n_samples)
            for record in explanation.to_records():
                print(json.dumps(record, ensure_ascii=False), file=stream)
            stream.flush()
            n_texts += len(chunk)
    if not n_texts:
        raise ValueError("no texts to explain: give one text per line on standard input "
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


def _targets_in_model_labels(est, data, name):
    """The targets of a file's ``data`` in the model's label order and encoding."""
    names = list(est.label_names_)
    unknown = sorted(set(data.target_names) - set(names))
    if unknown:
        raise ValueError(f"{name} has labels the model does not know: "
                         f"{', '.join(unknown)} (the model's: {', '.join(names)}).")
    columns = [names.index(label) for label in data.target_names]
    if est.multilabel_:
        target = np.zeros((len(data.data), len(names)), dtype=np.int64)
        target[:, columns] = data.target
        return target
    return np.asarray(est.classes_)[np.asarray(columns)[data.target]]


def evaluate(args):
    """``skemo evaluate``: print the per-label report of a saved model on a dataset split."""
    from skemo.datasets import load_labelled_texts
    from skemo.metrics import emotion_report

    est = load_model(args.model, device=args.device)
    if is_data_file(args.data):
        data = load_labelled_texts(args.data, **_file_options(args, est.multilabel_))
        target = _targets_in_model_labels(est, data, args.data)
    else:
        data = load_data(args.data, args.split, args.data_home)
        _check_same_labels(est, data, args.data)
        target = data.target
    proba = est.predict_proba(data.data)
    pred = est._decide(proba, encoded=True)  # indicator matrix, or columns of proba
    if est.multilabel_:
        truth = target
    else:  # column indices of predict_proba, as expected_calibration_error takes them
        column = {label: j for j, label in enumerate(est.classes_)}
        truth = np.array([column[label] for label in target])
    print(emotion_report(truth, pred, y_proba=proba, target_names=list(est.label_names_),
                         digits=args.digits))
    return 0


def build_parser():
    """The argument parser of the ``skemo`` command.

    Returns
    -------
    argparse.ArgumentParser
        The parser of ``fit``, ``predict``, ``explain``, ``evaluate`` and ``serve``;
        each subparser sets ``run``, the function that executes it.
    """
    from skemo import __version__
    from skemo.datasets import DATASETS
    from skemo.methods import METHOD_KEYS

    parser = argparse.ArgumentParser(
        prog="skemo", description="Fine-grained emotion classification of text.")
    parser.add_argument("--version", action="version", version=f"skemo {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    loudness = common.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="count", default=0,
                          help="print the epoch table and progress bars")
    loudness.add_argument("-q", "--quiet", action="store_true",
                          help="print nothing but results and errors (no warnings)")
    model_help = ("a saved model's directory, a Hugging Face Hub id (org/name), or a "
                  "model bundled with skemo (goemotions)")
    device_help = ("cpu, cuda, cuda:N, mps or auto (default: the saved device when "
                   "available, else auto)")

    files = argparse.ArgumentParser(add_help=False)
    own = files.add_argument_group(
        "your own data file", "how to read --data when it is a file "
                              "(skemo.datasets.load_labelled_texts)")
    own.add_argument("--text-column", default="text", metavar="NAME",
                     help="column (or JSON field) of the texts (default: text)")
    own.add_argument("--label-column", metavar="NAME",
                     help="column of the labels: one per text, or several with "
                          "--label-sep (default: a column named label, labels, emotion "
                          "or emotions, else every other column as 0/1 columns)")
    own.add_argument("--label-columns", metavar="A,B,...",
                     help="comma-separated 0/1 columns, one per label (multi-label)")
    own.add_argument("--label-sep", metavar="SEP",
                     help="separator of several labels in one cell, e.g. ';' (multi-label)")

    fitting = commands.add_parser(
        "fit", parents=[common, files], help="train a method on a dataset and save it",
        description="Train a skemo method on a dataset split and save the fitted model "
                    "(safetensors + JSON + model card) to --out.")
    fitting.add_argument("--method", required=True, metavar="METHOD",
                         help=f"one of: {', '.join(METHOD_KEYS)}")
    fitting.add_argument("--data", required=True, metavar="DATA",
                         help=f"a file of your own (.csv, .tsv, .jsonl; see --text-column) "
                              f"or one of: {', '.join(DATASETS)}")
    fitting.add_argument("--out", required=True, help="directory to save the model to")
    fitting.add_argument("--split", default="train",
                         help="split of a named dataset to train on (default: train)")
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
    fitting.set_defaults(run=fit)

    texts_in = argparse.ArgumentParser(add_help=False)  # what predict and explain read
    texts_in.add_argument("--input", default="-", metavar="FILE",
                          help="UTF-8 input file (default: standard input)")
    texts_in.add_argument("--input-format", default="auto",
                          choices=["auto", "lines", "jsonl", "csv"],
                          help="auto (default): from the --input suffix (.jsonl, .csv), "
                               "else one text per line")
    texts_in.add_argument("--text-field", default="text", metavar="NAME",
                          help="the text's JSON field or CSV column (default: text)")
    predicting = commands.add_parser(
        "predict", parents=[common, texts_in], help="predict the emotions of texts",
        description="Read texts (one per line, JSON lines or CSV; standard input or "
                    "--input) and write one record per text: JSON lines "
                    '{"text", "labels", "scores", "probabilities"} or CSV '
                    "(text, labels joined by ';', one probability column per label).")
    predicting.add_argument("model", help=model_help)
    predicting.add_argument("--output", default="-", metavar="FILE",
                            help="output file (default: standard output)")
    predicting.add_argument("--format", choices=["jsonl", "csv"],
                            help="output format (default: csv for a .csv --output, "
                                 "else jsonl)")
    predicting.add_argument("--top-k", type=_top_k, metavar="K",
                            help="give the K most probable labels (or all, sorted) "
                                 "instead of those above the thresholds")
    predicting.add_argument("--threshold", type=_threshold, metavar="T",
                            help="decision threshold in [0, 1], or tuned (default: the "
                                 "model's)")
    predicting.add_argument("--skip-blank", action="store_true",
                            help="leave out blank texts (empty or only whitespace) and say "
                                 "on standard error which lines they were on (default: a "
                                 "blank text is an error naming its line)")
    predicting.add_argument("--device", metavar="DEVICE", help=device_help)
    predicting.set_defaults(run=predict)

    explaining = commands.add_parser(
        "explain", parents=[common, texts_in], help="which words carried each label's probability",
        description="Read texts (one per line, JSON lines or CSV; standard input or "
                    "--input) and write one JSON line per text and label: its words "
                    'with their attributions {"text", "label", "score", '
                    '"reference_score", "method", "words"} (skemo.explain).')
    explaining.add_argument("model", help=model_help)
    explaining.add_argument("--labels", metavar="A,B,...",
                            help="comma-separated labels to explain (default: the labels "
                                 "predicted for each text)")
    explaining.add_argument("--method", default="auto",
                            choices=["auto", "integrated_gradients", "occlusion", "shapley"],
                            help="attribution method (default: auto, integrated gradients "
                                 "where the model predicts in float, else occlusion)")
    explaining.add_argument("--n-steps", type=_positive_int, default=50, metavar="N",
                            help="integration steps of integrated_gradients (default: 50)")
    explaining.add_argument("--n-samples", type=_positive_int, default=25, metavar="N",
                            help="word orders sampled by shapley (default: 25)")
    explaining.add_argument("--batch", type=_positive_int, default=32, metavar="N",
                            help="texts explained per output flush (default: 32)")
    explaining.add_argument("--output", default="-", metavar="FILE",
                            help="JSON lines output file (default: standard output)")
    explaining.add_argument("--device", metavar="DEVICE", help=device_help)
    explaining.set_defaults(run=explain)

    evaluating = commands.add_parser(
        "evaluate", parents=[common, files],
        help="print per-label precision, recall and F1 on a dataset split",
        description="Predict a dataset split with a saved model and print "
                    "skemo.metrics.emotion_report (macro-F1 first).")
    evaluating.add_argument("model", help=model_help)
    evaluating.add_argument("--data", required=True, metavar="DATA",
                            help=f"a file of your own (.csv, .tsv, .jsonl; see "
                                 f"--text-column) or one of: {', '.join(DATASETS)}")
    evaluating.add_argument("--split", default="test", help="split to evaluate (default: test)")
    evaluating.add_argument("--data-home", metavar="DIR",
                            help="dataset folder (default: $SKEMO_DATA or ~/skemo_data)")
    evaluating.add_argument("--digits", type=int, default=3,
                            help="digits after the decimal point (default: 3)")
    evaluating.add_argument("--device", metavar="DEVICE", help=device_help)
    evaluating.set_defaults(run=evaluate)

    from skemo.serve import DEFAULT_LIMITS

    serving = commands.add_parser(
        "serve", parents=[common], help="serve a model over HTTP",
        description="Answer POST /predict ({\"texts\": [...]}, optional top_k and "
                    "threshold) with the records of skemo predict, batching concurrent "
                    "requests; GET /health and GET /labels describe the model. SIGINT or "
                    "SIGTERM stops it after the requests it holds are answered. Needs "
                    "pip install 'skemo[serve]'.")
    serving.add_argument("model", help=model_help)
    serving.add_argument("--host", default="127.0.0.1",
                         help="address to listen on (default: 127.0.0.1; 0.0.0.0 for "
                              "every interface)")
    serving.add_argument("--port", type=int, default=8000,
                         help="port to listen on (default: 8000; 0 takes a free one)")
    limit = serving.add_argument_group(
        "batching and limits", "the answers to requests past a limit: 413 (too large) "
                               "or 503 with Retry-After (queue full)")
    limit.add_argument("--max-batch-size", type=_positive_int, metavar="N",
                       default=DEFAULT_LIMITS["max_batch_size"],
                       help="most texts scored at once (default: %(default)s)")
    limit.add_argument("--max-wait-ms", type=_milliseconds, metavar="MS",
                       default=DEFAULT_LIMITS["max_wait_ms"],
                       help="how long a batch waits for more texts (default: %(default)s)")
    limit.add_argument("--max-queue", type=_positive_int, metavar="N",
                       default=DEFAULT_LIMITS["max_queue"],
                       help="most texts waiting to be scored; more are refused with 503 "
                            "(default: %(default)s)")
    limit.add_argument("--max-body-bytes", type=_positive_int, metavar="N",
                       default=DEFAULT_LIMITS["max_body_bytes"],
                       help="largest request body (default: %(default)s)")
    limit.add_argument("--max-texts", type=_positive_int, metavar="N",
                       default=DEFAULT_LIMITS["max_texts"],
                       help="most texts in one request (default: %(default)s)")
    limit.add_argument("--max-chars", type=_positive_int, metavar="N",
                       default=DEFAULT_LIMITS["max_chars"],
                       help="most characters in one text (default: %(default)s)")
    serving.add_argument("--threads", type=_positive_int, metavar="N",
                         help="torch (and onnxruntime) threads scoring each batch "
                              "(default: torch's, one per core)")
    serving.add_argument("--device", metavar="DEVICE", help=device_help)
    serving.set_defaults(run=serve)
    return parser


def _stdout_gone():
    """After a closed pipe (``skemo predict ... | head``): let exit flush nothing more."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(devnull, sys.stdout.fileno())


def main(argv=None):
    """Run the ``skemo`` command.

    User errors -- bad input, bad parameters, missing files, a device this
    machine lacks -- are reported as one line on standard error with exit
    status 2. Anything else is a bug in skemo or a dependency and raises with
    its traceback (exit status 1). A closed output pipe ends quietly.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after ``skemo``; None reads ``sys.argv``.

    Returns
    -------
    int
        The exit status: 0 on success, 2 on a user error.
    """
    import warnings

    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        if args.quiet:
            warnings.simplefilter("ignore")
        try:
            return args.run(args)
        except BrokenPipeError:
            _stdout_gone()
            return 0
        except USER_ERRORS as error:
            message = " ".join(str(error).split()) or type(error).__name__
            print(f"skemo {args.command}: error: {message}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
