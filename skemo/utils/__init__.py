"""Utilities for users and method authors.

Public: :mod:`skemo.utils.discovery` (:func:`~skemo.utils.discovery.all_estimators`)
and :mod:`skemo.utils.estimator_checks` (skemo's estimator contract as
checks a third-party method can run). The private modules hold the shared
machinery of the estimators: target conversion, text datasets and batching,
input validation, class weights, precision and devices, the embedding cache
and package data.
"""
