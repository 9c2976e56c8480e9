"""Flows people train: the native coupling module (:mod:`construct.flows.module`, needs torch) and the one-call API
(:mod:`construct.flows.api`: :func:`~construct.flows.api.factor_array`, :func:`~construct.flows.api.to_module`)."""
